// The test page's files, compiled into the binary from src/http/assets/ (embed_assets.cmake):
// the page needs nothing from outside, not even a file next to the binary.
#pragma once

#include <span>
#include <string_view>

namespace ferry::http {

struct Asset {
  std::string_view path;  // "/", "/page.js", ...
  std::string_view content_type;
  std::string_view body;
};

std::span<const Asset> assets();

}  // namespace ferry::http
