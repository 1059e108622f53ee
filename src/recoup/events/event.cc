#include "recoup/events/event.h"

namespace recoup::events {

const char* OutcomeClassName(OutcomeClass c) {
  switch (c) {
    case OutcomeClass::kSuccess:
      return "success";
    case OutcomeClass::kServerError:
      return "server_error";
    case OutcomeClass::kThrottled:
      return "throttling";
    case OutcomeClass::kClientError:
      return "client_error";
    case OutcomeClass::kCustomKeyStore:
      return "custom_key_store";
    case OutcomeClass::kNoResponse:
      return "no_response";
  }
  return "unknown";
}

const char* SourceKindName(SourceKind s) {
  switch (s) {
    case SourceKind::kCloudTrail:
      return "cloudtrail";
    case SourceKind::kCsm:
      return "csm";
    case SourceKind::kJsonl:
      return "jsonl";
    case SourceKind::kProbe:
      return "probe";
    case SourceKind::kOtel:
      return "otel";
  }
  return "unknown";
}

std::string SourceMaskName(uint32_t mask) {
  std::string out;
  for (int i = 0; i < kSourceKindCount; ++i) {
    if (((mask >> i) & 1U) == 0) continue;
    if (!out.empty()) out += '+';
    out += SourceKindName(static_cast<SourceKind>(i));
  }
  return out;
}

Event Event::From(const EventView& v) {
  Event e;
  e.time_ms = v.time_ms;
  e.account = v.account;
  e.region = v.region;
  e.service = v.service;
  e.operation = v.operation;
  e.error_code = v.error_code;
  e.request_id = v.request_id;
  e.resource = v.resource;
  e.http_status = v.http_status;
  e.latency_ms = v.latency_ms;
  e.outcome = v.outcome;
  e.source = v.source;
  return e;
}

EventView Event::View() const {
  EventView v;
  v.time_ms = time_ms;
  v.account = account;
  v.region = region;
  v.service = service;
  v.operation = operation;
  v.error_code = error_code;
  v.request_id = request_id;
  v.resource = resource;
  v.http_status = http_status;
  v.latency_ms = latency_ms;
  v.outcome = outcome;
  v.source = source;
  return v;
}

std::string_view ServiceFromEventSource(std::string_view s) {
  const size_t dot = s.find('.');
  return dot == std::string_view::npos ? s : s.substr(0, dot);
}

std::string_view NormalizeErrorCode(std::string_view code) {
  const size_t hash = code.rfind('#');
  if (hash != std::string_view::npos) code.remove_prefix(hash + 1);
  const size_t colon = code.find(':');
  if (colon != std::string_view::npos) code = code.substr(0, colon);
  return code;
}

}  // namespace recoup::events
