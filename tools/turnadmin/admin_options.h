// turnadmin's options, declared once (DESIGN.md section 3): the command-line parser, --help and
// man/turnadmin.1 (written by ferry_docgen) all read this table. Letters and long names are
// coturn 4.6's, so scripts written for coturn's turnadmin keep working.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/common/expected.h"

namespace ferry::turnadmin {

enum class Command : std::uint8_t {
  kNone,
  kKey,               // -k
  kAdd,               // -a
  kDelete,            // -d
  kList,              // -l
  kSetSecret,         // -s SECRET
  kShowSecrets,       // -S
  kDeleteSecret,      // -X SECRET
  kDeleteAllSecrets,  // --delete-all-secrets
  kAddOrigin,         // -O
  kDeleteOrigin,      // -R
  kListOrigins,       // -I
  kSetRealmOption,    // -g
  kListRealmOptions,  // -G
  kUnsupported,       // coturn commands Ferry has no use for (admin users, AES passwords)
  kHelp,              // -h
};

enum class Field : std::uint8_t {
  kNone,  // a command without a value
  kSecret,
  kDb,
  kPsql,
  kMysql,
  kRedis,
  kUser,
  kRealm,
  kPassword,
  kOrigin,
  kMaxBps,
  kTotalQuota,
  kUserQuota,
  kIgnored,  // an option of an unsupported command (its value is read and dropped)
};

struct AdminOption {
  char letter = 0;  // 0: long name only
  std::string_view name;
  std::string_view aliases;          // more long names, space-separated
  Command command = Command::kNone;  // kNone: an option, not a command
  Field field = Field::kNone;        // where the value goes (kNone: takes no value)
  std::string_view placeholder;      // the value's name in help and the man page
  std::string_view help;
  std::string_view not_supported;  // non-empty: accepted, then refused with this reason
};

std::span<const AdminOption> admin_options();

enum class Database : std::uint8_t {
  kDefault,   // none given: the first default SQLite file that exists
  kSqlite,    // -b
  kPostgres,  // -e
  kRedis,     // -N
};

// What the command line asks for.
struct AdminRequest {
  Command command = Command::kNone;
  std::string_view command_name;  // for messages
  std::string not_supported;      // why, when the command or database is not supported
  std::string secret;             // -s / -X
  Database database = Database::kDefault;
  std::string database_option;  // for messages
  std::string db;               // -b FILE, -e CONNINFO or -N CONNINFO
  std::optional<std::string> user, realm, password, origin;
  std::optional<std::int64_t> max_bps, total_quota, user_quota;
};

// Parses argv (argv[0] is the program). A failure says which option is wrong and why.
Expected<AdminRequest> parse_admin_args(int argc, char** argv);

std::string render_admin_help();
// man/turnadmin.1 (roff).
std::string render_admin_man();

}  // namespace ferry::turnadmin
