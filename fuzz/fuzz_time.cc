// Fuzzes the small text parsers every record and bill goes through:
// timestamps (ISO 8601, RFC 1123), months, exact decimals, CUR amounts, error
// code and event source normalization, --format and --map values.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * ParseTimestampMs: a parsed time in years 0000..9999 formats and parses
//     back to the same instant;
//   * ParseRfc1123Ms: whole seconds; the date and time it returns are the
//     ones written in the text ("DD Mon YYYY HH:MM:SS");
//   * YearMonth::Parse: ToString() gives the text back; the month is 28..31
//     days long and FromMs(StartMs()) is the same month;
//   * ParseDecimal / ParseCurAmount: canonical rationals; a decimal formats
//     and parses back to the same value; without an exponent both agree;
//   * NormalizeErrorCode / ServiceFromEventSource return a piece of their input.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/billing/cur_reader.h"
#include "recoup/core/exact.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"
#include "recoup/ingest/record_parser.h"

namespace {

using recoup::Rational;
using recoup::fuzz::Escape;

bool Canonical(const Rational& q) {
  Rational c = q;
  c.canonicalize();
  return c == q && cmp(q.get_den(), 0) > 0;
}

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckTimestamp(std::string_view s) {
  auto t = recoup::ParseTimestampMs(s);
  if (!t.ok()) return;
  static const int64_t kMin = recoup::DaysFromCivil(0, 1, 1) * recoup::kMsPerDay;
  static const int64_t kMax = recoup::DaysFromCivil(10000, 1, 1) * recoup::kMsPerDay;
  if (*t < kMin || *t >= kMax) return;
  const std::string text = recoup::FormatTimestamp(*t, true);
  auto back = recoup::ParseTimestampMs(text);
  FUZZ_CHECK(back.ok() && *back == *t, "'%s' -> %lld -> '%s' does not parse back",
             Escape(s).c_str(), static_cast<long long>(*t), text.c_str());
}

void CheckRfc1123(std::string_view s) {
  auto t = recoup::ParseRfc1123Ms(s);
  if (!t.ok()) return;
  FUZZ_CHECK(*t % 1000 == 0, "RFC 1123 time with milliseconds: %lld", static_cast<long long>(*t));
  // The text after "<weekday>, " is "D Mon YYYY HH:MM:SS GMT" or "DD Mon ...".
  const std::string_view r = s.substr(s.find(", ") + 2);
  const size_t day_digits = r[1] >= '0' && r[1] <= '9' ? 2 : 1;
  const std::string_view written = r.substr(0, day_digits + 18);
  if (written.substr(day_digits + 16, 2) == "60") return;  // a leap second rolls over
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t days = recoup::FloorDiv(*t, recoup::kMsPerDay);
  const recoup::CivilDate c = recoup::CivilFromDays(days);
  const int64_t secs = (*t - days * recoup::kMsPerDay) / 1000;
  char expect[48];
  std::snprintf(
      expect, sizeof expect,
      day_digits == 2 ? "%02u %s %04lld %02lld:%02lld:%02lld" : "%u %s %04lld %02lld:%02lld:%02lld",
      c.day, kMonths[c.month - 1], static_cast<long long>(c.year),
      static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
      static_cast<long long>(secs % 60));
  FUZZ_CHECK(written == expect, "ParseRfc1123Ms('%s') accepted it as '%s'", Escape(s).c_str(),
             expect);
}

void CheckMonth(std::string_view s) {
  auto m = recoup::YearMonth::Parse(s);
  if (!m.ok()) return;
  FUZZ_CHECK(m->ToString() == s, "YearMonth '%s' prints as '%s'", Escape(s).c_str(),
             m->ToString().c_str());
  FUZZ_CHECK(m->Days() >= 28 && m->Days() <= 31, "%d days", m->Days());
  FUZZ_CHECK(m->StartMs() < m->EndMs(), "empty month");
  FUZZ_CHECK(recoup::YearMonth::FromMs(m->StartMs()) == *m, "FromMs(StartMs()) differs");
  FUZZ_CHECK(recoup::YearMonth::FromMs(m->EndMs() - 1) == *m, "FromMs(EndMs()-1) differs");
  FUZZ_CHECK(m->Plus(1).Plus(-1) == *m, "Plus(1).Plus(-1) differs");
}

void CheckDecimal(std::string_view s) {
  auto d = recoup::ParseDecimal(s);
  if (d.ok()) {
    FUZZ_CHECK(Canonical(*d), "ParseDecimal('%s') is not canonical", Escape(s).c_str());
    const std::string text = recoup::FormatDecimal(*d, 0, 401);
    auto back = recoup::ParseDecimal(text);
    FUZZ_CHECK(back.ok() && *back == *d, "'%s' -> '%s' does not parse back", Escape(s).c_str(),
               text.c_str());
    (void)recoup::FormatFixed(*d, 2, recoup::Rounding::kHalfUp);
  }
  auto a = recoup::billing::ParseCurAmount(s);
  if (a.ok()) {
    FUZZ_CHECK(Canonical(*a), "ParseCurAmount('%s') is not canonical", Escape(s).c_str());
    if (s.find_first_of("eE") == std::string_view::npos) {
      FUZZ_CHECK(d.ok() && *d == *a, "ParseCurAmount and ParseDecimal disagree on '%s'",
                 Escape(s).c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  CheckTimestamp(s);
  CheckRfc1123(s);
  CheckMonth(s);
  CheckDecimal(s);
  FUZZ_CHECK(Within(recoup::events::NormalizeErrorCode(s), s), "NormalizeErrorCode escapes");
  FUZZ_CHECK(Within(recoup::events::ServiceFromEventSource(s), s),
             "ServiceFromEventSource escapes");
  (void)recoup::ingest::ParseInputFormat(s);
  (void)recoup::ingest::JsonlMapping::Parse(s);
  return 0;
}
