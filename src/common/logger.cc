#include "ferry/common/logger.h"

#include <syslog.h>
#include <unistd.h>

#include <ctime>

namespace ferry {

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kDebug:
      return "DEBUG";
  }
  return "?";
}

static int syslog_priority(LogLevel l) {
  switch (l) {
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDebug:
      return LOG_DEBUG;
  }
  return LOG_INFO;
}

SinkLogger::SinkLogger(const LogOutputs& out) : stdout_(out.to_stdout), syslog_(out.to_syslog) {
  if (out.file == "stdout" || out.file == "-") {
    stdout_ = true;
  } else if (out.file == "syslog") {
    syslog_ = true;
  } else if (!out.file.empty()) {
    path_ = out.file;
    if (!out.simple) {
      // Without simple-log, coturn appends the date to the file name so restarts do not clobber
      // one another; do the same (name_YYYY-MM-DD.log) so log rotation scripts keep working.
      char date[16];
      std::time_t t = std::time(nullptr);
      std::tm tm{};
      localtime_r(&t, &tm);
      std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
      auto dot = path_.rfind('.');
      auto slash = path_.rfind('/');
      std::string suffix = std::string("_") + date;
      if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
        path_.insert(dot, suffix);
      } else {
        path_ += suffix + ".log";
      }
    }
    file_ = std::fopen(path_.c_str(), "a");
    if (file_ == nullptr) {
      std::fprintf(stderr, "WARNING: cannot open log file %s, logging to stdout\n", path_.c_str());
      stdout_ = true;
      path_.clear();
    }
  }
  if (syslog_) openlog("turnserver", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

SinkLogger::~SinkLogger() {
  if (file_ != nullptr) std::fclose(file_);
  if (syslog_) closelog();
}

void SinkLogger::write(LogLevel level, std::string_view message) {
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  auto name = log_level_name(level);
  std::lock_guard<std::mutex> lock(mu_);
  if (stdout_) {
    std::fprintf(stdout, "%s %.*s: %.*s\n", stamp, static_cast<int>(name.size()), name.data(),
                 static_cast<int>(message.size()), message.data());
    std::fflush(stdout);
  }
  if (file_ != nullptr) {
    std::fprintf(file_, "%s %.*s: %.*s\n", stamp, static_cast<int>(name.size()), name.data(),
                 static_cast<int>(message.size()), message.data());
    std::fflush(file_);
  }
  if (syslog_) {
    // Message passed as an argument, never as the format: user names are data.
    syslog(syslog_priority(level), "%.*s", static_cast<int>(message.size()), message.data());
  }
}

}  // namespace ferry
