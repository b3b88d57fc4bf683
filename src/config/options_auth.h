// Option rows: credentials, realms, the TURN REST API and user databases.
#pragma once

#include "option_builder.h"

namespace ferry::config::detail {

inline constexpr std::string_view kAuth = "auth";

inline constexpr OptionSpec kLtCredMech =
    Opt(kAuth, "lt-cred-mech", kFlag, "require long-term credentials for TURN")
        .letter('a')
        .always("TURN always requires long-term credentials unless no-auth is set");

inline constexpr OptionSpec kNoAuth =
    Opt(kAuth, "no-auth", kFlag, "allow TURN without any credentials (anonymous relaying)")
        .letter('z')
        .to_not<&turn::Settings::auth_required>();

inline constexpr OptionSpec kUser =
    Opt(kAuth, "user", kList,
        "static account; the password may also be 0x and the 32-hex-digit MD5 key")
        .letter('u')
        .arg("NAME:PASSWORD")
        .with(&apply_user)
        .secret();

inline constexpr OptionSpec kRealm =
    Opt(kAuth, "realm", kString,
        "realm of the long-term credentials (clients' keys depend on it: set your domain)")
        .def("ferry")
        .letter('r')
        .arg("REALM")
        .to<&turn::Settings::realm>();

inline constexpr OptionSpec kUseAuthSecret =
    Opt(kAuth, "use-auth-secret", kFlag,
        "TURN REST API: accept time-limited passwords derived from a shared secret (user "
        "accounts are then not consulted, as in coturn)")
        .to<&auth::AuthSettings::use_auth_secret>();

inline constexpr OptionSpec kStaticAuthSecret =
    Opt(kAuth, "static-auth-secret", kList,
        "shared secret of the TURN REST API (implies use-auth-secret); repeat to rotate: every "
        "listed secret is valid")
        .arg("SECRET")
        .secret()
        .to<&auth::AuthSettings::static_secrets>();

inline constexpr OptionSpec kRestApiSeparator =
    Opt(kAuth, "rest-api-separator", kString,
        "character between the expiry time and the user name in REST user names")
        .letter('C')
        .def(":")
        .arg("CHAR")
        .to<&auth::AuthSettings::rest_separator>();

inline constexpr OptionSpec kUserdb =
    Opt(kAuth, "userdb", kString,
        "SQLite user database in coturn's schema (made and changed with turnadmin): its users "
        "and REST secrets are valid beside the configured ones, and changes apply within 2 s")
        .alias("db")
        .letter('b')
        .arg("FILE")
        .to<&auth::AuthSettings::userdb>();

inline constexpr OptionSpec kPsqlUserdb =
    Opt(kAuth, "psql-userdb", kString,
        "PostgreSQL user database in coturn's tables (a libpq connection string or URI), shared "
        "by several servers: its users and REST secrets are valid beside the configured ones, and "
        "changes apply within 2 s")
        .alias("sql-userdb")
        .letter('e')
        .arg("CONNINFO")
        .secret()
        .to<&auth::AuthSettings::psql_userdb>();

inline constexpr OptionSpec kRedisUserdb =
    Opt(kAuth, "redis-userdb", kString,
        "Redis user database in coturn's key layout (\"ip=... dbname=... password=... port=... "
        "connect_timeout=...\"), shared by several servers: its users and REST secrets are valid "
        "beside the configured ones, and changes apply within 2 s")
        .letter('N')
        .arg("CONNINFO")
        .secret()
        .to<&auth::AuthSettings::redis_userdb>();

inline constexpr OptionSpec kUserdbMaxStale =
    Opt(kAuth, "userdb-max-stale", kInt,
        "how long the last copy of a user database (userdb, redis-userdb, psql-userdb) keeps "
        "serving while the database cannot be read; after that its users and secrets are "
        "refused until it reads again (Ferry's option)")
        .def("30")
        .range(0, 86400)
        .arg("SECONDS")
        .to<&auth::AuthSettings::userdb_max_stale>();

inline constexpr OptionSpec kAuthOptions[] = {
    kLtCredMech,
    kNoAuth,
    kUser,
    kRealm,
    Opt(kAuth, "server-name", kString, "server name for third-party authorisation (default: realm)")
        .arg("NAME"),
    kUseAuthSecret,
    kStaticAuthSecret,
    kRestApiSeparator,
    Opt(kAuth, "secret-ts-exp-time", kInt, "old lifetime setting for REST credentials")
        .arg("SECONDS")
        .obsolete("a REST credential expires at the timestamp inside its user name"),
    Opt(kAuth, "oauth", kFlag, "accept third-party authorisation tokens (RFC 7635)"),
    Opt(kAuth, "check-origin-consistency", kFlag,
        "require every later request of an allocation to carry the ORIGIN its Allocate carried "
        "(441 otherwise)")
        .to<&turn::Settings::check_origin_consistency>(),
    kUserdb,
    kPsqlUserdb,
    Opt(kAuth, "mysql-userdb", kString,
        "MySQL user database (\"host=... dbname=... user=... password=...\")")
        .letter('M')
        .arg("CONNINFO")
        .secret(),
    Opt(kAuth, "mongo-userdb", kString, "MongoDB user database (mongodb:// URI)")
        .letter('J')
        .arg("URI")
        .secret(),
    kRedisUserdb,
    kUserdbMaxStale,
    Opt(kAuth, "secret-key-file", kString,
        "AES key that decrypts an encrypted password in mysql-userdb")
        .arg("FILE"),
    Opt(kAuth, "no-auth-pings", kFlag, "do not probe the database secret tables periodically"),
    Opt(kAuth, "no-dynamic-realms", kFlag,
        "ignore ORIGIN: every request is in the configured realm, and the database's "
        "turn_origin_to_realm and turn_realm_option rows are not used")
        .to_not<&turn::Settings::dynamic_realms>(),
};

}  // namespace ferry::config::detail
