#include "turn_client.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "ferry/auth/nonce.h"
#include "ferry/stun/attributes.h"
#include "ferry/stun/channel_data.h"
#include "stun_binding.h"

namespace ferry::client {

namespace attr = stun::attr;

namespace {

// Credentials take at most ~1.6 KB (RFC 8489 §14.3, §14.9, §14.10 limits); the rest leaves room
// for a CreatePermission with a few hundred IPv6 peers.
constexpr std::size_t kRequestBufferSize = 8192;
// Header, XOR-PEER-ADDRESS (IPv6), DATA header and padding, DONT-FRAGMENT, FINGERPRINT.
constexpr std::size_t kIndicationOverhead = 20 + 24 + 4 + 3 + 4 + 8;
// Peer data queued while a transaction waits; beyond this the oldest is dropped (UDP semantics).
constexpr std::size_t kMaxQueued = 4096;

// Rounded up, so receive() never returns just before `until` because of truncation.
Millis remaining(TimePoint until) {
  auto left = until - Clock::now();
  return left <= Duration::zero() ? Millis(0) : std::chrono::ceil<Millis>(left);
}

Bytes view(const std::vector<std::uint8_t>& v) {
  return {v.data(), v.size()};
}

Address ip_only(Address a) {
  a.set_port(0);
  return a;
}

}  // namespace

TurnClient::TurnClient(ClientSocket socket, TurnOptions options)
    : socket_(std::move(socket)), options_(options), request_buf_(kRequestBufferSize) {}

// RFC 8656 §7.1: REQUESTED-TRANSPORT (UDP, the only relay transport here) and, optionally, the
// LIFETIME the client would like.
AllocateResult TurnClient::allocate(std::string_view user, std::string_view password,
                                    std::uint32_t lifetime, const AllocateOptions& options) {
  auto add = [lifetime, options](stun::MessageBuilder& b) {
    b.add(attr::RequestedTransport{attr::RequestedTransport::kUdp});
    if (lifetime != 0) b.add(attr::Lifetime{lifetime});
    if (options.requested_family) b.add(attr::RequestedAddressFamily{*options.requested_family});
    if (options.dual) b.add(attr::AdditionalAddressFamily{Family::kV6});
    if (options.dont_fragment) b.add(attr::DontFragment{});
    if (options.mobility) b.add(attr::MobilityTicket{});
  };
  Credentials saved = creds_;
  if (!creds_.known || creds_.user != user || creds_.password != password) {
    creds_ = Credentials{std::string(user), std::string(password)};
  }
  Response resp;
  AllocateResult r;
  static_cast<TurnStatus&>(r) = authenticate_allocate(add, &resp);
  if (!r.ok) {
    creds_ = std::move(saved);  // an earlier allocation keeps working
    return r;
  }
  permissions_.clear();
  channels_.clear();
  auto m = stun::MessageView::parse(view(resp));
  for (std::size_t i = 0; i < m->attribute_count(); ++i) {
    const stun::RawAttribute raw = m->attribute(i);
    if (raw.type != attr::XorRelayedAddress::kType) continue;
    if (auto a = attr::XorRelayedAddress::parse(raw.value, m->transaction_id())) {
      r.relayed_all.push_back(a->address);
    }
  }
  if (!r.relayed_all.empty()) r.relayed = r.relayed_all.front();
  if (auto a = m->get<attr::XorMappedAddress>()) r.mapped = a->address;
  if (auto l = m->get<attr::Lifetime>()) r.lifetime = l->seconds;
  if (auto t = m->get<attr::MobilityTicket>()) r.ticket.assign(t->value.begin(), t->value.end());
  if (auto e = m->get<attr::AddressErrorCode>()) {
    r.address_error_family = e->family;
    r.address_error_code = e->code;
  }
  // RFC 8656 §7.3: the success response carries the relayed address; without it nothing works.
  if (r.relayed.empty()) {
    r.ok = false;
    r.reason = "Allocate success response without XOR-RELAYED-ADDRESS";
  }
  return r;
}

// RFC 8656 §8.1: LIFETIME is always sent, so that 0 deletes. §8.3: a 437 means the allocation no
// longer exists, which for a deletion counts as success (ok, error_code still 437).
RefreshResult TurnClient::refresh(std::uint32_t lifetime, Family family) {
  auto add = [lifetime, family](stun::MessageBuilder& b) {
    b.add(attr::Lifetime{lifetime});
    if (family != Family::kNone) b.add(attr::RequestedAddressFamily{family});
  };
  Response resp;
  RefreshResult r;
  static_cast<TurnStatus&>(r) = request(stun::Method::kRefresh, add, &resp);
  if (r.ok) {
    auto m = stun::MessageView::parse(view(resp));
    if (auto l = m->get<attr::Lifetime>()) r.lifetime = l->seconds;
  }
  if (r.error_code == 437 && lifetime == 0) r.ok = true;
  // Deleting one family of a dual allocation leaves the other's permissions and channels.
  if ((r.ok && lifetime == 0 && family == Family::kNone) || r.error_code == 437) {
    permissions_.clear();
    channels_.clear();
  }
  return r;
}

RefreshResult TurnClient::move(std::string_view user, std::string_view password, Bytes ticket,
                               const TurnClient* from) {
  if (!creds_.known || creds_.user != user || creds_.password != password) {
    creds_ = Credentials{std::string(user), std::string(password)};
  }
  std::vector<std::uint8_t> copy(ticket.begin(), ticket.end());
  auto add = [&copy](stun::MessageBuilder& b) { b.add(attr::MobilityTicket{view(copy)}); };
  Response resp;
  RefreshResult r;
  static_cast<TurnStatus&>(r) = authenticated(stun::Method::kRefresh, add, &resp);
  if (!r.ok) return r;
  auto m = stun::MessageView::parse(view(resp));
  if (auto l = m->get<attr::Lifetime>()) r.lifetime = l->seconds;
  if (auto t = m->get<attr::MobilityTicket>()) r.ticket.assign(t->value.begin(), t->value.end());
  if (from != nullptr && from != this) {
    permissions_ = from->permissions_;
    channels_ = from->channels_;
  }
  return r;
}

// RFC 8656 §10.1: one XOR-PEER-ADDRESS per peer; the server ignores the ports (§10.2).
TurnStatus TurnClient::create_permission(std::span<const Address> peers) {
  if (peers.empty()) return TurnStatus{.reason = "CreatePermission needs at least one peer"};
  auto add = [peers](stun::MessageBuilder& b) {
    for (const Address& p : peers) b.add(attr::XorPeerAddress{p});
  };
  Response resp;
  TurnStatus st = request(stun::Method::kCreatePermission, add, &resp);
  if (st.ok) {
    for (const Address& p : peers) remember_permission(p);
  }
  return st;
}

// RFC 8656 §12.1: CHANNEL-NUMBER and XOR-PEER-ADDRESS. The number is not range-checked here, so
// tests can make a server answer 400. §12: ChannelData may arrive before the success response,
// so the binding is tentatively recorded while the transaction runs.
TurnStatus TurnClient::channel_bind(std::uint16_t channel, const Address& peer) {
  const bool known = channel_peer(channel) != nullptr;
  if (!known) channels_.emplace_back(channel, peer);
  auto add = [channel, &peer](stun::MessageBuilder& b) {
    b.add(attr::ChannelNumber{channel}).add(attr::XorPeerAddress{peer});
  };
  Response resp;
  TurnStatus st = request(stun::Method::kChannelBind, add, &resp);
  auto it = std::find_if(channels_.begin(), channels_.end(),
                         [channel](const auto& c) { return c.first == channel; });
  if (st.ok) {
    it->second = peer;
    remember_permission(peer);  // RFC 8656 §12.1: ChannelBind also installs a permission
  } else if (!known && it != channels_.end()) {
    channels_.erase(it);
  }
  return st;
}

// RFC 8656 §11.1: XOR-PEER-ADDRESS and DATA. Indications cannot be authenticated; the permission
// the RFC requires first is the caller's business (not checked, so tests can probe the server).
bool TurnClient::send_indication(const Address& peer, Bytes data, bool dont_fragment) {
  data_buf_.resize(data.size() + kIndicationOverhead);
  stun::MessageBuilder b(data_buf_, stun::Method::kSend, stun::Class::kIndication,
                         random_transaction_id());
  b.add(attr::XorPeerAddress{peer}).add(attr::Data{data});
  if (dont_fragment) b.add(attr::DontFragment{});
  if (options_.fingerprint) b.add_fingerprint();
  Bytes msg = b.finish();
  return !msg.empty() && socket_.send(msg);
}

// RFC 8656 §12.4: Channel Number, Length, data. §12.5: over TCP the message is padded to a
// multiple of 4 (the padding is not counted in Length); over UDP and DTLS padding is optional:
// none.
bool TurnClient::send_channel_data(std::uint16_t channel, Bytes data) {
  if (data.size() > 0xFFFF) return false;
  const bool tcp = is_stream(socket_.transport());
  const std::size_t body = tcp ? stun::padded_size(data.size()) : data.size();
  data_buf_.resize(stun::kChannelDataHeaderSize + body);
  stun::write_channel_data_header(data_buf_.data(), channel,
                                  static_cast<std::uint16_t>(data.size()));
  auto out = data_buf_.begin() + stun::kChannelDataHeaderSize;
  std::fill(std::copy(data.begin(), data.end(), out), data_buf_.end(), 0);
  return socket_.send(view(data_buf_));
}

std::optional<PeerData> TurnClient::receive_data(Millis timeout) {
  const auto until = Clock::now() + timeout;
  const bool stream = is_stream(socket_.transport());
  for (;;) {
    if (!queued_.empty()) {
      PeerData d = std::move(queued_.front());
      queued_.pop_front();
      return d;
    }
    auto got = socket_.receive(remaining(until));
    if (got) {
      if (auto d = decode_peer_data(*got)) return d;
    } else if (stream) {
      closed_ = Clock::now() < until;  // receive() waits until `until` unless the stream closed
      return std::nullopt;
    }
    // UDP: an ICMP error can end receive() early; keep waiting until the deadline.
    if (Clock::now() >= until) return std::nullopt;
  }
}

// One request with credentials (when known) and FINGERPRINT. RFC 8489 §9.2.5: a 438 (Stale
// Nonce) carries a fresh NONCE; the request is retried once with it, with a new transaction id.
TurnStatus TurnClient::request(stun::Method method, const AddAttributes& add, Response* out) {
  for (int attempt = 0;; ++attempt) {
    const auto tid = random_transaction_id();
    Bytes req = build_request(method, add, tid);
    if (req.empty()) return TurnStatus{.reason = "request cannot be encoded (too large?)"};
    std::string why;
    auto got = transact(req, tid, static_cast<std::uint16_t>(method), &why);
    if (!got) return TurnStatus{.reason = why};
    *out = std::move(*got);
    auto m = stun::MessageView::parse(view(*out));  // transact() returns parsed messages only
    TurnStatus st = status_of(*m);
    if (st.error_code == 438 && attempt == 0 && creds_.known && take_fresh_nonce(*out)) {
      continue;
    }
    return st;
  }
}

// RFC 8489 §9.2.3: a first request carries no credentials; the 401 answer names the realm and a
// nonce, and the request is sent again with them. Credentials cached from an earlier allocation
// are used at once; a 401 to them (say, a server restarted with another realm) is learnt from in
// the same way, once.
TurnStatus TurnClient::authenticated(stun::Method method, const AddAttributes& add, Response* out) {
  TurnStatus st = request(method, add, out);
  if (st.error_code != 401) return st;
  std::string why;
  if (!learn_challenge(*out, &why)) {
    st.reason = why;
    return st;
  }
  return request(method, add, out);
}

Bytes TurnClient::build_request(stun::Method method, const AddAttributes& add,
                                const stun::TransactionId& tid) {
  stun::MessageBuilder b(request_buf_, method, stun::Class::kRequest, tid);
  add(b);
  if (!options_.origin.empty()) b.add(attr::Origin{options_.origin});
  if (creds_.known) add_credentials(b);
  if (options_.fingerprint) b.add_fingerprint();
  return b.finish();
}

// RFC 8489 §9.2.4: USERNAME (or USERHASH), REALM, NONCE, then MESSAGE-INTEGRITY(-SHA256) over
// the message with the long-term key. When the 401 listed PASSWORD-ALGORITHMS, the list is
// echoed and the algorithm used named (§9.2.5).
void TurnClient::add_credentials(stun::MessageBuilder& b) const {
  if (options_.userhash) {
    const auth::Sha256Key hash = auth::userhash(creds_.user, creds_.realm);
    b.add(attr::Userhash{Bytes(hash.data(), hash.size())});
  } else {
    b.add(attr::Username{creds_.user});
  }
  b.add(attr::Realm{creds_.realm});
  b.add(attr::Nonce{creds_.nonce});
  if (!creds_.password_algorithms.empty()) {
    b.add_raw(attr::PasswordAlgorithms::kType, view(creds_.password_algorithms));
    b.add(attr::PasswordAlgorithm{options_.password == PasswordChoice::kSha256
                                      ? attr::PasswordAlgorithm::kSha256
                                      : attr::PasswordAlgorithm::kMd5,
                                  {}});
  }
  if (creds_.key.sha256_integrity) {
    b.add_message_integrity_sha256(creds_.key.view());
  } else {
    b.add_message_integrity(creds_.key.view());
  }
}

// RFC 8489 §6.2.1: over UDP the request is retransmitted, the interval doubling, until the
// transaction times out; §6.2.2: over TCP it is sent once and the whole timeout waited for.
std::optional<TurnClient::Response> TurnClient::transact(Bytes request,
                                                         const stun::TransactionId& tid,
                                                         std::uint16_t method, std::string* why) {
  const bool udp = !is_stream(socket_.transport());  // UDP or DTLS: retransmit
  const auto deadline = Clock::now() + options_.timeout;
  Millis rto = options_.initial_rto;
  while (Clock::now() < deadline) {
    // A UDP send can fail with the ICMP error of an earlier attempt: still just "no response".
    if (!socket_.send(request) && !udp) {
      *why = "send to " + socket_.remote().to_string() + " failed";
      return std::nullopt;
    }
    auto until = udp ? std::min(deadline, Clock::now() + rto) : deadline;
    if (auto r = await_response(tid, method, until, why)) return r;
    if (!udp) break;
    rto = std::min(rto * 2, Millis(4000));
  }
  if (why->empty()) {
    *why = "no response from " + socket_.remote().to_string() + " within " +
           std::to_string(options_.timeout.count()) + " ms";
  }
  return std::nullopt;
}

// Waits for the response with this transaction id and method (RFC 8489 §6.3: others are not
// ours); peer data arriving meanwhile is queued, anything else dropped.
std::optional<TurnClient::Response> TurnClient::await_response(const stun::TransactionId& tid,
                                                               std::uint16_t method,
                                                               TimePoint until, std::string* why) {
  const bool stream = is_stream(socket_.transport());
  while (Clock::now() < until) {
    auto got = socket_.receive(remaining(until));
    if (!got) {
      // receive() waits until `until` unless the stream closed (UDP: an ICMP error, ignored).
      if (stream && Clock::now() < until) {
        closed_ = true;
        *why = "connection to " + socket_.remote().to_string() + " closed";
        return std::nullopt;
      }
      continue;
    }
    if (queue_peer_data(*got)) continue;
    auto m = stun::MessageView::parse(view(*got));
    if (!m || m->transaction_id() != tid || m->method() != method) continue;
    if (m->cls() != stun::Class::kSuccess && m->cls() != stun::Class::kError) continue;
    if (const char* problem = integrity_problem(*m)) {
      *why = problem;  // RFC 8489 §9.2.5: discarded; over a stream the transaction fails
      if (stream) return std::nullopt;
      continue;
    }
    return got;
  }
  return std::nullopt;
}

// RFC 8489 §9.2.5: once credentials are in use, a response must carry a MESSAGE-INTEGRITY (or
// -SHA256) valid with the same key, else it is discarded as if never received. Error responses
// without one are accepted (authenticated false): 401 and 438 never carry it, and a server may
// reject a request (400, 437, ...) before checking credentials; a test tool wants that code.
const char* TurnClient::integrity_problem(const stun::MessageView& m) const {
  if (!creds_.known) return nullptr;
  const bool mi = m.message_integrity().has_value();
  const bool mi256 = m.message_integrity_sha256().has_value();
  if (!mi && !mi256) {
    if (m.cls() == stun::Class::kError) return nullptr;
    return "success response without MESSAGE-INTEGRITY (RFC 8489 §9.2.5)";
  }
  if (mi && !stun::check_message_integrity(m, creds_.key.view())) {
    return "response with a wrong MESSAGE-INTEGRITY (RFC 8489 §9.2.5)";
  }
  if (!mi && !stun::check_message_integrity_sha256(m, creds_.key.view())) {
    return "response with a wrong MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.2.5)";
  }
  return nullptr;
}

TurnStatus TurnClient::status_of(const stun::MessageView& m) const {
  TurnStatus st;
  st.authenticated =
      creds_.known && (m.message_integrity().has_value() || m.message_integrity_sha256());
  if (m.cls() == stun::Class::kSuccess) {
    st.ok = true;
    return st;
  }
  if (auto ec = m.get<attr::ErrorCode>()) {
    st.error_code = ec->code;
    st.reason = std::string(ec->reason);
  } else {
    st.reason = "error response without a valid ERROR-CODE";
  }
  return st;
}

// RFC 8489 §9.2.4: the 401 to the first request carries REALM and NONCE; the key is
// MD5(username ":" realm ":" password) (§9.2.2).
bool TurnClient::learn_challenge(const Response& challenge, std::string* why) {
  auto m = stun::MessageView::parse(view(challenge));
  auto realm = m->get<attr::Realm>();
  auto nonce = m->get<attr::Nonce>();
  if (!realm || !nonce || realm->value.empty() || nonce->value.empty()) {
    *why = "401 without REALM and NONCE";
    return false;
  }
  creds_.password_algorithms.clear();
  const auto features = auth::nonce_cookie_features(nonce->value).value_or(0);
  auto raw = m->find(attr::PasswordAlgorithms::kType);
  if (options_.password != PasswordChoice::kRfc5389) {
    // §9.2.5: a cookie that says the list was sent, and no list: someone removed it.
    if (!raw && (features & auth::kFeaturePasswordAlgorithms) != 0) {
      *why = "401 nonce cookie announces PASSWORD-ALGORITHMS but none came (RFC 8489 §9.2.5)";
      return false;
    }
    if (raw) {
      const std::uint16_t wanted = options_.password == PasswordChoice::kSha256
                                       ? attr::PasswordAlgorithm::kSha256
                                       : attr::PasswordAlgorithm::kMd5;
      auto list = m->get<attr::PasswordAlgorithms>();
      auto algorithms = list ? list->list() : std::span<const attr::PasswordAlgorithm>{};
      if (std::none_of(algorithms.begin(), algorithms.end(),
                       [wanted](const auto& a) { return a.algorithm == wanted; })) {
        *why = wanted == attr::PasswordAlgorithm::kSha256
                   ? "401 does not offer PASSWORD-ALGORITHM SHA-256"
                   : "401 offers no PASSWORD-ALGORITHM this client supports (MD5)";
        return false;
      }
      creds_.password_algorithms.assign(raw->value.begin(), raw->value.end());
    } else if (options_.password == PasswordChoice::kSha256) {
      *why = "401 without PASSWORD-ALGORITHMS: the server offers no SHA-256";
      return false;
    }
  }
  // §9.2.5: USERHASH only where the cookie says the server supports username anonymity.
  if (options_.userhash && (features & auth::kFeatureUsernameAnonymity) == 0) {
    *why = "401 nonce cookie does not announce username anonymity (USERHASH)";
    return false;
  }
  creds_.realm = realm->value;
  creds_.nonce = nonce->value;
  derive_key();
  creds_.known = true;
  return true;
}

// §9.2.2, §18.5.1: MD5 unless SHA-256 was chosen from the 401's list; MESSAGE-INTEGRITY-SHA256
// with the SHA-256 key, MESSAGE-INTEGRITY otherwise.
void TurnClient::derive_key() {
  if (options_.password == PasswordChoice::kSha256) {
    creds_.key = auth::MessageKey::sha256(
        auth::sha256_key(creds_.user, creds_.realm, creds_.password), true);
  } else {
    creds_.key = auth::MessageKey::md5(auth::md5_key(creds_.user, creds_.realm, creds_.password));
  }
}

// RFC 8489 §9.2.5: a 438 carries the NONCE to use from now on (and REALM, normally unchanged).
bool TurnClient::take_fresh_nonce(const Response& response) {
  auto m = stun::MessageView::parse(view(response));
  auto nonce = m->get<attr::Nonce>();
  if (!nonce || nonce->value.empty()) return false;
  creds_.nonce = nonce->value;
  auto realm = m->get<attr::Realm>();
  if (realm && !realm->value.empty() && realm->value != creds_.realm) {
    creds_.realm = realm->value;
    derive_key();
  }
  return true;
}

bool TurnClient::queue_peer_data(const Response& message) {
  auto d = decode_peer_data(message);
  if (!d) return false;
  if (queued_.size() == kMaxQueued) queued_.pop_front();
  queued_.push_back(std::move(*d));
  return true;
}

std::optional<PeerData> TurnClient::decode_peer_data(const Response& message) const {
  Bytes bytes = view(message);
  PeerData d;
  if (stun::is_channel_data(bytes)) {
    // RFC 8656 §12.6: ChannelData on a channel that is not bound is discarded.
    auto cd = stun::ChannelDataView::parse(bytes, is_stream(socket_.transport()));
    const Address* peer = cd ? channel_peer(cd->channel) : nullptr;
    if (peer == nullptr) return std::nullopt;
    d.peer = *peer;
    d.data.assign(cd->data.begin(), cd->data.end());
    d.via_channel = true;
    d.channel = cd->channel;
    return d;
  }
  auto m = stun::MessageView::parse(bytes);
  if (!m || !m->is(stun::Method::kData, stun::Class::kIndication)) return std::nullopt;
  // RFC 8656 §11.4: discard a Data indication without XOR-PEER-ADDRESS or from a peer the client
  // has no permission for.
  auto peer = m->get<attr::XorPeerAddress>();
  if (!peer || !permitted(peer->address)) return std::nullopt;
  d.peer = peer->address;
  if (auto data = m->get<attr::Data>()) {
    d.data.assign(data->value.begin(), data->value.end());
    return d;
  }
  // RFC 8656 §11.6: an ICMP attribute instead of DATA reports an ICMP error from the peer.
  auto icmp = m->get<attr::Icmp>();
  if (!icmp) return std::nullopt;
  d.icmp = true;
  d.icmp_type = icmp->type;
  d.icmp_code = icmp->code;
  return d;
}

// RFC 8656 §9: permissions are per IP address; ports do not matter.
bool TurnClient::permitted(const Address& peer) const {
  return std::find(permissions_.begin(), permissions_.end(), ip_only(peer)) != permissions_.end();
}

void TurnClient::remember_permission(const Address& peer) {
  if (!permitted(peer)) permissions_.push_back(ip_only(peer));
}

const Address* TurnClient::channel_peer(std::uint16_t channel) const {
  for (const auto& [number, peer] : channels_) {
    if (number == channel) return &peer;
  }
  return nullptr;
}

}  // namespace ferry::client
