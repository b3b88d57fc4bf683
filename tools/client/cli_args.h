// Small helpers shared by the command-line tools.
#pragma once

#include <cstdlib>

namespace ferry::client {

// A whole decimal number in [min, max]; false for anything else (no partial parses).
inline bool parse_number(const char* text, long min, long max, long* out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

}  // namespace ferry::client
