#pragma once
// Expected failures (bad config, bad input, I/O) travel as values, never as exceptions across a
// module boundary. A broken invariant is an assert, not a Status.
//
//   Result<Config> r = load_config(path);
//   if (!r.ok()) return r.status();
//   use(r.value());

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace budgetd {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // the caller's input is wrong; fixing the input fixes it
  kNotFound,
  kOutOfRange,   // e.g. a time outside the retained data
  kUnavailable,  // transient: retry later (disk full, fsync failed)
  kDataLoss,     // corruption detected
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Status& status() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace budgetd

#define BUDGETD_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::budgetd::Status budgetd_status_ = (expr);        \
    if (!budgetd_status_.ok()) return budgetd_status_; \
  } while (0)
