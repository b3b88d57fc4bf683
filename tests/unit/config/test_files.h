// Temporary files for reader tests, and small helpers over diagnostics.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ferry/config/config.h"

namespace ferry::config::testing {

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("ferry-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline std::vector<Diagnostic> only(const LoadOutcome& out, Diagnostic::Severity severity) {
  std::vector<Diagnostic> result;
  for (const auto& d : out.diagnostics) {
    if (d.severity == severity) result.push_back(d);
  }
  return result;
}
inline std::vector<Diagnostic> errors(const LoadOutcome& out) {
  return only(out, Diagnostic::Severity::kError);
}
inline std::vector<Diagnostic> warnings(const LoadOutcome& out) {
  return only(out, Diagnostic::Severity::kWarning);
}

inline std::string all_messages(const LoadOutcome& out) {
  std::string text;
  for (const auto& d : out.diagnostics) text += d.to_string() + "\n";
  return text;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Loads `text` as a flat file named `name` (the extension picks the format).
inline LoadOutcome load_text(const TempDir& dir, const std::string& text,
                             const std::string& name = "t.conf") {
  return load_file_only(dir.write(name, text));
}

// load() with -n, so no default file on the machine interferes.
inline LoadOutcome load_args(std::vector<std::string> args) {
  args.insert(args.begin(), "-n");
  return load(args);
}

}  // namespace ferry::config::testing
