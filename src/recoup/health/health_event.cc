#include "recoup/health/health_event.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "recoup/core/time.h"
#include "recoup/validate/validate.h"

namespace recoup::health {

namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// EventBridge Health times are RFC 1123 ("Tue, 29 Aug 2023 03:13:27 GMT");
// accept ISO 8601 and epoch seconds as well. 0 when empty.
Result<int64_t> EventTime(const json& detail, const char* key) {
  auto it = detail.find(key);
  if (it == detail.end() || it->is_null()) return int64_t{0};
  if (it->is_number()) return static_cast<int64_t>(it->get<double>() * 1000.0);
  if (!it->is_string()) return InvalidArgument(std::string("detail.") + key + " is not a string");
  const std::string text = it->get<std::string>();
  if (text.empty()) return int64_t{0};
  auto ms = ParseRfc1123Ms(text);
  if (ms.ok()) return *ms;
  auto iso = ParseTimestampMs(text);
  if (iso.ok()) return *iso;
  return InvalidArgument(std::string("detail.") + key + ": unreadable time \"" + text + "\"");
}

// "arn:aws:health:us-west-2::event/..." -> "us-west-2"
std::string RegionOfArn(const std::string& arn) {
  size_t p = 0;
  for (int i = 0; i < 3; ++i) {
    p = arn.find(':', p);
    if (p == std::string::npos) return "";
    ++p;
  }
  const size_t e = arn.find(':', p);
  return e == std::string::npos ? "" : arn.substr(p, e - p);
}

Result<health::HealthEvent> FromEnvelope(const json& j) {
  if (!j.is_object()) return InvalidArgument("not a JSON object");
  json detail;
  std::string envelope_region, envelope_time, account;
  if (auto d = j.find("detail"); d != j.end()) {
    const std::string source = Str(j, "source");
    const std::string type = Str(j, "detail-type");
    if (source != "aws.health" && type != "AWS Health Event") {
      return InvalidArgument("not an aws.health event (source \"" + source + "\")");
    }
    detail = *d;
    envelope_region = Str(j, "region");
    envelope_time = Str(j, "time");
    account = Str(j, "account");
  } else if (auto d2 = j.find("Detail"); d2 != j.end()) {
    // A PutEvents entry: Detail is a JSON string.
    if (Str(j, "DetailType") != "AWS Health Event") {
      return InvalidArgument("not an AWS Health Event entry (DetailType \"" + Str(j, "DetailType") +
                             "\")");
    }
    if (!d2->is_string()) return InvalidArgument("Detail is not a string");
    detail = json::parse(d2->get<std::string>(), nullptr, false);
    if (detail.is_discarded()) return InvalidArgument("Detail is not JSON");
    envelope_time = Str(j, "Time");
  } else if (j.contains("eventArn") && j.contains("eventTypeCode")) {
    detail = j;  // a bare detail object
  } else {
    return InvalidArgument("no \"detail\": not an EventBridge event");
  }
  if (!detail.is_object()) return InvalidArgument("detail is not an object");
  health::HealthEvent e;
  e.arn = Str(detail, "eventArn");
  e.service = Str(detail, "service");
  e.event_type_code = Str(detail, "eventTypeCode");
  e.event_type_category = Str(detail, "eventTypeCategory");
  if (e.arn.empty()) return InvalidArgument("detail.eventArn is missing");
  if (e.service.empty()) return InvalidArgument("detail.service is missing");
  if (e.event_type_code.empty()) return InvalidArgument("detail.eventTypeCode is missing");
  e.region = Str(detail, "eventRegion");
  if (e.region.empty()) e.region = RegionOfArn(e.arn);
  if (e.region.empty()) e.region = envelope_region;
  RECOUP_ASSIGN_OR_RETURN(e.start_ms, EventTime(detail, "startTime"));
  if (e.start_ms == 0) return InvalidArgument("detail.startTime is missing");
  RECOUP_ASSIGN_OR_RETURN(e.end_ms, EventTime(detail, "endTime"));
  RECOUP_ASSIGN_OR_RETURN(e.last_updated_ms, EventTime(detail, "lastUpdatedTime"));
  if (e.last_updated_ms == 0 && !envelope_time.empty()) {
    auto t = ParseTimestampMs(envelope_time);
    if (t.ok()) e.last_updated_ms = *t;
  }
  if (e.last_updated_ms == 0) e.last_updated_ms = std::max(e.start_ms, e.end_ms);
  e.status = Str(detail, "statusCode");
  if (e.status.empty()) e.status = e.end_ms > 0 ? "closed" : "open";
  if (auto d = detail.find("eventDescription"); d != detail.end() && d->is_array()) {
    for (const auto& item : *d) {
      const std::string text = Str(item, "latestDescription");
      if (text.empty()) continue;
      const std::string lang = Str(item, "language");
      if (e.description.empty() || lang == "en_US") e.description = text;
    }
  }
  if (Str(detail, "eventScopeCode") == "ACCOUNT_SPECIFIC" && !account.empty()) {
    e.accounts.push_back(account);
  } else if (auto a = detail.find("affectedAccount"); a != detail.end() && a->is_string()) {
    e.accounts.push_back(a->get<std::string>());
  }
  e.source = "eventbridge";
  RECOUP_RETURN_IF_ERROR(ValidateHealthEvent(e));
  return e;
}

int64_t LineOf(std::string_view text, size_t offset) {
  return 1 + std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n');
}

// Offsets of the top-level elements of a JSON array (text already known to
// be a valid array).
std::vector<std::pair<size_t, size_t>> ArrayElements(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      if (depth == 1 && start == std::string_view::npos) start = i;
      continue;
    }
    if (c == '[' || c == '{') {
      ++depth;
      if (depth == 2 && start == std::string_view::npos) start = i;
      continue;
    }
    if (c == ']' || c == '}') {
      if (depth == 1 && start != std::string_view::npos) {
        out.emplace_back(start, i - start);
        start = std::string_view::npos;
      }
      --depth;
      continue;
    }
    if (depth == 1 && c == ',') {
      if (start != std::string_view::npos) out.emplace_back(start, i - start);
      start = std::string_view::npos;
      continue;
    }
    if (depth == 1 && start == std::string_view::npos &&
        !std::isspace(static_cast<unsigned char>(c))) {
      start = i;
    }
  }
  return out;
}

}  // namespace

