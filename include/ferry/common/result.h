// Result<T>: a value or an Error, used by the codec and the core instead of exceptions
// (DESIGN.md section 4, convention 2). Errors carry a static message, so producing one never
// allocates: a malformed packet costs no heap traffic.
#pragma once

#include <string_view>
#include <utility>
#include <variant>

namespace ferry {

struct Error {
  std::string_view what;  // always a string literal
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(e) {}                 // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : err_(e), failed_(true) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  Error error() const { return err_; }

 private:
  Error err_{};
  bool failed_ = false;
};

}  // namespace ferry
