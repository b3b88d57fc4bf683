#include "admin_options.h"

#include <cctype>
#include <charconv>

#include "ferry/common/roff.h"

namespace ferry::turnadmin {

namespace {

constexpr std::string_view kNoAdmins =
    "Ferry has no web admin or CLI users (its HTTP listener serves the test page and metrics)";
constexpr std::string_view kNoAes =
    "Ferry does not store AES-encrypted passwords (coturn's MySQL option)";

constexpr AdminOption kOptions[] = {
    // Commands.
    {'k', "key", "", Command::kKey, Field::kNone, "",
     "print the long-term key of -u, -r and -p: 0x and the 32 hex digits of "
     "MD5(user:realm:password), as user= lines and turnusers_lt hold it"},
    {'a', "add", "", Command::kAdd, Field::kNone, "",
     "add or update the user -u of realm -r with password -p (coturn's MD5 key, and the SHA-256 "
     "key of RFC 8489 in Ferry's own table)"},
    {'d', "delete", "", Command::kDelete, Field::kNone, "", "delete the user -u of realm -r"},
    {'l', "list", "", Command::kList, Field::kNone, "",
     "list the users, as NAME[REALM]: of realm -r, or of every realm"},
    {'s', "set-secret", "", Command::kSetSecret, Field::kSecret, "SECRET",
     "add a TURN REST secret to realm -r; every secret of the realm is valid at once, so add the "
     "new one, wait for the old credentials to expire, then delete the old one"},
    {'S', "show-secret", "", Command::kShowSecrets, Field::kNone, "",
     "list the TURN REST secrets, as SECRET[REALM]: of realm -r, or of every realm"},
    {'X', "delete-secret", "", Command::kDeleteSecret, Field::kSecret, "SECRET",
     "delete a TURN REST secret of realm -r"},
    {0, "delete-all-secrets", "", Command::kDeleteAllSecrets, Field::kNone, "",
     "delete every TURN REST secret of realm -r, or of every realm"},
    {'O', "add-origin", "", Command::kAddOrigin, Field::kNone, "",
     "map the ORIGIN -o to realm -r (requests carrying it are in that realm)"},
    {'R', "del-origin", "", Command::kDeleteOrigin, Field::kNone, "",
     "delete the mapping of ORIGIN -o"},
    {'I', "list-origins", "", Command::kListOrigins, Field::kNone, "",
     "list the mappings, as ORIGIN ==>> REALM: to realm -r, or to every realm"},
    {'g', "set-realm-option", "", Command::kSetRealmOption, Field::kNone, "",
     "set the options of realm -r given with --max-bps, --total-quota and --user-quota (Ferry "
     "applies the quotas; max-bps is read, not applied yet)"},
    {'G', "list-realm-options", "", Command::kListRealmOptions, Field::kNone, "",
     "list the realm options, as OPTION[REALM]=VALUE: of realm -r, or of every realm"},
    {'A', "add-admin", "", Command::kUnsupported, Field::kNone, "", "add a web admin user",
     kNoAdmins},
    {'D', "delete-admin", "", Command::kUnsupported, Field::kNone, "", "delete a web admin user",
     kNoAdmins},
    {'L', "list-admin", "", Command::kUnsupported, Field::kNone, "", "list the web admin users",
     kNoAdmins},
    {'P', "generate-encrypted-password", "", Command::kUnsupported, Field::kNone, "",
     "print an encrypted password for a web admin user", kNoAdmins},
    {'E', "generate-encrypted-password-aes", "", Command::kUnsupported, Field::kNone, "",
     "print a password encrypted with AES-128", kNoAes},
    {'h', "help", "", Command::kHelp, Field::kNone, "", "print this help and exit"},
    // Options.
    {'b', "db", "userdb", Command::kNone, Field::kDb, "FILE",
     "the SQLite database (created, with coturn's tables, when missing); default: the first of "
     "/var/db/turndb, /usr/local/var/db/turndb and /var/lib/turn/turndb that exists"},
    {'e', "psql-userdb", "sql-userdb", Command::kNone, Field::kPsql, "CONNINFO",
     "a PostgreSQL database: a libpq connection string or URI, as turnserver's psql-userdb "
     "(the tables are created when missing, as coturn's schema.sql makes them)"},
    {'M', "mysql-userdb", "", Command::kNone, Field::kMysql, "CONNINFO", "a MySQL database",
     "MySQL is not supported: use -b FILE (SQLite), -e (PostgreSQL) or -N (Redis)"},
    {'N', "redis-userdb", "", Command::kNone, Field::kRedis, "CONNINFO",
     "a Redis database, as turnserver's redis-userdb: \"ip=... dbname=... password=... "
     "port=... connect_timeout=...\" (coturn's key layout; a realm may not contain '/')"},
    {'u', "user", "", Command::kNone, Field::kUser, "USER", "the user name"},
    {'r', "realm", "", Command::kNone, Field::kRealm, "REALM",
     "the realm (the server's realm= option)"},
    {'p', "password", "", Command::kNone, Field::kPassword, "PASSWORD", "the password"},
    {'o', "origin", "", Command::kNone, Field::kOrigin, "ORIGIN",
     "an ORIGIN, such as https://example.org (stored with its port, as coturn does)"},
    {0, "max-bps", "", Command::kNone, Field::kMaxBps, "N",
     "with -g: the realm's max-bps (0 removes it)"},
    {0, "total-quota", "", Command::kNone, Field::kTotalQuota, "N",
     "with -g: the realm's total-quota (0 removes it)"},
    {0, "user-quota", "", Command::kNone, Field::kUserQuota, "N",
     "with -g: the realm's user-quota (0 removes it)"},
    {'x', "key-path", "", Command::kNone, Field::kIgnored, "FILE", "coturn's AES key file", kNoAes},
    {'f', "file-key-path", "", Command::kNone, Field::kIgnored, "FILE", "coturn's AES key file",
     kNoAes},
    {'v', "verify", "", Command::kNone, Field::kIgnored, "PASSWORD",
     "verify an AES-encrypted password", kNoAes},
};

bool has_name(const AdminOption& o, std::string_view name) {
  if (o.name == name) return true;
  std::string_view rest = o.aliases;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    if (rest.substr(0, space) == name) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

const AdminOption* by_letter(char c) {
  for (const auto& o : kOptions) {
    if (o.letter == c) return &o;
  }
  return nullptr;
}

const AdminOption* by_name(std::string_view name) {
  for (const auto& o : kOptions) {
    if (has_name(o, name)) return &o;
  }
  return nullptr;
}

std::string spelled(const AdminOption& o) {
  return o.letter != 0 ? "-" + std::string(1, o.letter) + "/--" + std::string(o.name)
                       : "--" + std::string(o.name);
}

Expected<std::int64_t> number(const AdminOption& o, std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) {
    return fail(spelled(o) + " takes a number of 0 or more, not '" + std::string(text) + "'");
  }
  return v;
}

Expected<void> store(AdminRequest& r, const AdminOption& o, std::string_view value) {
  switch (o.field) {
    case Field::kNone:
    case Field::kIgnored:
      return {};
    case Field::kSecret:
      r.secret = value;
      return {};
    case Field::kDb:
    case Field::kPsql:
    case Field::kRedis: {
      const Database kind = o.field == Field::kDb     ? Database::kSqlite
                            : o.field == Field::kPsql ? Database::kPostgres
                                                      : Database::kRedis;
      if (r.database != Database::kDefault && r.database != kind) {
        return fail("two databases given: " + std::string(r.database_option) + " and " +
                    spelled(o) + " (one at a time)");
      }
      r.database = kind;
      r.database_option = spelled(o);
      r.db = value;
      return {};
    }
    case Field::kMysql:
      if (r.not_supported.empty()) r.not_supported = o.not_supported;
      return {};
    case Field::kUser:
      r.user = value;
      return {};
    case Field::kRealm:
      r.realm = value;
      return {};
    case Field::kPassword:
      r.password = value;
      return {};
    case Field::kOrigin:
      r.origin = value;
      return {};
    case Field::kMaxBps:
    case Field::kTotalQuota:
    case Field::kUserQuota: {
      auto n = number(o, value);
      if (!n) return std::move(n).failure();
      (o.field == Field::kMaxBps       ? r.max_bps
       : o.field == Field::kTotalQuota ? r.total_quota
                                       : r.user_quota) = *n;
      return {};
    }
  }
  return {};
}

Expected<void> apply(AdminRequest& r, const AdminOption& o, std::string_view value) {
  if (o.command != Command::kNone) {
    if (r.command != Command::kNone && r.command != o.command) {
      return fail("two commands given: " + std::string(r.command_name) + " and " + spelled(o) +
                  " (one at a time)");
    }
    r.command = o.command;
    r.command_name = o.name;
    if (o.command == Command::kUnsupported) r.not_supported = o.not_supported;
  }
  if (o.field == Field::kIgnored && r.not_supported.empty()) r.not_supported = o.not_supported;
  return store(r, o, value);
}

}  // namespace

std::span<const AdminOption> admin_options() {
  return kOptions;
}

Expected<AdminRequest> parse_admin_args(int argc, char** argv) {
  AdminRequest r;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const AdminOption* o = nullptr;
    std::optional<std::string_view> value;
    if (arg.starts_with("--")) {
      const auto eq = arg.find('=');
      o = by_name(arg.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2));
      if (eq != std::string_view::npos) value = arg.substr(eq + 1);
    } else if (arg.size() >= 2 && arg[0] == '-') {
      o = by_letter(arg[1]);
      if (arg.size() > 2) value = arg.substr(2);
    }
    if (o == nullptr)
      return fail("unknown option '" + std::string(arg) + "' (turnadmin -h lists them)");
    if (o->field == Field::kNone) {
      if (value) return fail(spelled(*o) + " takes no value");
    } else if (!value) {
      if (i + 1 >= argc)
        return fail(spelled(*o) + " needs a value: " + std::string(o->placeholder));
      value = argv[++i];
    }
    if (auto ok = apply(r, *o, value.value_or("")); !ok) return std::move(ok).failure();
  }
  return r;
}

