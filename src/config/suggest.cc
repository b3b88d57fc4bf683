// "Did you mean ...?" for unknown option names: the nearest name by optimal-string-alignment
// distance (Levenshtein plus adjacent transpositions, the typo people make most).
#include <algorithm>
#include <vector>

#include "ferry/config/options.h"
#include "text_util.h"

namespace ferry::config {
namespace {

// Case-insensitive, so "VERBOSE" or "ca-file" still find their option.
std::size_t osa_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const char ca = detail::to_lower(a[i - 1]);
      const char cb = detail::to_lower(b[j - 1]);
      const std::size_t cost = ca == cb ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && ca == detail::to_lower(b[j - 2]) && detail::to_lower(a[i - 2]) == cb) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

// Short names need a near-exact match to be worth suggesting; long ones tolerate a few slips.
std::size_t threshold(std::string_view name) {
  return std::clamp<std::size_t>(name.size() / 3, 1, 3);
}

}  // namespace

std::string_view nearest_option(std::string_view name) {
  std::string_view best;
  std::size_t best_distance = threshold(name) + 1;
  auto consider = [&](std::string_view candidate) {
    auto d = osa_distance(name, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  };
  for (const auto& o : option_table()) {
    consider(o.name);
    detail::for_each_word(o.aliases, consider);
  }
  return best;
}

}  // namespace ferry::config
