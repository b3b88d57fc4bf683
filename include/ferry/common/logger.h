// Logging interface. Modules receive a Logger& (no global logger, DESIGN.md convention 5).
// The codec never logs; the core and net log events, never one line per packet.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ferry {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };
std::string_view log_level_name(LogLevel l);

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void write(LogLevel level, std::string_view message) = 0;

  void set_level(LogLevel l) { level_ = l; }
  LogLevel level() const { return level_; }
  bool enabled(LogLevel l) const { return static_cast<int>(l) <= static_cast<int>(level_); }

  void error(std::string_view m) { log(LogLevel::kError, m); }
  void warning(std::string_view m) { log(LogLevel::kWarning, m); }
  void info(std::string_view m) { log(LogLevel::kInfo, m); }
  void debug(std::string_view m) { log(LogLevel::kDebug, m); }
  void log(LogLevel l, std::string_view m) {
    if (enabled(l)) write(l, m);
  }

 private:
  LogLevel level_ = LogLevel::kInfo;
};

// Discards everything (tests, tools).
class NullLogger final : public Logger {
 public:
  void write(LogLevel, std::string_view) override {}
};

// Where log lines go, chosen by log-file / syslog / no-stdout-log (coturn semantics):
// stdout unless no-stdout-log, plus a file (log-file=PATH) or syslog (log-file=syslog or syslog).
struct LogOutputs {
  bool to_stdout = true;
  std::string file;  // empty: none; "stdout"/"-": stdout; "syslog": syslog
  bool to_syslog = false;
  bool simple = false;  // simple-log: use the file name as given (no date/pid suffix)
  bool operator==(const LogOutputs&) const = default;
};

// Thread-safe sink for the whole process; lines are short and rare (events, not packets).
class SinkLogger final : public Logger {
 public:
  // Opens the outputs; on failure to open the file, logs a warning to stderr and continues.
  explicit SinkLogger(const LogOutputs& outputs);
  ~SinkLogger() override;
  SinkLogger(const SinkLogger&) = delete;
  SinkLogger& operator=(const SinkLogger&) = delete;
  void write(LogLevel level, std::string_view message) override;
  const std::string& file_path() const { return path_; }

 private:
  std::mutex mu_;
  bool stdout_ = true;
  bool syslog_ = false;
  std::FILE* file_ = nullptr;
  std::string path_;
};

}  // namespace ferry
