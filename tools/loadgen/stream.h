// ferry-loadgen's data phase over a stream (TCP, or TLS over TCP): a client connection that the
// blocking TURN client has set up (Allocate, ChannelBind), driven from here on without blocking
// by the traffic loop.
//
// Out: each queued message is whole ChannelData (padded to 4 bytes, RFC 8656 §12.5) or a Send
// indication. Over TLS each message becomes its own record, as a WebRTC client writes one
// record per packet, so the server decrypts one record per packet; the records (or TCP
// messages) queued in one tick leave in one send(). Output the socket does not take waits in a
// user-space buffer of at most kMaxPending bytes; a message that would exceed it is refused
// (the caller counts it as a send error, as a full UDP socket buffer).
//
// In: ChannelData, Data indications and any STUN message are interleaved on one byte stream and
// records do not align with messages: bytes are buffered until stun::next_frame() says a whole
// frame is there, and only whole frames reach the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/client_socket.h"
#include "ferry/common/bytes.h"
#include "ferry/stun/framing.h"

struct bio_st;

namespace ferry::loadgen {

struct StreamCounters {
  std::uint64_t records_in = 0;   // TLS records received during the data phase
  std::uint64_t records_out = 0;  // TLS records sent during the data phase
  std::uint64_t closed = 0;       // streams that ended (EOF, error, unframeable bytes)
};

class Stream {
 public:
  static constexpr std::size_t kMaxPending = 256 * 1024;

  // `socket` must be a connected TCP or TLS ClientSocket with nothing buffered; it must outlive
  // this object. From here until the destructor, the socket is written only through this object.
  Stream(client::ClientSocket& socket, StreamCounters* counters);
  // Gives the socket back to blocking use (TLS: writes go to the socket again).
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Queues one whole message; false (nothing queued) if the pending output is full.
  bool queue(Bytes message);
  // Writes what the socket takes of the pending output; true if nothing is left pending.
  bool flush();
  std::size_t pending() const;
  // Reads what is available and calls on_frame(Bytes) for each whole frame; false once the
  // stream has ended or sent bytes that cannot be framed (the caller stops polling it).
  template <typename OnFrame>
  bool read(OnFrame&& on_frame) {
    if (closed_) return false;
    if (!fill()) closed_ = true;
    std::size_t used = 0;
    for (;;) {
      const Bytes rest(in_.data() + used, in_.size() - used);
      const auto f = stun::next_frame(rest);
      if (f.status == stun::FrameResult::kError) {
        closed_ = true;
        break;
      }
      if (f.status == stun::FrameResult::kNeedMore) break;
      on_frame(rest.first(f.frame_size));
      used += f.frame_size;
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<long>(used));
    if (closed_) ++counters_->closed;
    return !closed_;
  }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", or "" over TCP.
  std::string tls_description() const;

 private:
  // Appends what the socket has (bounded per call); false on EOF or an error.
  bool fill();
  void take_records();  // TLS: moves the records written so far into out_
  static void on_tls_message(int write_p, int version, int content_type, const void* buf,
                             std::size_t len, struct ssl_st* ssl, void* arg);

  client::ClientSocket& socket_;
  StreamCounters* counters_;
  struct ssl_st* ssl_ = nullptr;
  bio_st* records_ = nullptr;  // TLS: memory BIO the records are written into
  std::vector<std::uint8_t> out_;
  std::size_t out_sent_ = 0;  // bytes of out_ already written to the socket
  std::vector<std::uint8_t> in_;
  bool closed_ = false;
};

}  // namespace ferry::loadgen
