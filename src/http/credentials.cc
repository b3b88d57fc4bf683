#include "ferry/http/credentials.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

#include "ferry/auth/rest_secrets.h"
#include "json.h"

namespace ferry::http {

CredentialCounts CredentialCounters::snapshot() const {
  CredentialCounts c;
  c.issued_api = issued_api.load(std::memory_order_relaxed);
  c.issued_test_page = issued_test_page.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < refused.size(); ++i) {
    c.refused[i] = refused[i].load(std::memory_order_relaxed);
  }
  return c;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of `a` is visited whatever the lengths and contents; the length difference is
  // folded in, so a prefix of the key is no closer than any other wrong guess.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const unsigned char x = static_cast<unsigned char>(a[i]);
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool key_matches(const std::vector<std::string>& keys, std::string_view presented) {
  if (presented.empty()) return false;
  bool found = false;
  for (const auto& k : keys) {
    // The configured key drives the loop: its length, not the guess's, sets the time.
    if (constant_time_equal(k, presented) && !k.empty()) found = true;
  }
  return found;
}

std::string_view presented_key(std::string_view authorization, std::string_view query_key) {
  // RFC 6750 §2.1: "Bearer" is case-insensitive, one space, then the token.
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size()) {
    bool bearer = true;
    for (std::size_t i = 0; i < kBearer.size(); ++i) {
      char c = authorization[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != kBearer[i]) bearer = false;
    }
    if (bearer) return authorization.substr(kBearer.size());
  }
  if (!authorization.empty()) return {};  // another scheme: not a key, and no fallback
  return query_key;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
    if (out.size() > kMaxQueryValue) return std::nullopt;
  }
  return out;
}

std::string url_host(const Address& a) {
  const std::string ip = a.ip_string();
  return a.is_v6() ? "[" + ip + "]" : ip;
}

bool link_local_v6(const Address& a) {
  auto ip = a.ip();
  return a.is_v6() && ip.size() == 16 && ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

// Where clients are told to go: no wildcard, no link-local, and loopback only when the server
// has nothing else (a trial on one machine).
std::vector<Address> client_addresses(const PageInfo& page) {
  std::vector<Address> out;
  bool only_loopback = true;
  for (const auto& a : page.addresses) {
    if (!a.is_any() && !link_local_v6(a) && !a.is_loopback()) only_loopback = false;
  }
  for (const auto& a : page.addresses) {
    if (a.is_any() || link_local_v6(a)) continue;
    if (a.is_loopback() && !only_loopback) continue;
    bool seen = false;
    for (const auto& b : out) seen = seen || b.same_ip(a);
    if (!seen) out.push_back(a);
  }
  return out;
}

}  // namespace

