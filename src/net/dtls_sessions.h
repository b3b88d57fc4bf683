// TURN over DTLS (RFC 8656 §3.1, RFC 7350 §4; DTLS 1.2, RFC 6347) on one UDP socket: the
// sessions of its clients, by source address, each an OpenSSL session whose records come and
// go through that socket.
//
// What a stranger can make it hold or send (abuse cases, each tested in dtls_test.cc):
// - a ClientHello from any (possibly spoofed) source gets one HelloVerifyRequest, no larger
//   than what came in, and nothing is kept (RFC 6347 §4.2.1; dtls_cookie.h);
// - a session starts only for a ClientHello with a valid cookie, i.e. from a source that
//   receives at its address, and counts against the connection limits of streams (total and
//   max-tcp-connections-per-ip) and against tls-handshake-rate;
// - a handshake must complete within the frame deadline (tcp-frame-timeout); a session with
//   no allocation that sends nothing for max-allocate-timeout is closed;
// - records that do not decrypt, and garbage, are dropped by OpenSSL without an answer;
// - a new ClientHello (epoch 0) from the address of an existing session replaces it only
//   once its cookie proves the address (RFC 6347 §4.2.8), so a spoofer cannot end a session.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dtls_cookie.h"
#include "ferry/common/address.h"
#include "ferry/common/bytes.h"
#include "ferry/common/time.h"
#include "ferry/tls/tls_context.h"
#include "udp_batch.h"

namespace ferry::net {

class Worker;

class DtlsSessions final : public tls::DtlsCookies {
 public:
  struct Limits {
    Duration handshake_deadline = Seconds(10);
    Duration idle_timeout = Seconds(60);  // without an allocation
  };
  // `fd`, `local`, `listener` and `batch` are the UDP endpoint's: records go out through its
  // send batch. Null when OpenSSL cannot make the listening session.
  static std::unique_ptr<DtlsSessions> create(Worker& worker, const tls::TlsHolder& tls,
                                              const CookieJar& cookies, int fd,
                                              const Address& local, std::uint8_t listener,
                                              SendBatch& batch, const Limits& limits);
  ~DtlsSessions() override;
  DtlsSessions(const DtlsSessions&) = delete;
  DtlsSessions& operator=(const DtlsSessions&) = delete;

  // RFC 7983 §7: a first byte of 20..63 is DTLS.
  static bool is_dtls(Bytes datagram) {
    return !datagram.empty() && datagram[0] >= 20 && datagram[0] <= 63;
  }
  // One datagram from `from`.
  void on_datagram(const Address& from, Bytes datagram, TimePoint now);
  // Encrypts one message for the client of `tuple`; false when it has no established session.
  bool send(const FiveTuple& tuple, Bytes message);
  // Once a second: handshake retransmissions (RFC 6347 §4.2.4), deadlines.
  void tick(TimePoint now);
  std::size_t size() const { return sessions_.size(); }
  // Ends every session as if it had closed (the worker is stopping).
  void close_all();
  // Queues one datagram for `to` on the endpoint's socket (the BIOs write here).
  void queue(const Address& to, Bytes datagram);

  // tls::DtlsCookies: for the source of the session's link, at the current datagram's time.
  std::size_t make(SSL* ssl, std::uint8_t* out) override;
  bool check(SSL* ssl, const std::uint8_t* cookie, std::size_t size) override;

  // Where a session's records come from and go to (its BIO's data).
  struct Link {
    DtlsSessions* owner = nullptr;
    Address peer;
    Bytes in;  // the datagram being handled; read once
  };

 private:
  struct Session {
    SSL* ssl = nullptr;
    Link link;
    FiveTuple tuple;
    TimePoint started;
    TimePoint last_message;
    bool established = false;
    // Once established: the ClientHello random (a copy of the hello that started this session
    // is a replay, not a restart) and the smallest record the cipher can produce.
    std::array<std::uint8_t, 32> client_random{};
    std::size_t min_record = 0;
    ~Session();
  };
  enum class End { kClosed, kSlow, kIdle };

  DtlsSessions(Worker& worker, const CookieJar& cookies, int fd, const Address& local,
               std::uint8_t listener, SendBatch& batch, const Limits& limits);
  SSL* new_listener();
  // A ClientHello from a source without a session (or replacing one): cookie exchange; a
  // new session when the cookie is valid. The session for `from`, or null.
  Session* listen(const Address& from, Bytes datagram, TimePoint now);
  // Runs the handshake or reads records after `datagram` was handed to the session; false
  // when the session ended (it is gone then).
  bool run(Session& s, TimePoint now);
  void end(Address client, End why);
  static bool is_client_hello_epoch0(Bytes datagram);
  // A datagram an established session must not see: a record at a later epoch shorter than
  // the cipher's overhead (OpenSSL 3.0 answers it with a fatal alert, so a spoofer could end
  // the session), or a copy of the ClientHello that started it.
  static bool harmful(const Session& s, Bytes datagram);

  Worker& worker_;
  const tls::TlsHolder* tls_ = nullptr;
  std::uint64_t listener_generation_ = 0;  // of the context listener_ was made from
  const CookieJar& cookies_;
  int fd_;
  Address local_;
  std::uint8_t listener_index_;
  SendBatch& batch_;
  Limits limits_;
  BIO_METHOD* method_ = nullptr;
  SSL* listener_ = nullptr;  // DTLSv1_listen's session; becomes a client's once verified
  Link listen_link_;
  TimePoint now_{};  // the time of the datagram being handled, for cookies
  std::unordered_map<Address, std::unique_ptr<Session>> sessions_;
  std::vector<std::uint8_t> plain_;  // one record's plaintext
};

}  // namespace ferry::net
