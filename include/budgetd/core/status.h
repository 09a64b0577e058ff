#pragma once
// Expected failures (bad config, bad input, I/O) travel as values, never as exceptions across a
// module boundary. A broken invariant is an assert, not a Status.
//
//   Result<Config> r = load_config(path);
//   if (!r.ok()) return r.status();
//   use(r.value());
//
//   BUDGETD_ASSIGN_OR_RETURN(Config config, load_config(path));   // the same, in one line
//   BUDGETD_RETURN_IF_ERROR(wal.open());

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
  // REQUIRES: ok(). Reading the value of an error is a bug in the caller: it asserts (and, in
  // builds without asserts, std::get throws bad_variant_access rather than read garbage).
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Status& status() const {
    assert(!ok());
    return std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace budgetd

#define BUDGETD_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::budgetd::Status budgetd_status_ = (expr);        \
    if (!budgetd_status_.ok()) return budgetd_status_; \
  } while (0)

// BUDGETD_ASSIGN_OR_RETURN(decl, expr): evaluates `expr` (a Result<T>); on error returns its
// Status from the enclosing function, else declares (or assigns) `decl` from the value:
//
//   BUDGETD_ASSIGN_OR_RETURN(std::string bytes, env.read_file(path));
//   BUDGETD_ASSIGN_OR_RETURN(report.cut, parse_cut(name));
#define BUDGETD_STATUS_CONCAT_INNER_(a, b) a##b
#define BUDGETD_STATUS_CONCAT_(a, b) BUDGETD_STATUS_CONCAT_INNER_(a, b)
#define BUDGETD_ASSIGN_OR_RETURN(decl, expr) \
  BUDGETD_ASSIGN_OR_RETURN_IMPL_(BUDGETD_STATUS_CONCAT_(budgetd_result_, __LINE__), decl, expr)
#define BUDGETD_ASSIGN_OR_RETURN_IMPL_(result, decl, expr) \
  auto result = (expr);                                    \
  if (!result.ok()) return result.status();                \
  decl = std::move(result).value()
