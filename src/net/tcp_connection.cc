#include "tcp_connection.h"

#include <event2/buffer.h>

#include "ferry/stun/framing.h"
#include "worker.h"

namespace ferry::net {

namespace {
// The largest frame is a 65,535-byte STUN body plus header; twice that bounds what one slow or
// hostile client can make us buffer while still letting a whole frame arrive.
constexpr std::size_t kReadHighWatermark = 2 * (65535 + 20);
}  // namespace

TcpConnection::TcpConnection(Worker& worker, bufferevent* bev, const FiveTuple& tuple)
    : worker_(worker), bev_(bev), tuple_(tuple) {
  bufferevent_setcb(bev_, &TcpConnection::on_read, nullptr, &TcpConnection::on_event, this);
  bufferevent_setwatermark(bev_, EV_READ, 0, kReadHighWatermark);
  auto idle =
      std::chrono::duration_cast<std::chrono::microseconds>(worker_.settings().tcp_idle_timeout);
  timeval tv{static_cast<time_t>(idle.count() / 1000000),
             static_cast<suseconds_t>(idle.count() % 1000000)};
  bufferevent_set_timeouts(bev_, &tv, nullptr);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

TcpConnection::~TcpConnection() {
  bufferevent_free(bev_);
}

void TcpConnection::send(Bytes data) {
  bufferevent_write(bev_, data.data(), data.size());
}

void TcpConnection::on_read(bufferevent* /*bev*/, void* arg) {
  static_cast<TcpConnection*>(arg)->read_frames();
}

void TcpConnection::read_frames() {
  evbuffer* in = bufferevent_get_input(bev_);
  // Control connections carry small messages; making the buffered bytes contiguous is cheaper
  // than reassembling frames piecewise, and the watermark bounds it.
  std::size_t len = evbuffer_get_length(in);
  const auto* p = static_cast<const std::uint8_t*>(evbuffer_pullup(in, -1));
  std::size_t used = 0;
  while (used < len) {
    auto f = stun::next_frame(Bytes(p + used, len - used));
    if (f.status == stun::FrameResult::kNeedMore) break;
    if (f.status == stun::FrameResult::kError) {
      // Not STUN and not ChannelData: the stream cannot be resynchronised (RFC 8656 §12.5).
      worker_.on_connection_closed(*this);
      return;
    }
    worker_.on_stream_message(*this, Bytes(p + used, f.frame_size));
    used += f.frame_size;
  }
  evbuffer_drain(in, used);
}

void TcpConnection::on_event(bufferevent* /*bev*/, short what, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  // An idle connection that carries an allocation stays: its lifetime (refreshed by the client)
  // governs it, and a quiet data channel is not an abandoned one. Idle strangers are closed.
  if ((what & BEV_EVENT_TIMEOUT) != 0 && self->worker_.has_allocation(self->tuple_)) {
    bufferevent_enable(self->bev_, EV_READ);
    return;
  }
  // EOF, error or idle timeout: all end the connection and everything bound to it.
  self->worker_.on_connection_closed(*self);
}

}  // namespace ferry::net
