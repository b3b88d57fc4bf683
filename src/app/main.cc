// turnserver: config -> objects -> run (DESIGN.md section 1). Nothing else lives here.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ferry/common/logger.h"
#include "ferry/config/config.h"
#include "ferry/config/settings.h"
#include "ferry/http/credentials.h"
#include "ferry/http/router.h"
#include "ferry/http/server.h"
#include "ferry/metrics/metrics.h"
#include "ferry/net/runtime.h"
#include "ferry/tls/tls_context.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif

namespace {

void print_diagnostics(const std::vector<ferry::config::Diagnostic>& diags) {
  for (const auto& d : diags) std::fprintf(stderr, "%s\n", d.to_string().c_str());
}

bool has_error(const std::vector<ferry::config::Diagnostic>& diags) {
  for (const auto& d : diags) {
    if (d.severity == ferry::config::Diagnostic::Severity::kError) return true;
  }
  return false;
}

// The signals main waits for: blocked in every thread (workers inherit the mask) and taken
// with sigwait. SIGUSR2 reloads the TLS certificate and key (as coturn's does), for a renewal
// without a restart; SIGHUP does that too, and the rest of the configuration reload arrives
// with the operations issue.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  return set;
}

void reload_certificates(ferry::net::Runtime& runtime, const ferry::net::ServerSettings& s,
                         const char* why, ferry::Logger& log) {
  if (!s.tls && !s.dtls) return;
  if (auto reloaded = runtime.reload_certificates(); !reloaded) {
    log.error(std::string(why) +
              ": the certificate was not reloaded, the old one stays: " + reloaded.error());
    return;
  }
  log.info(std::string(why) + ": TLS certificate reloaded from " + s.tls_files.cert_file +
           "; new handshakes use it");
}

int wait_for_shutdown(const sigset_t& set, ferry::net::Runtime& runtime,
                      const ferry::net::ServerSettings& s, ferry::Logger& log) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return 1;
    if (sig == SIGUSR2) {
      reload_certificates(runtime, s, "SIGUSR2", log);
      continue;
    }
    if (sig == SIGHUP) {
      reload_certificates(runtime, s, "SIGHUP", log);
      log.warning("SIGHUP: reloading the rest of the configuration is not supported yet");
      continue;
    }
    log.info(sig == SIGINT ? "SIGINT: shutting down" : "SIGTERM: shutting down");
    return 0;
  }
}

// What the test page tells browsers: where clients reach STUN/TURN (external-ip's public
// addresses when set, else the listeners) and who answers there.
ferry::http::PageInfo page_info(const ferry::net::ServerSettings& s,
                                const ferry::net::Runtime& runtime) {
  ferry::http::PageInfo p{.software = s.turn.software_name,
                          .realm = s.turn.realm,
                          .port = s.port,
                          .udp = s.udp,
                          .tcp = s.tcp};
  if (s.tls) {
    p.tls_port = s.tls_port;
    // turns: URIs name a host the certificate holds (browsers check it): its first DNS name.
    auto names = ferry::http::certificate_dns_names(s.tls_files.cert_file);
    if (!names.empty()) p.tls_name = names.front();
  }
  for (const auto& e : s.turn.external_ips) p.addresses.push_back(e.public_ip);
  if (p.addresses.empty()) p.addresses = runtime.listen_ips();
  return p;
}

