// Status and Result<T>: the error values every module returns.
//
// A Status is either OK or carries a code and a message. Messages name the
// thing that failed (file, line, field) so a user can act on them. Result<T>
// holds either a T or a non-OK Status. Neither type throws. Thread-compatible.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace recoup {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,
  kDeadlineExceeded,
  kPermissionDenied,
  kDataLoss,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message" (payloads kept).
  Status WithPrefix(const std::string& prefix) const;

  // Typed details beside the message (abseil-style payloads), e.g. the AWS
  // error code and request ID of a failed call (aws/api_client.h). Kept by
  // copies and WithPrefix. No effect on an OK status.
  void SetPayload(const std::string& key, std::string value);
  std::optional<std::string> GetPayload(const std::string& key) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::shared_ptr<const std::map<std::string, std::string>> payloads_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Internal("Result constructed from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace recoup

#define RECOUP_CONCAT_INNER(a, b) a##b
#define RECOUP_CONCAT(a, b) RECOUP_CONCAT_INNER(a, b)

#define RECOUP_RETURN_IF_ERROR(expr)         \
  do {                                       \
    ::recoup::Status _recoup_st = (expr);    \
    if (!_recoup_st.ok()) return _recoup_st; \
  } while (0)

#define RECOUP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#define RECOUP_ASSIGN_OR_RETURN(lhs, expr) \
  RECOUP_ASSIGN_OR_RETURN_IMPL(RECOUP_CONCAT(_recoup_res_, __LINE__), lhs, expr)
