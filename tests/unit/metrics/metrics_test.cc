// /metrics text: coturn's and Ferry's names, label sets, and sums over workers.
#include "ferry/metrics/metrics.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

namespace ferry::metrics {
namespace {

// The value of the sample line `series` (name with labels, exactly), or -1 when missing.
double value_of(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

struct TwoWorkers {
  turn::Counters core[2];
  net::NetCounters net[2];
  MetricsInput input() const { return {{{&core[0], &net[0]}, {&core[1], &net[1]}}, "1.2.3", 12.5}; }
};

TEST(Metrics, SumsWorkersAndKeepsCoturnNames) {
  TwoWorkers w;
  const auto udp4 = turn::allocation_slot(Transport::kUdp, false);
  const auto tcp6 = turn::allocation_slot(Transport::kTcp, true);
  w.core[0].allocations_created[udp4].add(3);
  w.core[0].allocations_ended[udp4].add(1);
  w.core[1].allocations_created[udp4].add(2);
  w.core[1].allocations_created[tcp6].add(1);
  w.core[0].relayed_bytes_to_peer.add(1000);
  w.core[1].relayed_bytes_to_peer.add(24);
  w.core[1].relayed_to_client.add(7);
  w.core[0].auth_bad_integrity.add(2);
  w.core[1].error_responses[turn::error_code_slot(401)].add(5);
  w.core[0].binding_requests.add(4);
  w.net[1].loop_lag_us.set(2500);
  w.net[0].tcp_accepted.add(3);
  w.net[0].tcp_closed.add(1);
  const std::string m = render_metrics(w.input());

  EXPECT_EQ(value_of(m, "ferry_allocations_current{transport=\"udp\",family=\"ipv4\"}"), 4);
  EXPECT_EQ(value_of(m, "ferry_allocations_current{transport=\"tcp\",family=\"ipv6\"}"), 1);
  EXPECT_EQ(value_of(m, "ferry_allocations_created_total{transport=\"udp\",family=\"ipv4\"}"), 5);
  EXPECT_EQ(value_of(m, "ferry_allocations_ended_total{transport=\"udp\",family=\"ipv4\"}"), 1);
  EXPECT_EQ(value_of(m, "turn_total_allocations{type=\"UDP\"}"), 4);
  EXPECT_EQ(value_of(m, "turn_total_allocations{type=\"TCP\"}"), 1);
  EXPECT_EQ(value_of(m, "ferry_relayed_bytes_total{direction=\"client_to_peer\"}"), 1024);
  EXPECT_EQ(value_of(m, "turn_total_traffic_rcvb"), 1024);
  EXPECT_EQ(value_of(m, "turn_total_traffic_peer_sentb"), 1024);
  EXPECT_EQ(value_of(m, "ferry_relayed_packets_total{direction=\"peer_to_client\"}"), 7);
  EXPECT_EQ(value_of(m, "turn_total_traffic_sentp"), 7);
  EXPECT_EQ(value_of(m, "ferry_auth_failures_total{reason=\"bad_integrity\"}"), 2);
  EXPECT_EQ(value_of(m, "ferry_auth_failures_total{reason=\"stale_nonce\"}"), 0);
  EXPECT_EQ(value_of(m, "ferry_error_responses_total{code=\"401\"}"), 5);
  EXPECT_EQ(value_of(m, "ferry_error_responses_total{code=\"other\"}"), 0);
  EXPECT_EQ(value_of(m, "ferry_binding_requests_total"), 4);
  EXPECT_EQ(value_of(m, "stun_binding_request"), 4);
  EXPECT_EQ(value_of(m, "ferry_event_loop_lag_seconds{worker=\"1\"}"), 0.0025);
  EXPECT_EQ(value_of(m, "ferry_event_loop_lag_seconds{worker=\"0\"}"), 0);
  EXPECT_EQ(value_of(m, "ferry_tcp_connections_current"), 2);
  EXPECT_EQ(value_of(m, "ferry_workers"), 2);
  EXPECT_EQ(value_of(m, "ferry_uptime_seconds"), 12.5);
  EXPECT_EQ(value_of(m, "ferry_build_info{version=\"1.2.3\"}"), 1);
}

// Prometheus' text format: every sample's family has exactly one HELP and one TYPE, given
// before its samples, and no family appears twice (a scrape fails otherwise).
TEST(Metrics, EveryFamilyIsDeclaredOnceBeforeItsSamples) {
  TwoWorkers w;
  const std::string m = render_metrics(w.input());
  std::istringstream in(m);
  std::string line, current;
  std::set<std::string> seen;
  std::size_t samples = 0;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(seen.insert(name).second) << "declared twice: " << name;
      current = name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_EQ(line.substr(7, current.size()), current);
      std::string type = line.substr(8 + current.size());
      EXPECT_TRUE(type == "counter" || type == "gauge") << line;
      continue;
    }
    std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_EQ(name, current) << "sample outside its family: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 40u);
  // No per-user labels (label cardinality grows with users: memory).
  EXPECT_EQ(m.find("user="), std::string::npos);
}

TEST(Metrics, UserLabelsOnlyWhenGivenAndEscaped) {
  TwoWorkers w;
  MetricsInput in = w.input();
  EXPECT_EQ(render_metrics(in).find("ferry_user_allocations_current"), std::string::npos);
  in.user_allocations = {{"alice", 2}, {"we\"ird\\na\nme", 1}};
  const std::string m = render_metrics(in);
  EXPECT_EQ(value_of(m, "ferry_user_allocations_current{user=\"alice\"}"), 2);
  EXPECT_EQ(value_of(m, "ferry_user_allocations_current{user=\"we\\\"ird\\\\na\\nme\"}"), 1) << m;
}

TEST(Metrics, CredentialEndpointCounts) {
  TwoWorkers w;
  MetricsInput in = w.input();
  in.credentials.issued_api = 7;
  in.credentials.issued_test_page = 2;
  in.credentials.refused[static_cast<std::size_t>(http::Refusal::kBadKey)] = 3;
  in.credentials.refused[static_cast<std::size_t>(http::Refusal::kOrigin)] = 1;
  const std::string m = render_metrics(in);
  EXPECT_EQ(value_of(m, "ferry_credentials_issued_total{via=\"api\"}"), 7) << m;
  EXPECT_EQ(value_of(m, "ferry_credentials_issued_total{via=\"test_page\"}"), 2);
  EXPECT_EQ(value_of(m, "ferry_credentials_refused_total{reason=\"bad_key\"}"), 3);
  EXPECT_EQ(value_of(m, "ferry_credentials_refused_total{reason=\"origin\"}"), 1);
  for (std::string_view reason : http::kRefusalNames) {
    EXPECT_GE(
        value_of(m, "ferry_credentials_refused_total{reason=\"" + std::string(reason) + "\"}"), 0)
        << reason;
  }
}

}  // namespace
}  // namespace ferry::metrics