// The HTTP listener. A failure to bind the default endpoint (another server on this host has
// it, say) is a warning; an endpoint the operator chose must work, or the start fails.
bool start_web(ferry::http::HttpServer& web, const ferry::http::HttpSettings& s,
               ferry::Logger& log) {
  if (!s.enabled) return true;
  if (auto started = web.start(); !started) {
    if (s.explicit_endpoint) {
      log.error("cannot start the HTTP listener: " + started.error());
      return false;
    }
    log.warning("HTTP listener not started (test page, metrics and health are off): " +
                started.error());
    return true;
  }
  const char* scheme = s.cert_file.empty() ? "http://" : "https://";
  for (const auto& e : web.endpoints()) {
    log.info(std::string("test page on ") + scheme + e.to_string() + "/" +
             (s.metrics ? ", Prometheus metrics at /metrics" : ""));
    // Never the keys: only that the endpoint is there and who may call it from a browser.
    if (s.credential_endpoint()) {
      std::string origins;
      for (const auto& o : s.credential_origins) origins += (origins.empty() ? "" : " ") + o;
      log.info(std::string("credential endpoint on ") + scheme + e.to_string() +
               "/turn and /ice-servers (" + std::to_string(s.credential_keys.size()) +
               " key(s); browser origins: " + (origins.empty() ? "none" : origins) + ")");
    }
  }
  if (s.test_credentials) {
    log.info("the test page fills in TURN credentials for browsers on this host (loopback)");
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals first, so that one arriving during start-up waits for sigwait()
  // instead of killing the process half-started; worker threads inherit the mask.
  const sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args(argv + 1, argv + argc);
  auto outcome = ferry::config::load(args);
  print_diagnostics(outcome.diagnostics);
  if (!outcome.ok()) return 1;
  switch (outcome.action) {
    case ferry::config::Action::kHelp:
      std::fputs(ferry::config::render_help().c_str(), stdout);
      return 0;
    case ferry::config::Action::kVersion:
      std::printf("Ferry %s\n", FERRY_VERSION);
      return 0;
    case ferry::config::Action::kCheckConfig:
    case ferry::config::Action::kRun:
      break;
  }
  std::vector<ferry::config::Diagnostic> diags;
  auto settings = ferry::config::build_settings(outcome.config, diags);
  print_diagnostics(diags);
  if (has_error(diags)) return 1;
  if (outcome.action == ferry::config::Action::kCheckConfig) {
    // The certificate and key are part of the configuration: read them as the start would.
    if (settings.server.tls || settings.server.dtls) {
      if (auto tls = ferry::tls::TlsContext::load(settings.server.tls_files, settings.server.dtls);
          !tls) {
        std::fprintf(stderr, "error: %s\n", tls.error().c_str());
        return 1;
      }
    }
    std::printf("configuration OK%s%s\n", outcome.config_file.empty() ? "" : ": ",
                outcome.config_file.c_str());
    std::fputs(ferry::config::render_effective(outcome.config).c_str(), stdout);
    return 0;
  }

  ferry::SinkLogger log(settings.log);
  log.set_level(settings.log_level);
  log.info(std::string("Ferry ") + FERRY_VERSION + " starting" +
           (outcome.config_file.empty() ? "" : " with " + outcome.config_file));
  ferry::net::Runtime runtime(settings.server, log);
  if (auto started = runtime.start(); !started) {
    log.error("cannot start: " + started.error());
    return 1;
  }
  const auto started = ferry::Clock::now();
  const auto stats = runtime.stats();
  ferry::http::CredentialCounters credential_counts;
  ferry::http::Router router(
      settings.http, page_info(settings.server, runtime),
      {.metrics =
           [&stats, &runtime, &settings, &credential_counts, started] {
             std::chrono::duration<double> up = ferry::Clock::now() - started;
             ferry::metrics::MetricsInput in{stats, FERRY_VERSION, up.count()};
             if (settings.http.username_labels) in.user_allocations = runtime.quotas().per_user();
             in.credentials = credential_counts.snapshot();
             return ferry::metrics::render_metrics(in);
           },
       .ready = [] { return true; },
       .now = [] { return ferry::Clock::now(); },
       .unix_now =
           [] {
             return static_cast<std::int64_t>(
                 std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count());
           },
       .counters = &credential_counts});
  ferry::http::HttpServer web(settings.http, router, log);
  if (!start_web(web, settings.http, log)) {
    runtime.stop();
    return 1;
  }
  int rc = wait_for_shutdown(signals, runtime, settings.server, log);
  web.stop();  // first: it reads the workers' counters
  runtime.stop();
  log.info("stopped");
  return rc;
}
