// turnadmin -e: the commands of userdb::AdminStore on a PostgreSQL database, in coturn's tables
// (created when missing, as coturn's schema.sql makes them, plus Ferry's ferry_sha256_key).
// Every value is a bound parameter.
#pragma once

#include <memory>

#include "ferry/userdb/admin.h"
#include "ferry/userdb_pg/conninfo.h"

namespace ferry::userdb_pg {

Expected<std::unique_ptr<userdb::AdminStore>> open_pg_admin(const PgConnInfo& info);

}  // namespace ferry::userdb_pg
