// Every row of the option table, by section; named rows (kMinPort, ...) are the ones other code
// refers to, so that no option name is written anywhere but its row.
#pragma once

#include "options_admin.h"
#include "options_auth.h"
#include "options_limits.h"
#include "options_listening.h"
#include "options_logging.h"
#include "options_misc.h"
#include "options_peers.h"
#include "options_protocol.h"
#include "options_relay.h"
#include "options_tls.h"
#include "options_web.h"