Status ValidateHealthEvent(const health::HealthEvent& e) {
  RECOUP_RETURN_IF_ERROR(validate::Arn("eventArn", e.arn));
  if (e.region != "global") RECOUP_RETURN_IF_ERROR(validate::Region("eventRegion", e.region));
  for (const std::string& a : e.accounts) RECOUP_RETURN_IF_ERROR(validate::AccountId("account", a));
  RECOUP_RETURN_IF_ERROR(validate::Text("service", e.service, 64));
  RECOUP_RETURN_IF_ERROR(validate::Text("eventTypeCode", e.event_type_code, 256));
  RECOUP_RETURN_IF_ERROR(validate::Text("eventTypeCategory", e.event_type_category, 64));
  RECOUP_RETURN_IF_ERROR(validate::Text("statusCode", e.status, 32));
  constexpr int64_t kYear10000 = 253402300800000LL;
  RECOUP_RETURN_IF_ERROR(validate::IntInRange("startTime", e.start_ms, 0, kYear10000 - 1));
  RECOUP_RETURN_IF_ERROR(validate::IntInRange("endTime", e.end_ms, 0, kYear10000 - 1));
  RECOUP_RETURN_IF_ERROR(
      validate::IntInRange("lastUpdatedTime", e.last_updated_ms, 0, kYear10000 - 1));
  if (e.end_ms != 0 && e.end_ms < e.start_ms) {
    return InvalidArgument("endTime: before startTime");
  }
  return Status::Ok();
}

Result<health::HealthEvent> ParseEventBridgeEvent(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("not JSON");
  return FromEnvelope(j);
}

ParsedFile ParseEventFile(std::string_view bytes, const std::string& name) {
  ParsedFile out;
  auto add = [&](std::string_view piece, int64_t line) {
    auto e = ParseEventBridgeEvent(piece);
    if (e.ok()) {
      out.events.push_back(std::move(*e));
    } else {
      out.errors.push_back(name + ":" + std::to_string(line) + ": " + e.status().message());
    }
  };
  json whole = json::parse(bytes, nullptr, false);
  if (!whole.is_discarded()) {
    if (whole.is_array()) {
      for (const auto& [off, len] : ArrayElements(bytes)) {
        add(bytes.substr(off, len), LineOf(bytes, off));
      }
    } else {
      size_t first = 0;
      while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) {
        ++first;
      }
      add(bytes, LineOf(bytes, first));
    }
    return out;
  }
  // JSON lines (or a damaged document: each of its lines is then named).
  size_t pos = 0;
  int64_t line = 0;
  bool any_line_json = false;
  std::vector<std::pair<std::string_view, int64_t>> lines;
  while (pos <= bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) nl = bytes.size();
    ++line;
    std::string_view l = bytes.substr(pos, nl - pos);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.remove_suffix(1);
    while (!l.empty() && std::isspace(static_cast<unsigned char>(l.front()))) l.remove_prefix(1);
    if (!l.empty()) {
      lines.emplace_back(l, line);
      if (!any_line_json && !json::parse(l, nullptr, false).is_discarded()) any_line_json = true;
    }
    pos = nl + 1;
  }
  if (!any_line_json) {
    // One damaged document: name the line where parsing stopped.
    try {
      const json parsed = json::parse(bytes);
      (void)parsed;
    } catch (const json::parse_error& e) {
      out.errors.push_back(name + ":" + std::to_string(LineOf(bytes, e.byte > 0 ? e.byte - 1 : 0)) +
                           ": not JSON (" + std::string(e.what()).substr(0, 200) + ")");
    }
    if (out.errors.empty()) out.errors.push_back(name + ":1: not JSON");
    return out;
  }
  for (const auto& [l, n] : lines) add(l, n);
  return out;
}

health::HealthEvent FromApiEvent(const aws::HealthApiEvent& a, std::string description,
                                 std::vector<std::string> accounts, std::string source) {
  health::HealthEvent e;
  e.arn = a.arn;
  e.service = a.service;
  e.event_type_code = a.event_type_code;
  e.event_type_category = a.event_type_category;
  e.region = a.region.empty() ? RegionOfArn(a.arn) : a.region;
  e.status = a.status_code;
  e.start_ms = a.start_ms;
  e.end_ms = a.end_ms;
  e.last_updated_ms = a.last_updated_ms != 0 ? a.last_updated_ms : std::max(a.start_ms, a.end_ms);
  e.description = std::move(description);
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  e.accounts = std::move(accounts);
  e.source = std::move(source);
  return e;
}

bool Overlaps(const health::HealthEvent& e, int64_t start_ms, int64_t end_ms) {
  if (e.start_ms >= end_ms) return false;
  return e.end_ms == 0 || e.end_ms > start_ms;
}

std::string HealthServiceName(std::string_view recoup_service) {
  std::string out(recoup_service);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace recoup::health
