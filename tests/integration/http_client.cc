#include "http_client.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>

namespace ferry::testing {

namespace {

int connect_to(const Address& server, Millis timeout) {
  int fd = socket(server.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss;
  socklen_t len = server.to_sockaddr(&ss);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::optional<HttpReply> parse(const std::string& raw) {
  auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return std::nullopt;
  HttpReply r;
  r.status = std::atoi(raw.c_str() + 9);
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    auto eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = eol + 2;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

}  // namespace

std::optional<HttpReply> http_exchange(const Address& server, const std::string& request, bool tls,
                                       Millis timeout) {
  int fd = connect_to(server, timeout);
  if (fd < 0) return std::nullopt;
  std::string raw;
  char buf[16384];
  if (!tls) {
    (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
      raw.append(buf, static_cast<std::size_t>(n));
  } else {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;)
        raw.append(buf, static_cast<std::size_t>(n));
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  close(fd);
  return parse(raw);
}

std::optional<HttpReply> http_get(const Address& server, const std::string& path, bool tls,
                                  Millis timeout) {
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + server.to_string() + "\r\nConnection: close\r\n\r\n";
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto r = http_exchange(server, request, tls, timeout)) return r;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(Millis(50));
  }
}

}  // namespace ferry::testing
