// /metrics: every worker's counters summed at scrape time (the packet path only ever touches
// its own worker's counters). Ferry's names carry the ferry_ prefix; coturn's are kept where
// coturn has one, so existing dashboards keep working (their meaning is noted per family).
#include "ferry/metrics/metrics.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>

namespace ferry::metrics {

namespace {

using turn::Counters;
using Pick = std::function<std::uint64_t(const net::WorkerStats&)>;

class Writer {
 public:
  explicit Writer(const MetricsInput& in) : in_(in) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    line(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    line(name, labels);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", value);
    out_ += buf;
    out_ += '\n';
  }
  // One sample: `pick` summed over the workers.
  void total(std::string_view name, std::string_view labels, const Pick& pick) {
    std::uint64_t n = 0;
    for (const auto& w : in_.workers) n += pick(w);
    sample(name, labels, n);
  }
  // A one-sample family.
  void single(std::string_view name, std::string_view type, std::string_view help,
              const Pick& pick) {
    family(name, type, help);
    total(name, "", pick);
  }
  std::string take() { return std::move(out_); }

 private:
  void line(std::string_view name, std::string_view labels) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
  }
  const MetricsInput& in_;
  std::string out_;
};

const Counters& core(const net::WorkerStats& w) {
  return *w.core;
}

// One core counter, for Writer::total().
Pick field(Counter Counters::*counter) {
  return [counter](const net::WorkerStats& x) { return (core(x).*counter).get(); };
}

constexpr std::array<std::string_view, turn::kTransports> kTransportNames = {"udp", "tcp", "tls",
                                                                             "dtls"};
constexpr std::array<std::string_view, turn::kTransports> kCoturnTypes = {"UDP", "TCP", "TLS",
                                                                          "DTLS"};

std::string allocation_labels(std::size_t slot) {
  return "transport=\"" + std::string(kTransportNames[slot / 2]) + "\",family=\"" +
         (slot % 2 == 0 ? "ipv4" : "ipv6") + "\"";
}

// Current = created - ended. `ended` is read first: both only grow and ended never passes
// created, so the difference cannot go below zero while the worker keeps counting.
std::uint64_t current_allocations(const net::WorkerStats& w, std::size_t slot) {
  std::uint64_t ended = core(w).allocations_ended[slot].get();
  return core(w).allocations_created[slot].get() - ended;
}

std::uint64_t live(const Counter& created, const Counter& ended) {
  std::uint64_t e = ended.get();
  return created.get() - e;
}

void allocations(Writer& w) {
  w.family("ferry_allocations_current", "gauge",
           "Allocations now, by client transport and relay address family (a dual-stack "
           "allocation counts once, under the family of its first relay: ipv4).");
  for (std::size_t s = 0; s < turn::kAllocationSlots; ++s) {
    w.total("ferry_allocations_current", allocation_labels(s),
            [s](const net::WorkerStats& x) { return current_allocations(x, s); });
  }
  w.family("ferry_allocations_created_total", "counter", "Allocations granted.");
  for (std::size_t s = 0; s < turn::kAllocationSlots; ++s) {
    w.total("ferry_allocations_created_total", allocation_labels(s),
            [s](const net::WorkerStats& x) { return core(x).allocations_created[s].get(); });
  }
  w.family("ferry_allocations_ended_total", "counter",
           "Allocations ended (expired, refreshed to 0 or their TCP connection closed).");
  for (std::size_t s = 0; s < turn::kAllocationSlots; ++s) {
    w.total("ferry_allocations_ended_total", allocation_labels(s),
            [s](const net::WorkerStats& x) { return core(x).allocations_ended[s].get(); });
  }
  // coturn's gauge: allocations now, by client transport.
  w.family("turn_total_allocations", "gauge", "Allocations now, by client transport (coturn).");
  for (std::size_t t = 0; t < turn::kTransports; ++t) {
    std::string labels = "type=\"" + std::string(kCoturnTypes[t]) + "\"";
    w.total("turn_total_allocations", labels, [t](const net::WorkerStats& x) {
      return current_allocations(x, t * 2) + current_allocations(x, t * 2 + 1);
    });
  }
  w.single("ferry_permissions_current", "gauge", "Permissions installed now (RFC 8656 §9).",
           [](const net::WorkerStats& x) {
             return live(core(x).permissions_created, core(x).permissions_ended);
           });
  w.single("ferry_channels_current", "gauge",
           "Channels bound now, including those resting after expiry (RFC 8656 §12).",
           [](const net::WorkerStats& x) {
             return live(core(x).channels_created, core(x).channels_ended);
           });
}

// RFC 6062 TCP relays.
void tcp_relay(Writer& w) {
  w.single("ferry_tcp_relay_connections_current", "gauge",
           "RFC 6062 peer data connections open now (pending and piped).",
           [](const net::WorkerStats& x) {
             return live(core(x).tcp_connections_opened, core(x).tcp_connections_ended);
           });
  w.family("ferry_tcp_relay_events_total", "counter", "RFC 6062 TCP relay events, by kind.");
  w.total("ferry_tcp_relay_events_total", "event=\"connect_failed\"",
          field(&Counters::tcp_connect_failed));
  w.total("ferry_tcp_relay_events_total", "event=\"peer_refused\"",
          field(&Counters::tcp_peers_refused));
  w.total("ferry_tcp_relay_events_total", "event=\"bound\"", field(&Counters::tcp_binds));
  w.total("ferry_tcp_relay_events_total", "event=\"bind_refused\"",
          field(&Counters::tcp_binds_refused));
  w.total("ferry_tcp_relay_events_total", "event=\"over_connection_limit\"",
          [](const net::WorkerStats& x) { return x.net->tcp_relay_refused.get(); });
  w.total("ferry_tcp_relay_events_total", "event=\"timeout\"",
          [](const net::WorkerStats& x) { return x.net->tcp_relay_timeouts.get(); });
  w.total("ferry_tcp_relay_events_total", "event=\"handoff\"",
          [](const net::WorkerStats& x) { return x.net->tcp_relay_handoffs.get(); });
  w.total("ferry_tcp_relay_events_total", "event=\"handoff_refused\"",
          [](const net::WorkerStats& x) { return x.net->tcp_relay_handoffs_refused.get(); });
  w.family("ferry_tcp_relay_bytes_total", "counter", "Bytes piped by RFC 6062 TCP relays.");
  w.total("ferry_tcp_relay_bytes_total", "direction=\"to_peer\"",
          [](const net::WorkerStats& x) { return x.net->tcp_relay_bytes_to_peer.get(); });
  w.total("ferry_tcp_relay_bytes_total", "direction=\"to_client\"",
          [](const net::WorkerStats& x) { return x.net->tcp_relay_bytes_to_client.get(); });
}

// RFC 8016 mobility.
void mobility(Writer& w) {
  w.single("ferry_mobility_tickets_total", "counter",
           "RFC 8016 mobility tickets issued (Allocate or Refresh with MOBILITY-TICKET).",
           field(&Counters::mobility_tickets));
  w.single("ferry_mobility_moves_total", "counter",
           "Allocations moved to a new client 5-tuple by a mobility ticket (RFC 8016 §3.2).",
           field(&Counters::mobility_moves));
  w.single("ferry_mobility_moves_across_workers_total", "counter",
           "Of the moves, those whose allocation came from another worker.",
           field(&Counters::mobility_moves_across));
  w.family("ferry_mobility_refused_total", "counter",
           "Mobility requests refused, by reason (405 forbidden, 400 bad_ticket, 441 wrong_user, "
           "437 stale_ticket or occupied, 486 quota, 508 busy).");
  for (std::size_t i = 0; i < turn::kMoveRefusals; ++i) {
    w.total("ferry_mobility_refused_total",
            "reason=\"" + std::string(turn::kMoveRefusalNames[i]) + "\"",
            [i](const net::WorkerStats& x) { return core(x).mobility_refused[i].get(); });
  }
}

void stun(Writer& w) {
  w.single("ferry_binding_requests_total", "counter", "STUN Binding requests answered.",
           field(&Counters::binding_requests));
  // coturn's names for the same (its builds with Prometheus support).
  w.single("stun_binding_request", "counter", "STUN Binding requests (coturn).",
           field(&Counters::binding_requests));
  w.single("stun_binding_response", "counter", "STUN Binding success responses (coturn).",
           field(&Counters::binding_responses));
  w.family("ferry_error_responses_total", "counter",
           "Error responses by code (401 challenges included).");
  for (std::size_t i = 0; i <= turn::kErrorCodes.size(); ++i) {
    std::string labels = i < turn::kErrorCodes.size()
                             ? "code=\"" + std::to_string(turn::kErrorCodes[i]) + "\""
                             : std::string("code=\"other\"");
    w.total("ferry_error_responses_total", labels,
            [i](const net::WorkerStats& x) { return core(x).error_responses[i].get(); });
  }
}

void auth(Writer& w) {
  w.single("ferry_auth_challenges_total", "counter",
           "401 challenges to requests without credentials (the normal first round trip).",
           field(&Counters::auth_challenges));
  struct Reason {
    std::string_view label;
    Counter Counters::*field;
  };
  static constexpr Reason kReasons[] = {
      {"bad_request", &Counters::auth_bad_request},
      {"stale_nonce", &Counters::auth_stale_nonce},
      {"unknown_user", &Counters::auth_unknown_user},
      {"bad_integrity", &Counters::auth_bad_integrity},
      {"expired", &Counters::auth_expired},
      {"wrong_user", &Counters::auth_wrong_user},
      {"wrong_realm", &Counters::auth_wrong_realm},
      {"wrong_origin", &Counters::auth_wrong_origin},
      {"bad_algorithm", &Counters::auth_bad_algorithm},
      {"no_sha256_key", &Counters::auth_no_sha256_key},
  };
  w.family(
      "ferry_auth_failures_total", "counter",
      "Refused credentials by reason: bad_request (400), stale_nonce (438), unknown_user "
      "and bad_integrity (401, a wrong password), expired (401, a TURN REST credential past its "
      "expiry), wrong_user (441), wrong_realm (401, REALM is not the realm of the request's ORIGIN "
      "or allocation), wrong_origin (441, check-origin-consistency), bad_algorithm (400, RFC 8489 "
      "bid-down protection), "
      "no_sha256_key (401, SHA-256 asked for by an account stored as 0x<MD5>).");
  for (const auto& r : kReasons) {
    std::string labels = "reason=\"" + std::string(r.label) + "\"";
    w.total("ferry_auth_failures_total", labels, field(r.field));
  }
  w.family("ferry_auth_successes_total", "counter",
           "Authenticated requests by password algorithm (RFC 8489 §18.5: md5, sha256).");
  w.total("ferry_auth_successes_total", "algorithm=\"md5\"", field(&Counters::auth_md5));
  w.total("ferry_auth_successes_total", "algorithm=\"sha256\"", field(&Counters::auth_sha256));
  w.single("ferry_auth_userhash_total", "counter",
           "Authenticated requests that named their user by USERHASH (RFC 8489 §14.4).",
           field(&Counters::auth_userhash));
}

// The HTTP listener's credential endpoint and test page (issue 19): every credential handed
// out, and every request refused, by reason.
void credentials(Writer& w, const MetricsInput& in) {
  const http::CredentialCounts& c = in.credentials;
  w.family("ferry_credentials_issued_total", "counter",
           "TURN REST credentials handed out by the HTTP listener: via=\"api\" (the credential "
           "endpoint, web-credential-key), via=\"test_page\" (web-test-credentials).");
  w.sample("ferry_credentials_issued_total", "via=\"api\"", c.issued_api);
  w.sample("ferry_credentials_issued_total", "via=\"test_page\"", c.issued_test_page);
  w.family("ferry_credentials_refused_total", "counter",
           "Credential requests refused, by reason: bad_key (401), origin (403, an Origin not in "
           "web-credential-origin), rate_limited (429), bad_request (400), method (405), "
           "not_admin (test credentials asked for from outside loopback or through a proxy).");
  for (std::size_t i = 0; i < http::kRefusalNames.size(); ++i) {
    w.sample("ferry_credentials_refused_total",
             "reason=\"" + std::string(http::kRefusalNames[i]) + "\"", c.refused[i]);
  }
}

void traffic(Writer& w) {
  constexpr std::string_view kToPeer = "direction=\"client_to_peer\"";
  constexpr std::string_view kToClient = "direction=\"peer_to_client\"";
  w.family("ferry_relayed_packets_total", "counter", "Datagrams relayed, by direction.");
  w.total("ferry_relayed_packets_total", kToPeer, field(&Counters::relayed_to_peer));
  w.total("ferry_relayed_packets_total", kToClient, field(&Counters::relayed_to_client));
  w.family("ferry_relayed_bytes_total", "counter",
           "Application bytes relayed (without TURN framing), by direction.");
  w.total("ferry_relayed_bytes_total", kToPeer, field(&Counters::relayed_bytes_to_peer));
  w.total("ferry_relayed_bytes_total", kToClient, field(&Counters::relayed_bytes_to_client));
  // coturn's totals, counted over the relayed payload: rcv* from clients and sent* to clients;
  // peer_rcv* from peers and peer_sent* to peers.
  struct Coturn {
    std::string_view name;
    Counter Counters::*counter;
  };
  static constexpr Coturn kCoturn[] = {
      {"turn_total_traffic_rcvp", &Counters::relayed_to_peer},
      {"turn_total_traffic_rcvb", &Counters::relayed_bytes_to_peer},
      {"turn_total_traffic_sentp", &Counters::relayed_to_client},
      {"turn_total_traffic_sentb", &Counters::relayed_bytes_to_client},
      {"turn_total_traffic_peer_rcvp", &Counters::relayed_to_client},
      {"turn_total_traffic_peer_rcvb", &Counters::relayed_bytes_to_client},
      {"turn_total_traffic_peer_sentp", &Counters::relayed_to_peer},
      {"turn_total_traffic_peer_sentb", &Counters::relayed_bytes_to_peer},
  };
  for (const auto& c : kCoturn) {
    w.single(c.name, "counter", "Relayed traffic (coturn's name).", field(c.counter));
  }
  w.family("ferry_dropped_packets_total", "counter",
           "Packets dropped without an answer, by reason.");
  w.total("ferry_dropped_packets_total", "reason=\"malformed\"",
          field(&Counters::dropped_malformed));
  w.total("ferry_dropped_packets_total", "reason=\"no_permission\"",
          field(&Counters::dropped_no_permission));
  w.total("ferry_dropped_packets_total", "reason=\"unsolicited\"", field(&Counters::dropped_other));
  w.total("ferry_dropped_packets_total", "reason=\"rate_limited\"",
          field(&Counters::dropped_rate_limited));
  w.total("ferry_dropped_packets_total", "reason=\"bandwidth\"",
          field(&Counters::dropped_bandwidth));
  w.total("ferry_dropped_packets_total", "reason=\"oversized\"",
          [](const net::WorkerStats& x) { return x.net->dropped_oversized.get(); });
  w.total("ferry_dropped_packets_total", "reason=\"tcp_output_full\"",
          [](const net::WorkerStats& x) { return x.net->dropped_output_full.get(); });
}

void process(Writer& w, const MetricsInput& in) {
  w.family("ferry_build_info", "gauge", "Ferry's version.");
  w.sample("ferry_build_info", "version=\"" + std::string(in.version) + "\"", std::uint64_t{1});
  w.family("ferry_uptime_seconds", "gauge", "Seconds since the server started.");
  w.sample("ferry_uptime_seconds", "", in.uptime_seconds);
  w.single("ferry_workers", "gauge", "Share-nothing worker threads (relay-threads).",
           [](const net::WorkerStats&) { return std::uint64_t{1}; });
  w.single("ferry_tcp_connections_current", "gauge", "Client TCP connections open now.",
           [](const net::WorkerStats& x) { return live(x.net->tcp_accepted, x.net->tcp_closed); });
  w.single(
      "ferry_dtls_sessions_current", "gauge", "DTLS client sessions open now.",
      [](const net::WorkerStats& x) { return live(x.net->dtls_accepted, x.net->dtls_closed); });
  w.single("ferry_dtls_sessions_total", "counter",
           "DTLS client sessions started (after the cookie exchange).",
           [](const net::WorkerStats& x) { return x.net->dtls_accepted.get(); });
  w.family("ferry_tcp_connections_refused_total", "counter",
           "TCP connections closed at accept or before their TLS handshake, and DTLS sessions "
           "refused after their cookie, by the bound that was reached.");
  w.total("ferry_tcp_connections_refused_total", "reason=\"total\"",
          [](const net::WorkerStats& x) { return x.net->tcp_refused.get(); });
  w.total("ferry_tcp_connections_refused_total", "reason=\"per_ip\"",
          [](const net::WorkerStats& x) { return x.net->tcp_refused_per_ip.get(); });
  w.total("ferry_tcp_connections_refused_total", "reason=\"tls_handshake_rate\"",
          [](const net::WorkerStats& x) { return x.net->tls_refused_rate.get(); });
  w.family("ferry_tcp_connections_closed_total", "counter",
           "TCP connections and DTLS sessions the server closed on a deadline, by reason.");
  w.total("ferry_tcp_connections_closed_total", "reason=\"idle\"",
          [](const net::WorkerStats& x) { return x.net->tcp_closed_idle.get(); });
  w.total("ferry_tcp_connections_closed_total", "reason=\"slow_frame\"",
          [](const net::WorkerStats& x) { return x.net->tcp_closed_slow.get(); });
  w.total("ferry_tcp_connections_closed_total", "reason=\"stalled_output\"",
          [](const net::WorkerStats& x) { return x.net->tcp_closed_stalled.get(); });
  w.single("ferry_tcp_output_bytes", "gauge",
           "Bytes queued for TCP clients, all workers (sampled each second).",
           [](const net::WorkerStats& x) { return x.net->tcp_output_bytes.get(); });
  w.single("ferry_accept_pauses_total", "counter",
           "Times accept() failed (descriptors exhausted) and the listener paused.",
           [](const net::WorkerStats& x) { return x.net->accept_pauses.get(); });
  w.family("ferry_event_loop_lag_seconds", "gauge",
           "How late each worker's one-second tick ran last time (a busy or blocked loop).");
  for (std::size_t i = 0; i < in.workers.size(); ++i) {
    w.sample("ferry_event_loop_lag_seconds", "worker=\"" + std::to_string(i) + "\"",
             static_cast<double>(in.workers[i].net->loop_lag_us.get()) / 1e6);
  }
  w.family("ferry_event_loop_lag_max_seconds", "gauge", "The worst tick lag since start.");
  for (std::size_t i = 0; i < in.workers.size(); ++i) {
    w.sample("ferry_event_loop_lag_max_seconds", "worker=\"" + std::to_string(i) + "\"",
             static_cast<double>(in.workers[i].net->loop_lag_max_us.get()) / 1e6);
  }
}

// Prometheus label values escape backslash, double quote and newline (exposition format).
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void users(Writer& w, const MetricsInput& in) {
  if (in.user_allocations.empty()) return;
  w.family("ferry_user_allocations_current", "gauge",
           "Allocations now per user (prometheus-username-labels).");
  for (const auto& [user, n] : in.user_allocations) {
    w.sample("ferry_user_allocations_current", "user=\"" + label_value(user) + "\"",
             static_cast<std::uint64_t>(n));
  }
}

}  // namespace

std::string render_metrics(const MetricsInput& in) {
  Writer w(in);
  process(w, in);
  allocations(w);
  tcp_relay(w);
  mobility(w);
  stun(w);
  auth(w);
  credentials(w, in);
  traffic(w);
  users(w, in);
  return w.take();
}

}  // namespace ferry::metrics
