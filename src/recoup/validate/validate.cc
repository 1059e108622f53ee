#include "recoup/validate/validate.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>

namespace recoup::validate {

namespace {

// The value as it may appear in a message: at most 64 bytes, every byte
// outside printable ASCII written \xNN, so a hostile value cannot reach a
// terminal or log as it came.
std::string Quote(std::string_view v) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < v.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += v.size() > kMax ? "'..." : "'";
  return out;
}

Status Bad(std::string_view field, const std::string& why) {
  std::string m(field);
  m += ": ";
  m += why;
  return InvalidArgument(std::move(m));
}

bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }
bool AlnumAscii(char c) { return Lower(c) || Digit(c) || (c >= 'A' && c <= 'Z'); }

// Reads [a-z]+ at *i; false if none.
bool Word(std::string_view s, size_t* i) {
  const size_t start = *i;
  while (*i < s.size() && Lower(s[*i])) ++*i;
  return *i > start;
}
// Reads [0-9]{1,max} at *i; false if none or more.
bool Number(std::string_view s, size_t* i, size_t max) {
  const size_t start = *i;
  while (*i < s.size() && Digit(s[*i])) ++*i;
  return *i > start && *i - start <= max;
}

// The Region grammar at the start of `s`: [a-z]{2}(-[a-z]+){1,3}-[0-9]{1,2};
// returns the length matched, 0 if none.
size_t RegionPrefix(std::string_view s) {
  if (s.size() < 2 || !Lower(s[0]) || !Lower(s[1])) return 0;
  size_t i = 2;
  int words = 0;
  while (i < s.size() && s[i] == '-') {
    size_t j = i + 1;
    if (j < s.size() && Digit(s[j])) {
      if (words == 0 || !Number(s, &j, 2)) return 0;
      return j;
    }
    if (!Word(s, &j) || ++words > 3) return 0;
    i = j;
  }
  return 0;
}

std::string TimeText(int64_t ms) {
  // Years 0..9999 as ISO 8601; anything else as the raw number.
  constexpr int64_t kYear0 = -62167219200000LL;
  constexpr int64_t kYear10000 = 253402300800000LL;
  if (ms >= kYear0 && ms < kYear10000) return FormatTimestamp(ms, true);
  return std::to_string(ms) + " ms since the epoch";
}

