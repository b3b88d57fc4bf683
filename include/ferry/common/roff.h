// Minimal roff writing for the generated man pages (turnserver's and turnadmin's).
#pragma once

#include <string>
#include <string_view>

namespace ferry {

// Escapes text for a roff body: backslashes, hyphens as \- (so copies paste as ASCII), and a
// leading '.' or '\'' that roff would take as a request.
std::string roff_escape(std::string_view text);

// One paragraph: escaped text, then a newline.
std::string roff_text(std::string_view text);

}  // namespace ferry