std::optional<QueryParams> parse_query(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    if (out.size() == kMaxQueryParams) return std::nullopt;
    const auto eq = part.find('=');
    auto name = form_decode(part.substr(0, eq));
    auto value =
        form_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<std::string> user_part_problem(std::string_view user, char separator) {
  if (user.empty()) return "username is empty";
  if (user.size() > kMaxUserPart) {
    return "username has " + std::to_string(user.size()) + " bytes, at most " +
           std::to_string(kMaxUserPart) + " are accepted";
  }
  for (char c : user) {
    if (c == separator) {
      return std::string("username contains the separator '") + separator + "'";
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == '+' ||
                    c == '=';
    if (!ok) return "username may hold only letters, digits and - . _ ~ @ + =";
  }
  return std::nullopt;
}

std::string random_user_part() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  std::string out;
  for (unsigned char b : bytes) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

std::vector<std::string> turn_uris(const PageInfo& page) {
  std::vector<std::string> out;
  const auto addresses = client_addresses(page);
  const std::string port = std::to_string(page.port);
  for (const auto& a : addresses) {
    const std::string hp = url_host(a) + ":" + port;
    if (page.udp) out.push_back("turn:" + hp + "?transport=udp");
    if (page.tcp) out.push_back("turn:" + hp + "?transport=tcp");
  }
  if (page.tls_port != 0) {
    // RFC 7065 §3: turns: is TURN over TLS over TCP. The browser checks the certificate
    // against the URI's host, so a name the certificate holds is the one that works.
    const std::string tls = ":" + std::to_string(page.tls_port) + "?transport=tcp";
    if (!page.tls_name.empty()) {
      out.push_back("turns:" + page.tls_name + tls);
    } else {
      for (const auto& a : addresses) out.push_back("turns:" + url_host(a) + tls);
    }
  }
  return out;
}

std::vector<std::string> stun_uris(const PageInfo& page) {
  std::vector<std::string> out;
  for (const auto& a : client_addresses(page)) {
    out.push_back("stun:" + url_host(a) + ":" + std::to_string(page.port));
  }
  return out;
}

Credential mint(std::string_view secret, std::string_view user, char separator,
                std::int64_t unix_now, std::int64_t ttl) {
  Credential c;
  c.username = std::to_string(unix_now + ttl) + separator + std::string(user);
  c.password = auth::rest_password(secret, c.username);
  c.ttl = ttl;
  return c;
}

std::string rest_json(const Credential& c, const std::vector<std::string>& uris) {
  return "{\"username\":" + json_string(c.username) + ",\"password\":" + json_string(c.password) +
         ",\"ttl\":" + std::to_string(c.ttl) + ",\"uris\":" + json_string_array(uris) + "}\n";
}

std::string ice_servers_json(const Credential& c, const std::vector<std::string>& stun,
                             const std::vector<std::string>& turn) {
  std::string servers;
  if (!stun.empty()) servers = "{\"urls\":" + json_string_array(stun) + "}";
  if (!turn.empty()) {
    servers += std::string(servers.empty() ? "" : ",") + "{\"urls\":" + json_string_array(turn) +
               ",\"username\":" + json_string(c.username) +
               ",\"credential\":" + json_string(c.password) + "}";
  }
  return "{\"iceServers\":[" + servers + "]}\n";
}

std::optional<std::string> origin_problem(std::string_view origin) {
  const char* kShape = "an origin is scheme://host[:port], e.g. https://app.example.org";
  std::string_view rest;
  if (origin.starts_with("https://")) {
    rest = origin.substr(8);
  } else if (origin.starts_with("http://")) {
    rest = origin.substr(7);
  } else {
    return std::string("'") + std::string(origin) + "' is not an origin: " + kShape;
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with("[")) {
    const auto end = rest.find(']');
    if (end == std::string_view::npos)
      return std::string("unclosed '[' in '") + std::string(origin) + "'";
    host = rest.substr(1, end - 1);
    if (!Address::parse_ip(host) || !Address::parse_ip(host)->is_v6()) {
      return std::string("'") + std::string(host) + "' is not an IPv6 address";
    }
    rest = rest.substr(end + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::string("'") + std::string(origin) + "': " + kShape;
      port = rest.substr(1);
    }
  } else {
    const auto colon = rest.find(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (host.empty()) return std::string("'") + std::string(origin) + "' has no host";
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (!ok) {
        // Browsers send origins lower-case, without path, query or trailing slash: anything
        // else would never match.
        return std::string("'") + std::string(origin) + "': " + kShape +
               " (lower-case, no path, no trailing '/')";
      }
    }
  }
  if (!port.empty() || rest.ends_with(":")) {
    if (port.empty() || port.size() > 5)
      return std::string("'") + std::string(origin) + "': bad port";
    for (char c : port) {
      if (c < '0' || c > '9') return std::string("'") + std::string(origin) + "': bad port";
    }
    if (std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0) {
      return std::string("'") + std::string(origin) + "': bad port";
    }
  }
  return std::nullopt;
}

std::vector<std::string> certificate_dns_names(const std::string& pem_file) {
  std::vector<std::string> out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(pem_file.c_str(), "r"), &BIO_free);
  if (!bio) return out;
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_DNS) continue;
    const auto* data = ASN1_STRING_get0_data(n->d.dNSName);
    std::string name(reinterpret_cast<const char*>(data),
                     static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
    // A wildcard is no host to connect to; a name with odd bytes is not copied into URIs.
    bool ok = !name.empty() && name.size() <= 253;
    for (char c : name) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-');
    }
    if (ok) out.push_back(std::move(name));
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace ferry::http
