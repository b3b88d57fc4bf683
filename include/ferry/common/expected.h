// Expected<T>: a value, or why there is none, in words for the operator ("UDP 127.0.0.1:3478 is
// already in use"). The one way start-up work fails (sockets, event loops, TLS files, the
// CSPRNG): the caller passes the Failure up, adds context, or logs it and stops. The packet
// path never builds messages; it uses Result<T> (result.h), whose errors are static literals.
// The interface is std::expected's (C++23) subset, so moving to it later is a rename.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ferry {

struct Failure {
  std::string message;
};

// Failure{"..."} reads well at a return; fail("a: " + b) too.
inline Failure fail(std::string message) {
  return Failure{std::move(message)};
}

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Failure f) : v_(std::move(f)) {}    // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(v_).message; }
  Failure failure() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Failure> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Failure f) : failure_(std::move(f)), failed_(true) {}  // NOLINT

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  const std::string& error() const { return failure_.message; }
  Failure failure() && { return std::move(failure_); }

 private:
  Failure failure_;
  bool failed_ = false;
};

}  // namespace ferry