// Length of the UTF-8 sequence starting at s[i] if valid (no overlongs, no
// surrogates, at most U+10FFFF) and not a C1 control; 0 otherwise.
size_t Utf8Sequence(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    if (b0 == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return 0;  // C1 controls
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

int64_t TimeBounds::EarliestMs(const sla::Catalog& catalog) {
  int64_t earliest = std::numeric_limits<int64_t>::max();
  for (const sla::ServiceTerms& t : catalog.services()) {
    for (const sla::SlaVersion& v : t.versions) {
      int64_t from = v.effective_month.StartMs();
      if (auto parsed = ParseTimestampMs(v.effective_from); parsed.ok()) from = *parsed;
      earliest = std::min(earliest, from);
    }
  }
  return earliest == std::numeric_limits<int64_t>::max() ? 0 : earliest;
}

int64_t TimeBounds::EarliestFor(std::string_view service) const {
  for (const auto& [key, ms] : service_earliest_ms) {
    if (key == service) return ms;
  }
  return earliest_ms;
}

TimeBounds TimeBounds::For(const sla::Catalog& catalog, int64_t now_ms, int64_t skew_ms) {
  TimeBounds b;
  b.earliest_ms = EarliestMs(catalog);
  for (const sla::ServiceTerms& t : catalog.services()) {
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (const sla::SlaVersion& v : t.versions) {
      int64_t from = v.effective_month.StartMs();
      if (auto parsed = ParseTimestampMs(v.effective_from); parsed.ok()) from = *parsed;
      earliest = std::min(earliest, from);
    }
    if (earliest != std::numeric_limits<int64_t>::max()) {
      b.service_earliest_ms.emplace_back(t.key, earliest);
    }
  }
  b.latest_ms = now_ms > std::numeric_limits<int64_t>::max() - skew_ms ? now_ms : now_ms + skew_ms;
  return b;
}

Status AccountId(std::string_view field, std::string_view value) {
  if (value.empty()) return Bad(field, "empty (want a 12-digit AWS account ID)");
  if (value.size() != 12 || !std::all_of(value.begin(), value.end(), Digit)) {
    return Bad(field, Quote(value) + " is not a 12-digit AWS account ID");
  }
  return Status::Ok();
}

Status Region(std::string_view field, std::string_view value) {
  if (value.empty()) return Bad(field, "empty (want an AWS Region such as us-east-1)");
  if (value.size() > kMaxRegionLength || RegionPrefix(value) != value.size()) {
    return Bad(field, Quote(value) + " is not an AWS Region name (such as us-east-1)");
  }
  return Status::Ok();
}

Status AvailabilityZone(std::string_view field, std::string_view value) {
  if (value.empty()) return Bad(field, "empty (want an Availability Zone such as us-east-1a)");
  bool ok = false;
  if (value.size() <= kMaxZoneLength) {
    const size_t r = RegionPrefix(value);
    if (r > 0) {
      size_t i = r;
      // Local Zone: us-west-2-lax-1a
      if (i < value.size() && value[i] == '-') {
        size_t j = i + 1;
        if (Word(value, &j) && j < value.size() && value[j] == '-') {
          ++j;
          if (Number(value, &j, 2)) i = j;
        }
      }
      ok = i + 1 == value.size() && Lower(value[i]);
    } else {
      // Zone ID: use1-az1
      size_t i = 0;
      ok = Word(value, &i) && i >= 2 && i <= 6 && Number(value, &i, 2) &&
           value.substr(i, 3) == "-az";
      if (ok) {
        i += 3;
        ok = Number(value, &i, 2) && i == value.size();
      }
    }
  }
  if (!ok) {
    return Bad(field, Quote(value) + " is not an Availability Zone name (such as us-east-1a)");
  }
  return Status::Ok();
}

Status Service(std::string_view field, std::string_view value, const sla::Catalog& catalog) {
  if (value.empty()) return Bad(field, "empty (want a service the SLA catalog covers)");
  if (value.size() > kMaxServiceLength || catalog.Find(value) == nullptr) {
    return Bad(field, Quote(value) + " is not a service in the SLA catalog");
  }
  return Status::Ok();
}

Status RequestId(std::string_view field, std::string_view value) {
  if (value.empty()) return Bad(field, "empty (a request ID, when present, is never empty)");
  if (value.size() > kMaxRequestIdLength) {
    return Bad(field, "longer than " + std::to_string(kMaxRequestIdLength) + " characters");
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>') {
      return Bad(field, Quote(value) + " is not a request ID (printable ASCII, no blanks)");
    }
  }
  return Status::Ok();
}

Status Arn(std::string_view field, std::string_view value) {
  if (value.size() > kMaxResourceLength) {
    return Bad(field, "longer than " + std::to_string(kMaxResourceLength) + " characters");
  }
  if (Status st = Text(field, value, kMaxResourceLength); !st.ok()) return st;
  // arn:partition:service:region:account:resource
  std::string_view parts[5];
  std::string_view rest = value;
  for (std::string_view& p : parts) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return Bad(field, Quote(value) + " is not an ARN (arn:partition:service:region:account:...)");
    }
    p = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  const auto name_ok = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return Lower(c) || Digit(c) || c == '-'; });
  };
  const bool ok =
      parts[0] == "arn" && name_ok(parts[1]) && parts[1].substr(0, 3) == "aws" &&
      name_ok(parts[2]) && (parts[3].empty() || RegionPrefix(parts[3]) == parts[3].size()) &&
      (parts[4].empty() ||
       (parts[4].size() == 12 && std::all_of(parts[4].begin(), parts[4].end(), Digit))) &&
      !rest.empty();
  if (!ok) {
    return Bad(field, Quote(value) + " is not an ARN (arn:partition:service:region:account:...)");
  }
  return Status::Ok();
}

Status Time(std::string_view field, int64_t ms, const TimeBounds& bounds,
            std::string_view service) {
  const int64_t from = bounds.EarliestFor(service);
  if (ms < from) {
    return Bad(field, TimeText(ms) + " is before " + FormatTimestamp(from) +
                          ", the start of the earliest " + std::string(service) +
                          " SLA in the catalog");
  }
  return Time(field, ms, bounds);
}

