#include "loadgen/stream.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

namespace ferry::loadgen {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
// Reads per call (over TLS one record each: without read-ahead, OpenSSL takes exactly one
// record from the socket per SSL_read, so nothing waits in the session unseen by epoll).
// Bounded for fairness between the client sockets of one wake-up; epoll is level-triggered.
constexpr int kMaxReadsPerCall = 64;
}  // namespace

Stream::Stream(client::ClientSocket& socket, StreamCounters* counters)
    : socket_(socket), counters_(counters), ssl_(socket.tls_session()) {
  if (ssl_ == nullptr) return;
  // Records are written into memory and sent with the tick's other records in one send();
  // the socket BIO stays the read side. SSL_set0_wbio drops the session's second reference
  // to the socket BIO (SSL_set_fd made it both rbio and wbio).
  records_ = BIO_new(BIO_s_mem());
  SSL_set0_wbio(ssl_, records_);
  SSL_set_msg_callback(ssl_, &Stream::on_tls_message);
  SSL_set_msg_callback_arg(ssl_, this);
}

Stream::~Stream() {
  if (ssl_ == nullptr) return;
  // What is still pending is dropped with the data phase; then writes go to the socket again.
  SSL_set_msg_callback(ssl_, nullptr);
  BIO* sock = SSL_get_rbio(ssl_);
  BIO_up_ref(sock);
  SSL_set0_wbio(ssl_, sock);  // frees the memory BIO
}

void Stream::on_tls_message(int write_p, int /*version*/, int content_type, const void* /*buf*/,
                            std::size_t /*len*/, ssl_st* /*ssl*/, void* arg) {
  // OpenSSL reports every record's 5-byte header as SSL3_RT_HEADER.
  if (content_type != SSL3_RT_HEADER) return;
  auto* self = static_cast<Stream*>(arg);
  ++(write_p != 0 ? self->counters_->records_out : self->counters_->records_in);
}

std::size_t Stream::pending() const {
  const std::size_t buffered = out_.size() - out_sent_;
  return records_ == nullptr ? buffered : buffered + BIO_ctrl_pending(records_);
}

bool Stream::queue(Bytes message) {
  if (closed_ || pending() + message.size() > kMaxPending) return false;
  if (ssl_ == nullptr) {
    out_.insert(out_.end(), message.begin(), message.end());
    return true;
  }
  // A memory BIO takes everything: one whole record per message.
  return SSL_write(ssl_, message.data(), static_cast<int>(message.size())) ==
         static_cast<int>(message.size());
}

void Stream::take_records() {
  if (records_ == nullptr || BIO_ctrl_pending(records_) == 0) return;
  char* data = nullptr;
  const long n = BIO_get_mem_data(records_, &data);
  if (n > 0) out_.insert(out_.end(), data, data + n);
  (void)BIO_reset(records_);
}

bool Stream::flush() {
  take_records();
  while (out_sent_ < out_.size()) {
    const ssize_t n = ::send(socket_.fd(), out_.data() + out_sent_, out_.size() - out_sent_,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // full (EAGAIN), or an error that the read side will see as the end
    out_sent_ += static_cast<std::size_t>(n);
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    return true;
  }
  if (out_sent_ > out_.size() / 2) {
    out_.erase(out_.begin(), out_.begin() + static_cast<long>(out_sent_));
    out_sent_ = 0;
  }
  return false;
}

bool Stream::fill() {
  std::uint8_t buf[kReadChunk];
  for (int i = 0; i < kMaxReadsPerCall; ++i) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::recv(socket_.fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        in_.insert(in_.end(), buf, buf + n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    const int n = SSL_read(ssl_, buf, static_cast<int>(sizeof buf));
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      continue;
    }
    // Reading may have made the session write (a TLS 1.3 KeyUpdate answer): send it along.
    if (records_ != nullptr && BIO_ctrl_pending(records_) > 0) flush();
    const int err = SSL_get_error(ssl_, n);
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
  }
  return true;  // more may be there: the next wake-up (level-triggered) reads it
}

std::string Stream::tls_description() const {
  if (ssl_ == nullptr) return "";
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

}  // namespace ferry::loadgen
