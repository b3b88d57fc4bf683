// A JSON string literal of any bytes (quotes, backslashes and control bytes escaped): the
// listener's answers are built by hand, and every value copied into them goes through this.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::http {

inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string json_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) out += (out.size() > 1 ? "," : "") + json_string(s);
  return out + "]";
}

}  // namespace ferry::http
