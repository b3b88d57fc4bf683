// turnadmin's option table: coturn's letters and names parse, and man/turnadmin.1 is current.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "turnadmin/admin_options.h"

namespace ferry::turnadmin {
namespace {

Expected<AdminRequest> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "turnadmin");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_admin_args(static_cast<int>(argv.size()), argv.data());
}

TEST(TurnadminOptions, CoturnCommandLinesParse) {
  auto a = parse({"-a", "-b", "/tmp/x.db", "-u", "alice", "-r", "example.org", "-p", "pass"});
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->command, Command::kAdd);
  EXPECT_EQ(a->db, "/tmp/x.db");
  EXPECT_EQ(*a->user, "alice");
  EXPECT_EQ(*a->realm, "example.org");
  EXPECT_EQ(*a->password, "pass");
  auto s = parse({"--set-secret=abc", "--userdb", "f", "--realm=r"});
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->command, Command::kSetSecret);
  EXPECT_EQ(s->secret, "abc");
  EXPECT_EQ(s->db, "f");
  auto x = parse({"-Xabc", "--db=f"});
  ASSERT_TRUE(x);
  EXPECT_EQ(x->command, Command::kDeleteSecret);
  EXPECT_EQ(x->secret, "abc");
  auto g = parse({"-g", "-r", "r", "--max-bps", "1000", "--user-quota=0"});
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(*g->max_bps, 1000);
  EXPECT_EQ(*g->user_quota, 0);
  EXPECT_FALSE(g->total_quota);
}

TEST(TurnadminOptions, MistakesSayWhat) {
  EXPECT_NE(parse({"-a", "-l"}).error().find("two commands"), std::string::npos);
  EXPECT_NE(parse({"-a", "-u"}).error().find("-u/--user needs a value"), std::string::npos);
  EXPECT_NE(parse({"--bogus"}).error().find("unknown option '--bogus'"), std::string::npos);
  EXPECT_NE(parse({"-g", "--max-bps", "-1"}).error().find("a number"), std::string::npos);
  EXPECT_NE(parse({"--list=x"}).error().find("takes no value"), std::string::npos);
}

TEST(TurnadminOptions, EachDatabaseKindParsesAndOnlyOneIsTaken) {
  auto e = parse({"-a", "-e", "host=x dbname=turn"});
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->database, Database::kPostgres);
  EXPECT_EQ(e->db, "host=x dbname=turn");
  EXPECT_TRUE(e->not_supported.empty());
  auto sql = parse({"-l", "--sql-userdb=postgresql://u@h/turn"});
  ASSERT_TRUE(sql) << sql.error();
  EXPECT_EQ(sql->database, Database::kPostgres);
  auto n = parse({"-l", "--redis-userdb=ip=127.0.0.1 dbname=2"});
  ASSERT_TRUE(n) << n.error();
  EXPECT_EQ(n->database, Database::kRedis);
  EXPECT_EQ(n->db, "ip=127.0.0.1 dbname=2");
  auto b = parse({"-l", "-b", "f"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->database, Database::kSqlite);
  EXPECT_EQ(parse({"-l"})->database, Database::kDefault);
  auto two = parse({"-l", "-b", "f", "-N", "ip=x"});
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().find("two databases given: -b/--db and -N/--redis-userdb"),
            std::string::npos)
      << two.error();
  auto m = parse({"-l", "-M", "host=x"});
  ASSERT_TRUE(m);
  EXPECT_NE(m->not_supported.find("MySQL is not supported"), std::string::npos);
  auto admin = parse({"-A", "-u", "x"});
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->command, Command::kUnsupported);
  EXPECT_FALSE(admin->not_supported.empty());
}

TEST(TurnadminOptions, LettersAndNamesAreUnique) {
  std::set<char> letters;
  std::set<std::string_view> names;
  for (const auto& o : admin_options()) {
    if (o.letter != 0) {
      EXPECT_TRUE(letters.insert(o.letter).second) << o.letter;
    }
    EXPECT_TRUE(names.insert(o.name).second) << o.name;
  }
}

TEST(TurnadminOptions, ManPageIsCurrent) {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/man/turnadmin.1", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_TRUE(s.str() == render_admin_man())
      << "man/turnadmin.1 is stale; regenerate with: cmake --build <build> --target "
         "ferry_docgen && <build>/bin/ferry_docgen "
      << FERRY_SOURCE_DIR;
  for (const auto& o : admin_options()) {
    EXPECT_NE(render_admin_help().find("--" + std::string(o.name)), std::string::npos) << o.name;
  }
}

}  // namespace
}  // namespace ferry::turnadmin