Status Time(std::string_view field, int64_t ms, const TimeBounds& bounds) {
  if (ms < bounds.earliest_ms) {
    return Bad(field, TimeText(ms) + " is before " + FormatTimestamp(bounds.earliest_ms) +
                          ", the start of the earliest SLA in the catalog");
  }
  if (ms > bounds.latest_ms) {
    return Bad(field, TimeText(ms) + " is in the future (after " +
                          FormatTimestamp(bounds.latest_ms) + ": now plus " +
                          std::to_string(kClockSkewMs / kMsPerMinute) + " minutes of clock skew)");
  }
  return Status::Ok();
}

Status IntInRange(std::string_view field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return Bad(field, std::to_string(value) + " is outside " + std::to_string(lo) + ".." +
                          std::to_string(hi));
  }
  return Status::Ok();
}

Status Text(std::string_view field, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return Bad(field, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) {
        return Bad(field, "control character at byte " + std::to_string(i) + " in " + Quote(value));
      }
      ++i;
      continue;
    }
    const size_t n = Utf8Sequence(value, i);
    if (n == 0) {
      return Bad(field, "invalid UTF-8 or a control character at byte " + std::to_string(i) +
                            " in " + Quote(value));
    }
    i += n;
  }
  return Status::Ok();
}

Status FileNameComponent(std::string_view field, std::string_view value) {
  const bool ok = !value.empty() && value.size() <= kMaxFileNameComponent && value[0] != '.' &&
                  value[0] != '-' && std::all_of(value.begin(), value.end(), [](char c) {
                    return AlnumAscii(c) || c == '.' || c == '_' || c == '-';
                  });
  if (!ok) {
    return Bad(field, Quote(value) +
                          " cannot be part of a file name (want 1 to 128 of A-Z a-z 0-9 . _ -)");
  }
  return Status::Ok();
}

bool PathInside(const std::string& root, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path r = fs::absolute(fs::path(root), ec).lexically_normal();
  if (ec) return false;
  const fs::path p = fs::absolute(fs::path(path), ec).lexically_normal();
  if (ec) return false;
  const fs::path rel = p.lexically_relative(r);
  if (rel.empty()) return false;
  for (const fs::path& part : rel) {
    if (part == "..") return false;
  }
  return true;
}

Status ContainedPath(const std::string& root, const std::string& path) {
  if (!PathInside(root, path)) {
    return InvalidArgument(Quote(path) + " is outside its folder " + Quote(root) +
                           ": refused to write it");
  }
  return Status::Ok();
}

Status EventFields(const events::EventView& e, const FieldNames& n, const TimeBounds& bounds,
                   const sla::Catalog& catalog) {
  RECOUP_RETURN_IF_ERROR(Time(n.time, e.time_ms, bounds, e.service));
  RECOUP_RETURN_IF_ERROR(AccountId(n.account, e.account));
  RECOUP_RETURN_IF_ERROR(Region(n.region, e.region));
  RECOUP_RETURN_IF_ERROR(Service(n.service, e.service, catalog));
  RECOUP_RETURN_IF_ERROR(Text(n.operation, e.operation, kMaxOperationLength));
  RECOUP_RETURN_IF_ERROR(Text(n.error_code, e.error_code, kMaxErrorCodeLength));
  if (!e.request_id.empty()) RECOUP_RETURN_IF_ERROR(RequestId(n.request_id, e.request_id));
  if (e.resource.substr(0, 4) == "arn:") {
    RECOUP_RETURN_IF_ERROR(Arn(n.resource, e.resource));
  } else {
    RECOUP_RETURN_IF_ERROR(Text(n.resource, e.resource, kMaxResourceLength));
  }
  if (e.http_status != 0)
    RECOUP_RETURN_IF_ERROR(IntInRange(n.http_status, e.http_status, 100, 999));
  if (e.latency_ms != -1) {
    RECOUP_RETURN_IF_ERROR(IntInRange(n.latency_ms, e.latency_ms, 0, kMaxLatencyMs));
  }
  return Status::Ok();
}

}  // namespace recoup::validate
