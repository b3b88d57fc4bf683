// The command line, as getopt_long reads coturn's: --name value, --name=value, bare --flag,
// --flag=no, short letters (-p 3478, -p3478, bundled -vf), and --stale-nonce[=N].
#include "readers.h"
#include "text_util.h"

namespace ferry::config::detail {
namespace {

constexpr std::string_view kWhere = "command line";

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

class Parser {
 public:
  Parser(std::span<const std::string> args, Applier& applier) : args_(args), applier_(applier) {}

  std::vector<CommandLineItem> run() {
    for (i_ = 0; i_ < args_.size(); ++i_) {
      std::string_view arg = args_[i_];
      if (arg == "--") {
        for (++i_; i_ < args_.size(); ++i_) stray(args_[i_]);
      } else if (arg.substr(0, 2) == "--") {
        long_option(arg.substr(2));
      } else if (arg.size() > 1 && arg[0] == '-') {
        short_options(arg.substr(1));
      } else {
        stray(arg);
      }
    }
    return std::move(items_);
  }

 private:
  // The next argument as a value, unless there is none or it is clearly another option.
  std::optional<std::string> next_value() {
    if (i_ + 1 >= args_.size() || args_[i_ + 1].substr(0, 2) == "--") return std::nullopt;
    return args_[++i_];
  }

  void add(const OptionSpec& spec, std::optional<std::string> value, std::string written) {
    if (takes_value(spec) && !value) {
      applier_.error(std::string(kWhere),
                     "'" + written + "' needs a value (" + expected_value(spec) + ")");
      return;
    }
    items_.push_back({&spec, std::move(value), std::move(written)});
  }

  void long_option(std::string_view body) {
    auto eq = body.find('=');
    auto name = body.substr(0, eq);
    const OptionSpec* spec = applier_.lookup(name, std::string(kWhere), "--");
    if (spec == nullptr) return;
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    } else if (takes_value(*spec)) {
      value = next_value();
    } else if (spec->type == OptionType::kFlagOrInt && i_ + 1 < args_.size() &&
               all_digits(args_[i_ + 1])) {
      // getopt would leave "900" in `--stale-nonce 900` as a stray word; taking it is kinder.
      value = args_[++i_];
    }
    add(*spec, std::move(value), "--" + std::string(name));
  }

  void short_options(std::string_view letters) {
    // "-listening-port 3478" would otherwise read as -l with the value "istening-port".
    if (auto name = letters.substr(0, letters.find('=')); name.size() > 2 && find_option(name)) {
      applier_.error(std::string(kWhere), "long options take two dashes: '--" + std::string(name) +
                                              "', not '-" + std::string(name) + "'");
      return;
    }
    for (std::size_t j = 0; j < letters.size(); ++j) {
      const OptionSpec* spec = find_short_option(letters[j]);
      std::string written = "-" + std::string(1, letters[j]);
      if (spec == nullptr) {
        applier_.error(std::string(kWhere), "unknown option '" + written + "'");
        return;
      }
      if (!takes_value(*spec)) {
        add(*spec, std::nullopt, written);
        continue;
      }
      auto rest = letters.substr(j + 1);
      add(*spec, rest.empty() ? next_value() : std::optional<std::string>(rest), written);
      return;
    }
  }

  void stray(std::string_view arg) {
    applier_.error(std::string(kWhere),
                   "unexpected argument '" + std::string(arg) +
                       "' (options start with '--'; a flag takes a value as --flag=no)");
  }

  std::span<const std::string> args_;
  Applier& applier_;
  std::size_t i_ = 0;
  std::vector<CommandLineItem> items_;
};

}  // namespace

std::vector<CommandLineItem> parse_command_line(std::span<const std::string> args,
                                                Applier& applier) {
  return Parser(args, applier).run();
}

}  // namespace ferry::config::detail
