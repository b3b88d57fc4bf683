// A client's TCP control connection: frames the byte stream into STUN / ChannelData messages
// (RFC 8489 §6.2.2, RFC 8656 §12.5) and hands each one to the worker.
//
// What a client can make us hold is bounded (issue 16 items 2 and 3):
// - input: one frame at most (the read high watermark), and a frame must be complete within
//   a deadline that arriving bytes do not restart (slowloris);
// - output: at most `output_limit` bytes, and all the worker's connections together at most
//   the worker's output budget (so the total does not grow with the descriptor limit). Over
//   either, reading stops (a client that pipelines requests and never reads the answers gets
//   no more answers) and relayed data for it is dropped and counted; reading resumes when half
//   of its own output has drained. A connection whose output makes no progress for the stall
//   timeout is closed.
// The worker's one-second tick enforces the deadlines (deadline_passed()), so no timer is
// re-armed per message.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include <cstddef>
#include <optional>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"

namespace ferry::net {

class Worker;

// Why a connection ended (counted in metrics).
enum class CloseReason {
  kClosed,       // EOF or error from the client's side
  kUnframeable,  // bytes that are neither STUN nor ChannelData (RFC 8656 §12.5)
  kStalled,      // output pending and none of it written for the stall timeout
  kIdle,         // no allocation and no complete message for max-allocate-timeout
  kSlowFrame,    // a frame not complete within the frame deadline (slowloris)
};

// What the worker wants done with a connection after one of its messages (RFC 6062).
enum class StreamNext {
  kContinue,  // the next message
  kPipe,      // a ConnectionBind succeeded: the rest of the stream is raw data (release())
  kHandOff,   // a ConnectionBind for another worker: give the connection, this message
              // included, to that worker (release())
  kStop,      // a refused ConnectionBind: read no more; the worker closes it soon
};

// Frees a client stream's bufferevent and what it holds. A TLS one is made without
// BEV_OPT_CLOSE_ON_FREE: with it, libevent would free the session and close the descriptor of
// the session's BIO later, in a finaliser on the loop, which must not happen to a session that
// has moved to another worker (RFC 6062 handoff). Its session and descriptor are freed here.
void free_stream(bufferevent* bev);

class TcpConnection {
 public:
  struct Limits {
    std::size_t output_limit = 64 * 1024;
    Duration frame_deadline = Seconds(10);  // from a frame's first byte to its last
    Duration stall_timeout = Seconds(30);   // output pending, nothing written
  };
  // `handshaking`: a TLS connection still in its handshake, which must complete within the
  // frame deadline (a client that opens connections and never finishes the handshake holds
  // a descriptor and a session only that long).
  TcpConnection(Worker& worker, bufferevent* bev, const FiveTuple& tuple, const Limits& limits,
                TimePoint now, bool handshaking = false);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Queues `data` for the client; false (nothing queued) when the output is over its limit.
  bool send(Bytes data);
  // Gives up the bufferevent (callbacks removed, its output no longer counted here): for an
  // RFC 6062 data connection or a handoff. The destructor then frees nothing.
  bufferevent* release();
  // Handles `input` as if just read (a connection handed over from another worker).
  void feed(Bytes input);
  // A connection handed over from another worker is never handed on (Worker::adopt): one
  // handoff per connection is all a data connection needs (its ConnectionBind, retried after
  // a 401 or 438, names the same id), and a stranger's pipelined ConnectionBinds must not
  // bounce it between workers, one cross-thread handoff and one copy of its input each.
  void mark_adopted() { adopted_ = true; }
  bool adopted() const { return adopted_; }
  const FiveTuple& tuple() const { return tuple_; }
  // When the last complete message arrived (or the connection was accepted).
  TimePoint last_message() const { return last_message_; }
  // A frame has been arriving for longer than the frame deadline.
  bool frame_overdue(TimePoint now) const {
    return partial_since_ && now - *partial_since_ > limits_.frame_deadline;
  }

 private:
  static void on_output_change(evbuffer* buf, const evbuffer_cb_info* info, void* arg);
  static void on_read(bufferevent* bev, void* arg);
  static void on_write(bufferevent* bev, void* arg);
  static void on_event(bufferevent* bev, short what, void* arg);
  void read_frames();
  bool output_full() const;

  Worker& worker_;
  bufferevent* bev_;
  FiveTuple tuple_;
  Limits limits_;
  TimePoint last_message_;
  std::optional<TimePoint> partial_since_;
  bool paused_ = false;                     // reading stopped while the output is over its limit
  bool stopped_ = false;                    // StreamNext::kStop: never reads again
  bool adopted_ = false;                    // handed over from another worker once already
  evbuffer_cb_entry* output_cb_ = nullptr;  // keeps the worker's output total
};

}  // namespace ferry::net
