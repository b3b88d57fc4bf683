// turnadmin -N: the commands of userdb::AdminStore on a Redis database, in the key layout
// coturn's turnserver reads (layout.h). A user gets coturn's key and Ferry's ferry-sha256
// key, in one MULTI/EXEC.
#pragma once

#include <memory>

#include "ferry/userdb/admin.h"
#include "ferry/userdb_redis/conninfo.h"

namespace ferry::userdb_redis {

Expected<std::unique_ptr<userdb::AdminStore>> open_redis_admin(const RedisConnInfo& info);

}  // namespace ferry::userdb_redis
