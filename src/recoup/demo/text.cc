#include "recoup/demo/text.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "recoup/core/time.h"

namespace recoup::demo {

void AppendEscaped(std::string& out, std::string_view s) {
  size_t plain = 0;
  while (plain < s.size() && s[plain] != '"' && s[plain] != '\\' &&
         static_cast<unsigned char>(s[plain]) >= 0x20) {
    ++plain;
  }
  out.append(s.data(), plain);
  for (char c : s.substr(plain)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

void Kv(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  AppendEscaped(out, value);
  out += '"';
}

void KvList(std::string& out, std::initializer_list<KvField> fields) {
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) out += ',';
    first = false;
    Kv(out, key, value);
  }
}

std::string Iso(int64_t ms) { return FormatTimestamp(ms); }

std::string CompactMinute(int64_t ms) {
  const CivilDate d = CivilFromDays(FloorDiv(ms, kMsPerDay));
  const int64_t secs = (ms - FloorDiv(ms, kMsPerDay) * kMsPerDay) / 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02uT%02lld%02lldZ", static_cast<long long>(d.year),
                d.month, d.day, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60));
  return buf;
}

std::string DatePath(int64_t ms) {
  const CivilDate d = CivilFromDays(FloorDiv(ms, kMsPerDay));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld/%02u/%02u", static_cast<long long>(d.year), d.month,
                d.day);
  return buf;
}

std::string DateDash(int64_t ms) {
  std::string s = DatePath(ms);
  std::replace(s.begin(), s.end(), '/', '-');
  return s;
}

std::string CurTime(int64_t ms) {
  std::string s = Iso(ms);
  s.insert(s.size() - 1, ".000");
  return s;
}

std::string StsExpiration(int64_t ms) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const CivilDate d = CivilFromDays(FloorDiv(ms, kMsPerDay));
  const int64_t secs = (ms - FloorDiv(ms, kMsPerDay) * kMsPerDay) / 1000;
  int64_t h = secs / 3600;
  const char* ampm = h < 12 ? "AM" : "PM";
  h = h % 12 == 0 ? 12 : h % 12;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %u, %lld, %lld:%02lld:%02lld %s", kMonths[d.month - 1], d.day,
                static_cast<long long>(d.year), static_cast<long long>(h),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60), ampm);
  return buf;
}

std::string FormatUnits(int64_t units, int min_frac) {
  const bool neg = units < 0;
  const uint64_t a = neg ? static_cast<uint64_t>(-units) : static_cast<uint64_t>(units);
  std::string frac = std::to_string(a % static_cast<uint64_t>(kUsd));
  frac.insert(0, 10 - frac.size(), '0');
  while (static_cast<int>(frac.size()) > min_frac && frac.back() == '0') frac.pop_back();
  std::string s = std::to_string(a / static_cast<uint64_t>(kUsd));
  if (!frac.empty()) s += "." + frac;
  return neg ? "-" + s : s;
}

}  // namespace recoup::demo
