#include "recoup/core/status.h"

namespace recoup {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kInternal:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithPrefix(const std::string& prefix) const {
  if (ok()) return *this;
  Status out(code_, prefix + ": " + message_);
  out.payloads_ = payloads_;
  return out;
}

void Status::SetPayload(const std::string& key, std::string value) {
  if (ok()) return;
  auto copy = payloads_ ? std::make_shared<std::map<std::string, std::string>>(*payloads_)
                        : std::make_shared<std::map<std::string, std::string>>();
  (*copy)[key] = std::move(value);
  payloads_ = std::move(copy);
}

std::optional<std::string> Status::GetPayload(const std::string& key) const {
  if (!payloads_) return std::nullopt;
  auto it = payloads_->find(key);
  if (it == payloads_->end()) return std::nullopt;
  return it->second;
}

}  // namespace recoup
