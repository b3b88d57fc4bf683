// ferry-stunclient: sends a STUN Binding request (UDP or TCP) and prints the mapped address.
//   ferry-stunclient [-t] [-p PORT] [-T TIMEOUT_MS] [--no-fingerprint] HOST
#include <netdb.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "client/cli_args.h"
#include "client/stun_binding.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: ferry-stunclient [-t|--tcp] [-p PORT] [-T TIMEOUT_MS] [--no-fingerprint] "
               "HOST\n"
               "Sends a STUN Binding request and prints the reflexive (mapped) address.\n");
  return 2;
}

std::optional<ferry::Address> resolve(const std::string& host, std::uint16_t port) {
  if (auto a = ferry::Address::parse_ip(host, port)) return a;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return std::nullopt;
  auto a = ferry::Address::from_sockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (a.empty()) return std::nullopt;
  a.set_port(port);
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  ferry::Transport transport = ferry::Transport::kUdp;
  long port = 3478;
  ferry::client::BindingOptions opts;
  std::string host;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-t" || a == "--tcp") {
      transport = ferry::Transport::kTcp;
    } else if ((a == "-p" || a == "--port") && i + 1 < argc) {
      if (!ferry::client::parse_number(argv[++i], 1, 65535, &port)) return usage();
    } else if ((a == "-T" || a == "--timeout") && i + 1 < argc) {
      long ms = 0;
      if (!ferry::client::parse_number(argv[++i], 1, 600000, &ms)) return usage();
      opts.timeout = ferry::Millis(ms);
    } else if (a == "--no-fingerprint") {
      opts.fingerprint = false;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (!a.empty() && a[0] != '-' && host.empty()) {
      host = a;
    } else {
      return usage();
    }
  }
  if (host.empty() || port <= 0 || port > 65535) return usage();
  auto server = resolve(host, static_cast<std::uint16_t>(port));
  if (!server) {
    std::fprintf(stderr, "cannot resolve %s\n", host.c_str());
    return 1;
  }
  std::string error;
  auto sock = ferry::client::ClientSocket::open(transport, *server, &error);
  if (!sock) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  auto reply = ferry::client::binding(*sock, opts, &error);
  if (!reply) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("server: %s (%s)\n", server->to_string().c_str(),
              std::string(ferry::transport_name(transport)).c_str());
  std::printf("local address: %s\n", sock->local().to_string().c_str());
  if (reply->error_code != 0) {
    std::printf("error response: %u\n", reply->error_code);
    return 1;
  }
  const auto& mapped = reply->xor_mapped.empty() ? reply->mapped : reply->xor_mapped;
  std::printf("mapped address: %s\n", mapped.to_string().c_str());
  if (!reply->response_origin.empty()) {
    std::printf("response origin: %s\n", reply->response_origin.to_string().c_str());
  }
  if (!reply->software.empty()) std::printf("software: %s\n", reply->software.c_str());
  std::printf("fingerprint: %s\n", reply->has_fingerprint ? "present, valid" : "absent");
  return 0;
}
