// Where the core's output goes. The core never touches sockets (DESIGN.md section 1): the
// network layer implements Egress and batches what it is given.
#pragma once

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"

namespace ferry::turn {

class Egress {
 public:
  virtual ~Egress() = default;
  // Send `data` to the client of this 5-tuple, from the server address it used. The bytes are
  // only valid during the call: implementations copy them into their send batch.
  virtual void to_client(const FiveTuple& tuple, Bytes data) = 0;
};

}  // namespace ferry::turn