std::string render_admin_help() {
  std::string out =
      "Usage: turnadmin COMMAND [OPTIONS]\n"
      "Manages the users and TURN REST secrets of a user database in coturn's layout: SQLite\n"
      "(-b), PostgreSQL (-e) or Redis (-N), as turnserver reads them with userdb,\n"
      "psql-userdb or redis-userdb; changes apply within 2 seconds.\n";
  bool commands = true;
  out += "\nCommands:\n";
  for (const auto& o : kOptions) {
    if (commands && o.command == Command::kNone) {
      commands = false;
      out += "\nOptions:\n";
    }
    std::string head = o.letter != 0 ? "  -" + std::string(1, o.letter) + ", " : "      ";
    head += "--" + std::string(o.name);
    if (!o.placeholder.empty()) head += " " + std::string(o.placeholder);
    if (head.size() < 34) head.resize(34, ' ');
    out += head + " " + std::string(o.help);
    if (!o.not_supported.empty()) out += " [not supported]";
    out += "\n";
  }
  return out;
}

std::string render_admin_man() {
  std::string out =
      ".\\\" Generated by ferry_docgen from turnadmin's option table; do not edit.\n"
      ".TH TURNADMIN 1 \"\" \"Ferry\" \"User Commands\"\n.nh\n"
      ".SH NAME\nturnadmin \\- manage the user database of Ferry's (and coturn's) turnserver\n"
      ".SH SYNOPSIS\n.B turnadmin\n\\fICOMMAND\\fR [\\fIOPTION\\fR]...\n"
      ".SH DESCRIPTION\n" +
      roff_text(
          "turnadmin adds, lists and deletes the users and TURN REST secrets of a user database "
          "in coturn's layout: an SQLite file (-b), a PostgreSQL database (-e) or a Redis "
          "database (-N), which turnserver reads with userdb, psql-userdb or redis-userdb. A "
          "database made by coturn's turnadmin works unchanged, and coturn reads one made by "
          "this turnadmin. The running server sees a change within 2 seconds, without a "
          "restart.") +
      ".PP\n" +
      roff_text(
          "Besides coturn's MD5 key, -a stores the SHA-256 key of RFC 8489 where coturn does not "
          "look (the table ferry_sha256_key; in Redis the key "
          "turn/realm/REALM/user/NAME/ferry-sha256), so clients can authenticate with SHA-256. "
          "A user whose password coturn's turnadmin changed keeps only the MD5 key until -a is "
          "run again.") +
      ".SH COMMANDS\n";
  bool commands = true;
  for (const auto& o : kOptions) {
    if (commands && o.command == Command::kNone) {
      commands = false;
      out += ".SH OPTIONS\n";
    }
    std::string head;
    if (o.letter != 0) head += "\\fB\\-" + std::string(1, o.letter) + "\\fR, ";
    head += "\\fB\\-\\-" + roff_escape(o.name) + "\\fR";
    std::string_view rest = o.aliases;
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      head += ", \\fB\\-\\-" + roff_escape(rest.substr(0, space)) + "\\fR";
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
    if (!o.placeholder.empty()) head += " \\fI" + roff_escape(o.placeholder) + "\\fR";
    std::string body(o.help);
    if (!body.empty())
      body[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(body[0])));
    body += ".";
    if (!o.not_supported.empty()) body += " Not supported: " + std::string(o.not_supported) + ".";
    out += ".TP\n" + head + "\n" + roff_text(body);
  }
  out +=
      ".SH EXAMPLES\n" +
      roff_text("turnadmin -a -b /var/lib/turn/turndb -r example.org -u alice -p secret") +
      ".br\n" +
      roff_text("turnadmin -s \"$(openssl rand -hex 32)\" -b /var/lib/turn/turndb -r example.org") +
      ".br\n" + roff_text("turnadmin -l -b /var/lib/turn/turndb") + ".br\n" +
      roff_text(
          "turnadmin -a -N \"ip=127.0.0.1 dbname=0 password=PASS\" -r example.org -u alice -p "
          "secret") +
      ".br\n" +
      roff_text(
          "turnadmin -a -e \"host=db.example.org dbname=turn user=turn password=PASS\" "
          "-r example.org -u alice -p secret") +
      ".SH EXIT STATUS\n" +
      roff_text(
          "0 on success; 1 when the command line is wrong, the command is not "
          "supported or the database cannot be opened, reached or changed (the message names "
          "the database, never its password, and what failed).") +
      ".SH SEE ALSO\n.BR turnserver (8),\n.BR turnserver.conf (5)\n";
  return out;
}

}  // namespace ferry::turnadmin
