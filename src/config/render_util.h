// Pieces shared by the renderers (help, man pages, reference file, markdown), so an option reads
// the same in all of them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/config/options.h"

namespace ferry::config::detail {

// "-p, --listening-port PORT", "    --stale-nonce[=SECONDS]", "    --fingerprint".
std::string command_line_form(const OptionSpec& spec);
// The value placeholder: value_name, or a generic one from the type.
std::string value_placeholder(const OptionSpec& spec);
// "" for implemented options, "always so: <why>", "not supported yet", or
// "obsolete: <replacement>".
std::string status_note(const OptionSpec& spec);
// Options of one section that are not obsolete, in table order.
std::vector<const OptionSpec*> live_options(std::string_view section);
std::vector<const OptionSpec*> obsolete_options();

// Help text as a sentence for prose documents: capitalised, ending in a full stop.
std::string sentence(std::string_view text);

// The facts every document states the same way.
std::string default_paths_text();  // "./turnserver.conf, etc/turnserver.conf, ..."

}  // namespace ferry::config::detail
