#include "recoup/core/time.h"

#include <cstdio>
#include <limits>

namespace recoup {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

int DaysIn(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

Status BadTime(std::string_view text) {
  return InvalidArgument("invalid timestamp '" + std::string(text.substr(0, 64)) +
                         "' (want ISO 8601 UTC, e.g. 2025-10-20T06:48:00Z)");
}

}  // namespace

Result<int64_t> ParseTimestampMs(std::string_view s) {
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return BadTime(s);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysIn(y, static_cast<int>(mo))) return BadTime(s);
  size_t pos = 10;
  int64_t offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return BadTime(s);
    ++pos;
    if (!Digits(s, pos, 2, &h) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !Digits(s, pos + 3, 2, &mi)) {
      return BadTime(s);
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &sec)) return BadTime(s);
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int64_t scale = 100;
        size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          ms += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++n;
        }
        if (n == 0) return BadTime(s);
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return BadTime(s);
    if (pos < s.size()) {
      const char z = s[pos];
      if ((z == 'Z' || z == 'z') && pos + 1 == s.size()) {
        pos = s.size();
      } else if (z == '+' || z == '-') {
        int64_t oh, om;
        if (!Digits(s, pos + 1, 2, &oh)) return BadTime(s);
        size_t mpos = pos + 3;
        if (mpos < s.size() && s[mpos] == ':') ++mpos;
        if (!Digits(s, mpos, 2, &om) || mpos + 2 != s.size()) return BadTime(s);
        offset_min = (z == '+' ? 1 : -1) * (oh * 60 + om);
      } else {
        return BadTime(s);
      }
    }
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + ms;
}

Result<int64_t> ParseRfc1123Ms(std::string_view s) {
  // "Tue, 11 Mar 2025 14:42:00 GMT"
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  size_t comma = s.find(", ");
  if (comma == std::string_view::npos) return BadTime(s);
  std::string_view r = s.substr(comma + 2);
  int64_t d, y, h, mi, sec;
  size_t pos = 0;
  if (!Digits(r, 0, 2, &d)) {
    if (!Digits(r, 0, 1, &d)) return BadTime(s);
    pos = 1;
  } else {
    pos = 2;
  }
  if (r.size() < pos + 22) return BadTime(s);
  std::string_view mon = r.substr(pos + 1, 3);
  int m = 0;
  for (int i = 0; i < 12; ++i) {
    if (mon == kMonths[i]) m = i + 1;
  }
  if (m == 0 || !Digits(r, pos + 5, 4, &y) || !Digits(r, pos + 10, 2, &h) ||
      !Digits(r, pos + 13, 2, &mi) || !Digits(r, pos + 16, 2, &sec)) {
    return BadTime(s);
  }
  if (r.substr(pos + 18) != " GMT" && r.substr(pos + 18) != " UTC") return BadTime(s);
  if (r[pos] != ' ' || r[pos + 4] != ' ' || r[pos + 9] != ' ' || r[pos + 12] != ':' ||
      r[pos + 15] != ':') {
    return BadTime(s);
  }
  if (d < 1 || d > DaysIn(y, m) || h > 23 || mi > 59 || sec > 60) return BadTime(s);
  return (DaysFromCivil(y, m, static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
}

std::string FormatRfc5322(int64_t ms) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t days = FloorDiv(ms, kMsPerDay);
  const int64_t secs = (ms - days * kMsPerDay) / 1000;
  const CivilDate c = CivilFromDays(days);
  const int64_t wd = ((days % 7) + 7) % 7;  // 1970-01-01 was a Thursday
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04lld %02lld:%02lld:%02lld +0000", kDays[wd], c.day,
                kMonths[c.month - 1], static_cast<long long>(c.year),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

std::string FormatTimestamp(int64_t ms, bool with_millis) {
  const int64_t days = FloorDiv(ms, kMsPerDay);
  int64_t rem = ms % kMsPerDay;  // not ms - days * kMsPerDay: that overflows near INT64_MIN
  if (rem < 0) rem += kMsPerDay;
  const CivilDate c = CivilFromDays(days);
  const int64_t secs = rem / 1000;
  char buf[48];
  if (with_millis && rem % 1000 != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(c.year), c.month, c.day,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60), static_cast<long long>(rem % 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(c.year), c.month, c.day,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
  }
  return buf;
}

Result<YearMonth> YearMonth::Parse(std::string_view s) {
  int64_t y, m;
  if (s.size() != 7 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &m) || m < 1 ||
      m > 12) {
    return InvalidArgument("invalid month '" + std::string(s.substr(0, 32)) + "' (want YYYY-MM)");
  }
  return YearMonth{static_cast<int>(y), static_cast<int>(m)};
}

YearMonth YearMonth::FromMs(int64_t ms) {
  const CivilDate c = CivilFromDays(FloorDiv(ms, kMsPerDay));
  return YearMonth{static_cast<int>(c.year), static_cast<int>(c.month)};
}

int64_t YearMonth::StartMs() const {
  // Months beyond the int64 millisecond range (only a hostile time can make
  // one) saturate instead of overflowing.
  int64_t ms;
  if (__builtin_mul_overflow(DaysFromCivil(year, month, 1), kMsPerDay, &ms)) {
    return year < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return ms;
}
int64_t YearMonth::EndMs() const { return Plus(1).StartMs(); }
int YearMonth::Days() const { return DaysIn(year, month); }

YearMonth YearMonth::Plus(int months) const {
  const int64_t idx = static_cast<int64_t>(year) * 12 + (month - 1) + months;
  return YearMonth{static_cast<int>(FloorDiv(idx, 12)),
                   static_cast<int>(idx - FloorDiv(idx, 12) * 12) + 1};
}

std::string YearMonth::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
  return buf;
}

}  // namespace recoup
