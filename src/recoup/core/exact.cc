#include "recoup/core/exact.h"

#include <algorithm>

namespace recoup {

Result<Rational> ParseDecimal(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  int frac = 0;
  bool seen_point = false, any = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      any = true;
      if (seen_point) ++frac;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      any = false;
      break;
    }
  }
  if (!any || digits.size() > 400) {
    return InvalidArgument("invalid decimal number '" + std::string(text.substr(0, 40)) + "'");
  }
  mpz_class num(digits, 10);
  mpz_class den;
  mpz_ui_pow_ui(den.get_mpz_t(), 10, static_cast<unsigned long>(frac));
  Rational r(num, den);
  r.canonicalize();
  if (neg) r = -r;
  return r;
}

std::string FormatFixed(const Rational& value, int digits, Rounding rounding) {
  const bool neg = value < 0;
  Rational a = neg ? Rational(-value) : value;
  mpz_class scale;
  mpz_ui_pow_ui(scale.get_mpz_t(), 10, static_cast<unsigned long>(digits));
  Rational scaled = a * scale;
  mpz_class q;
  if (rounding == Rounding::kHalfUp) {
    scaled += Rational(1, 2);
  }
  mpz_fdiv_q(q.get_mpz_t(), scaled.get_num_mpz_t(), scaled.get_den_mpz_t());
  std::string s = q.get_str(10);
  if (digits > 0) {
    if (static_cast<int>(s.size()) <= digits) s.insert(0, digits - s.size() + 1, '0');
    s.insert(s.size() - digits, ".");
  }
  if (neg && q != 0) s.insert(0, "-");
  return s;
}

std::string FormatDecimal(const Rational& value, int min_digits, int max_digits) {
  std::string s = FormatFixed(value, max_digits, Rounding::kTruncate);
  if (max_digits <= 0) return s;
  // Exact only if value * 10^max_digits is an integer.
  const size_t point = s.find('.');
  size_t keep = s.size();
  while (keep > point + 1 + static_cast<size_t>(min_digits) && s[keep - 1] == '0') --keep;
  if (keep == point + 1) keep = point;  // no fraction left
  return s.substr(0, keep);
}

std::string FormatPct(const Rational& pct) { return FormatFixed(pct, 12, Rounding::kTruncate); }

std::string FormatUsd(const Rational& usd) {
  // A decimal amount times decimal percentages has a terminating expansion:
  // print every digit of it (10% of $0.0000000001 is $0.00000000001). A
  // value without one (never money from decimal inputs) is cut at 20 digits.
  mpz_class den = usd.get_den();
  int twos = 0;
  int fives = 0;
  while (mpz_divisible_ui_p(den.get_mpz_t(), 2) != 0) {
    den /= 2;
    ++twos;
  }
  while (mpz_divisible_ui_p(den.get_mpz_t(), 5) != 0) {
    den /= 5;
    ++fives;
  }
  const int digits = den == 1 ? std::max(twos, fives) : 20;
  return FormatDecimal(usd, 2, std::max(digits, 2));
}

std::string FormatCents(const Rational& usd) { return FormatFixed(usd, 2, Rounding::kHalfUp); }

}  // namespace recoup
