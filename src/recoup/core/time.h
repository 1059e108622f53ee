// UTC time helpers. Every timestamp in recoup is int64 milliseconds since the
// Unix epoch, UTC. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "recoup/core/status.h"

namespace recoup {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerDay = 86400 * kMsPerSecond;

// Days since 1970-01-01 for a proleptic Gregorian date (month 1..12).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
CivilDate CivilFromDays(int64_t days);

// Floor division, correct for negatives.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Parses ISO 8601 / RFC 3339 timestamps: "2025-10-20T06:48:00Z",
// "2025-10-20T06:48:00.123Z", "2025-10-20T06:48:00+02:00", "2025-10-20 06:48:00",
// and a bare date "2025-10-20" (midnight UTC). Returns INVALID_ARGUMENT otherwise.
Result<int64_t> ParseTimestampMs(std::string_view text);

// Parses RFC 1123 dates as AWS Health EventBridge events carry them:
// "Tue, 11 Mar 2025 14:42:00 GMT".
Result<int64_t> ParseRfc1123Ms(std::string_view text);

// "Tue, 11 Mar 2025 14:42:00 +0000": RFC 5322 (mail "Date:") in UTC.
std::string FormatRfc5322(int64_t ms);

// "2025-10-20T06:48:00Z" (milliseconds are shown only when non-zero and
// with_millis is true).
std::string FormatTimestamp(int64_t ms, bool with_millis = false);

// A calendar month in UTC.
struct YearMonth {
  int year = 1970;
  int month = 1;  // 1..12

  static Result<YearMonth> Parse(std::string_view text);  // "YYYY-MM"
  static YearMonth FromMs(int64_t ms);
  // First instant of the month; saturates at the int64 limits for months
  // outside the range of epoch milliseconds (never overflows).
  int64_t StartMs() const;
  int64_t EndMs() const;  // first instant of the next month (exclusive); saturates likewise
  int Days() const;
  YearMonth Plus(int months) const;
  std::string ToString() const;  // "YYYY-MM"
  auto operator<=>(const YearMonth&) const = default;
};

}  // namespace recoup
