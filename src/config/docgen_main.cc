// ferry_docgen OUTDIR: writes the generated documentation into a source tree (or any directory):
//   OUTDIR/man/turnserver.8, OUTDIR/man/turnserver.conf.5, OUTDIR/man/turnadmin.1,
//   OUTDIR/etc/turnserver.conf.reference,
//   and the option list between the markers of OUTDIR/docs/CONFIGURATION.md when that file exists.
// config_test fails when the committed copies differ from what this would write.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ferry/config/config.h"
#include "turnadmin/admin_options.h"

namespace {

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED OPTIONS (ferry_docgen) -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED OPTIONS -->\n";

bool write(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    std::fprintf(stderr, "ferry_docgen: cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("wrote %s\n", path.c_str());
  return true;
}

// Replaces what lies between the markers, keeping the hand-written prose around them.
bool splice_markdown(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return true;  // no document to update in this directory
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string doc = buffer.str();
  auto begin = doc.find(kBegin);
  auto end = doc.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    std::fprintf(stderr, "ferry_docgen: %s lacks the generated-options markers\n", path.c_str());
    return false;
  }
  begin += kBegin.size();
  doc.replace(begin, end - begin, ferry::config::render_options_markdown());
  return write(path, doc);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ferry_docgen OUTDIR   (OUTDIR is usually the source tree)\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  bool ok =
      write(root / "man" / "turnserver.8", ferry::config::render_man8()) &&
      write(root / "man" / "turnserver.conf.5", ferry::config::render_man5()) &&
      write(root / "man" / "turnadmin.1", ferry::turnadmin::render_admin_man()) &&
      write(root / "etc" / "turnserver.conf.reference", ferry::config::render_reference_conf()) &&
      splice_markdown(root / "docs" / "CONFIGURATION.md");
  return ok ? 0 : 1;
}
