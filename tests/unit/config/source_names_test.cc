// An option is declared once (issue 17 item 1): its name is written in its row of the table
// and nowhere else in the server's sources. Code that needs an option refers to the row
// (kMinPort.name), so renaming or removing an option cannot leave a stale string behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ferry/config/options.h"

namespace ferry::config {
namespace {

namespace fs = std::filesystem;

// The rows themselves: src/config/options_*.h.
bool is_table_file(const fs::path& p) {
  return p.parent_path().filename() == "config" && p.filename().string().rfind("options_", 0) == 0;
}

// The string literals of a C++ source (enough of the grammar for our sources: no raw strings).
std::vector<std::string> literals(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      i = text.find('\n', i);
      if (i == std::string::npos) break;
    } else if (c == '\'') {
      // A character literal: skip it ('"' must not open a string).
      i += (i + 1 < text.size() && text[i + 1] == '\\') ? 3 : 2;
    } else if (c == '"') {
      std::string lit;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          ++i;
          lit += text[i] == 'n' ? '\n' : text[i];  // "\n" separates lines of example configs
          continue;
        }
        lit += text[i];
      }
      out.push_back(lit);
    }
  }
  return out;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// Would `literal` spell option `name`: the whole literal, 'name', --name, or name= at the start
// of a line (a configuration line; "version=" inside a Prometheus label is not one)?
bool names_option(const std::string& literal, std::string_view name) {
  const std::string n(name);
  if (literal == n) return true;
  for (const std::string& form : {"'" + n + "'", "--" + n, n + "="}) {
    for (auto at = literal.find(form); at != std::string::npos; at = literal.find(form, at + 1)) {
      const std::size_t end = at + form.size();
      if (form == n + "=") {
        // At a line's start, and not a key="value" label (Prometheus' version="...").
        bool line_start = at == 0 || literal[at - 1] == '\n';
        if (line_start && (end == literal.size() || literal[end] != '"')) return true;
        continue;
      }
      // "--no-udp" is not "--no-udp-relay".
      if (form[0] == '-' && end < literal.size() && is_name_char(literal[end])) continue;
      return true;
    }
  }
  return false;
}

// Literals that are not option names although they spell one, and why.
struct Allowed {
  const char* file;
  const char* literal;
};
constexpr Allowed kAllowed[] = {
    {"src/common/logger.cc", "syslog"},  // log-file=syslog: a value of log-file
    // Keys of coturn's Redis connection string and segments of its Redis key layout.
    {"src/userdb_redis/conninfo.cc", "db"},
    {"src/userdb_redis/conninfo.cc", "user"},
    {"src/userdb_redis/layout.cc", "allowed-peer-ip"},
    {"src/userdb_redis/layout.cc", "denied-peer-ip"},
    {"src/userdb_pg/conninfo.cc", "user"},  // libpq's connection keyword
    // Redis keys turn/realm/REALM/<option> of a realm's options (a database's data, which
    // ferry_userdb_redis reads without the option table: it does not link ferry_config).
    {"include/ferry/userdb_redis/layout.h", "max-bps"},
    {"include/ferry/userdb_redis/layout.h", "total-quota"},
    {"include/ferry/userdb_redis/layout.h", "user-quota"},
    // coturn's turn_realm_option rows name their options so (the `opt` column of a database):
    // data Ferry reads, not its own option names.
    {"src/auth/userdb_snapshot.cc", "user-quota"},
    {"src/auth/userdb_snapshot.cc", "total-quota"},
    {"src/auth/userdb_snapshot.cc", "max-bps"},
};

bool allowed(const std::string& file, const std::string& literal) {
  for (const auto& a : kAllowed) {
    if (file == a.file && literal == a.literal) return true;
  }
  return false;
}

TEST(OptionNames, AppearOnlyInTheirRows) {
  const fs::path root = FERRY_SOURCE_DIR;
  std::vector<std::string> hits;
  std::size_t files = 0;
  for (const char* dir : {"src", "include"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      if (is_table_file(entry.path())) continue;
      ++files;
      std::ifstream in(entry.path());
      std::stringstream buf;
      buf << in.rdbuf();
      for (const auto& lit : literals(buf.str())) {
        for (const auto& spec : option_table()) {
          std::vector<std::string_view> names{spec.name};
          std::string_view aliases = spec.aliases;
          while (!aliases.empty()) {
            auto sp = aliases.find(' ');
            names.push_back(aliases.substr(0, sp));
            aliases = sp == std::string_view::npos ? std::string_view() : aliases.substr(sp + 1);
          }
          for (auto n : names) {
            const std::string file = fs::relative(entry.path(), root).string();
            if (names_option(lit, n) && !allowed(file, lit)) {
              hits.push_back(file + ": \"" + lit + "\" (" + std::string(n) + ")");
            }
          }
        }
      }
    }
  }
  EXPECT_GT(files, 50u);
  std::string all;
  for (const auto& h : hits) all += "  " + h + "\n";
  EXPECT_TRUE(hits.empty()) << "option names outside the option table (use the row, e.g. "
                               "kMinPort.name):\n"
                            << all;
}

}  // namespace
}  // namespace ferry::config
