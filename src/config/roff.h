// The roff helpers live in ferry_common (turnadmin's man page uses them too).
#pragma once

#include "ferry/common/roff.h"

namespace ferry::config::detail {

using ferry::roff_escape;
using ferry::roff_text;

}  // namespace ferry::config::detail
