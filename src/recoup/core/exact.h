// Exact arithmetic for money and percentages: arbitrary-precision rationals
// (GMP). A float that says 99.99899999 where the truth is 99.999 is a wrong
// claim, so nothing on the SLA or money path uses floating point.
#pragma once

#include <gmpxx.h>

#include <string>
#include <string_view>

#include "recoup/core/status.h"

namespace recoup {

using Rational = mpq_class;

// num/den in canonical form. GMP's rational operations require canonical
// operands: never build a Rational from (num, den) any other way.
inline Rational Ratio(long num, long den) {
  Rational r(num, den);
  r.canonicalize();
  return r;
}

// Parses a plain decimal ("12", "-0.0000120000", "1e-3" is rejected) exactly.
Result<Rational> ParseDecimal(std::string_view text);

enum class Rounding { kTruncate, kHalfUp };

// Formats with exactly `digits` digits after the point.
std::string FormatFixed(const Rational& value, int digits, Rounding rounding = Rounding::kTruncate);

// Formats exactly when the value is a terminating decimal with at most
// max_digits fraction digits (trailing zeros trimmed, but at least min_digits),
// else truncated to max_digits.
std::string FormatDecimal(const Rational& value, int min_digits = 0, int max_digits = 12);

// Money and percentages as recoup prints them everywhere.
// "99.988425925925" style: 12 digits, truncated (never rounded up across a
// tier boundary).
std::string FormatPct(const Rational& pct);
std::string FormatUsd(const Rational& usd);    // exact (every digit), at least 2 decimals
std::string FormatCents(const Rational& usd);  // rounded half up to the cent, for people

}  // namespace recoup
