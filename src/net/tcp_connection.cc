#include "tcp_connection.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

#include "ferry/event/event_loop.h"
#include "ferry/stun/framing.h"
#include "worker.h"

namespace ferry::net {

namespace {
// One frame: the largest STUN message (65,535 bytes of attributes and its 20-byte header) or
// ChannelData (4 + 65,535, padded). libevent may read one chunk past the mark.
constexpr std::size_t kReadHighWatermark = 65535 + 20 + 4;
}  // namespace

TcpConnection::TcpConnection(Worker& worker, bufferevent* bev, const FiveTuple& tuple,
                             const Limits& limits, TimePoint now, bool handshaking)
    : worker_(worker), bev_(bev), tuple_(tuple), limits_(limits), last_message_(now) {
  if (handshaking) partial_since_ = now;  // the handshake is the first frame to complete
  bufferevent_setcb(bev_, &TcpConnection::on_read, &TcpConnection::on_write,
                    &TcpConnection::on_event, this);
  output_cb_ =
      evbuffer_add_cb(bufferevent_get_output(bev_), &TcpConnection::on_output_change, this);
  bufferevent_setwatermark(bev_, EV_READ, 0, kReadHighWatermark);
  // The write callback runs when the output has drained to half the limit: reading resumes.
  bufferevent_setwatermark(bev_, EV_WRITE, limits_.output_limit / 2, 0);
  // No read timeout: libevent restarts it on every byte, which a client sending one byte a
  // second would exploit. The worker's tick applies deadlines that bytes do not restart. The
  // write timeout fires only while output is pending and none of it could be written.
  timeval stall = event::to_timeval(limits_.stall_timeout);
  bufferevent_set_timeouts(bev_, nullptr, &stall);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

void free_stream(bufferevent* bev) {
  SSL* ssl = bufferevent_openssl_get_ssl(bev);
  if (ssl == nullptr) {
    bufferevent_free(bev);  // made with BEV_OPT_CLOSE_ON_FREE
    return;
  }
  const evutil_socket_t fd = bufferevent_getfd(bev);
  bufferevent_free(bev);  // its events are off the loop now; nothing of it reads the session
  SSL_free(ssl);
  if (fd >= 0) evutil_closesocket(fd);
}

TcpConnection::~TcpConnection() {
  if (bev_ != nullptr) free_stream(release());
}

bufferevent* TcpConnection::release() {
  evbuffer* out = bufferevent_get_output(bev_);
  if (output_cb_ != nullptr) evbuffer_remove_cb_entry(out, output_cb_);
  output_cb_ = nullptr;
  worker_.account_tcp_output(0, evbuffer_get_length(out));  // no longer this worker's to count
  bufferevent_setcb(bev_, nullptr, nullptr, nullptr, nullptr);
  bufferevent* bev = bev_;
  bev_ = nullptr;
  return bev;
}

void TcpConnection::feed(Bytes input) {
  // A socket bufferevent keeps its input frozen at the end (only it appends, as it reads); a
  // TLS one does not, and must not be left frozen.
  evbuffer* in = bufferevent_get_input(bev_);
  if (evbuffer_add(in, input.data(), input.size()) != 0) {
    evbuffer_unfreeze(in, 0);
    evbuffer_add(in, input.data(), input.size());
    evbuffer_freeze(in, 0);
  }
  read_frames();
}

void TcpConnection::on_output_change(evbuffer* /*buf*/, const evbuffer_cb_info* info, void* arg) {
  static_cast<TcpConnection*>(arg)->worker_.account_tcp_output(info->n_added, info->n_deleted);
}

bool TcpConnection::output_full() const {
  return evbuffer_get_length(bufferevent_get_output(bev_)) >= limits_.output_limit;
}

bool TcpConnection::send(Bytes data) {
  if (output_full()) {
    if (!paused_) {
      paused_ = true;
      bufferevent_disable(bev_, EV_READ);
    }
    return false;
  }
  // The worker's budget is shared: shed this message, but do not pause a connection whose own
  // output is small (nothing of its own would drain to resume it). The stuck connections that
  // fill the budget pause on their own limit and close at the stall timeout.
  if (worker_.tcp_output_over_budget()) return false;
  bufferevent_write(bev_, data.data(), data.size());
  return true;
}

void TcpConnection::on_read(bufferevent* /*bev*/, void* arg) {
  static_cast<TcpConnection*>(arg)->read_frames();
}

void TcpConnection::on_write(bufferevent* /*bev*/, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (!self->paused_ || self->stopped_) return;
  self->paused_ = false;
  bufferevent_enable(self->bev_, EV_READ);
  self->read_frames();  // frames left in the input while paused
}

void TcpConnection::read_frames() {
  evbuffer* in = bufferevent_get_input(bev_);
  // Control connections carry small messages; making the buffered bytes contiguous is cheaper
  // than reassembling frames piecewise, and the watermark bounds it.
  std::size_t len = evbuffer_get_length(in);
  const auto* p = static_cast<const std::uint8_t*>(evbuffer_pullup(in, -1));
  std::size_t used = 0;
  TimePoint now = Clock::now();
  // Stop at a full output: the rest of a pipelined burst waits in the input (bounded by the
  // watermark) until the client reads its answers.
  while (used < len && !paused_ && !stopped_) {
    auto f = stun::next_frame(Bytes(p + used, len - used));
    if (f.status == stun::FrameResult::kNeedMore) break;
    if (f.status == stun::FrameResult::kError) {
      // Not STUN and not ChannelData: the stream cannot be resynchronised (RFC 8656 §12.5).
      worker_.on_connection_closed(*this, CloseReason::kUnframeable);
      return;
    }
    last_message_ = now;
    const StreamNext next = worker_.on_stream_message(*this, Bytes(p + used, f.frame_size), now);
    if (next == StreamNext::kHandOff) {
      evbuffer_drain(in, used);  // this message stays: the other worker handles it
      worker_.hand_off(*this);   // destroys this connection
      return;
    }
    used += f.frame_size;
    if (next == StreamNext::kPipe) {
      evbuffer_drain(in, used);   // what follows is data for the peer
      worker_.start_pipe(*this);  // destroys this connection
      return;
    }
    if (next == StreamNext::kStop) {
      stopped_ = true;
      bufferevent_disable(bev_, EV_READ);
    }
    if (output_full()) {
      paused_ = true;
      bufferevent_disable(bev_, EV_READ);
    }
  }
  evbuffer_drain(in, used);
  // A frame has started: it must be complete within the deadline, however slowly it trickles.
  // A read that completed frames and stopped inside the next one has made progress: the next
  // frame's clock starts now (busy streams seldom end a read on a frame boundary).
  if (used < len) {
    if (!partial_since_ || used > 0) partial_since_ = now;
  } else {
    partial_since_.reset();
  }
  if (used < len && paused_) partial_since_.reset();  // waiting on us, not on the client
}

void TcpConnection::on_event(bufferevent* /*bev*/, short what, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  if ((what & BEV_EVENT_CONNECTED) != 0) {
    // TLS: the handshake completed; the next frame's clock starts at its first byte.
    self->partial_since_.reset();
    return;
  }
  CloseReason why = CloseReason::kClosed;
  if ((what & BEV_EVENT_TIMEOUT) != 0) why = CloseReason::kStalled;  // only a write timeout
  // EOF, error or a stalled output: all end the connection and everything bound to it.
  self->worker_.on_connection_closed(*self, why);
}

}  // namespace ferry::net
