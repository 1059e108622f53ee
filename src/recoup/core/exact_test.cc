#include "recoup/core/exact.h"

#include <gtest/gtest.h>

namespace recoup {
namespace {

TEST(ExactTest, ParsesDecimalsExactly) {
  EXPECT_EQ(*ParseDecimal("99.999"), Ratio(99999, 1000));
  EXPECT_EQ(*ParseDecimal("-0.0000120000"), Ratio(-12, 1000000));
  EXPECT_EQ(*ParseDecimal("412.37"), Ratio(41237, 100));
  EXPECT_EQ(*ParseDecimal(" 7 "), Rational(7));
  for (const char* bad : {"", "-", "1e3", "1.2.3", "abc", "1,5"}) {
    EXPECT_FALSE(ParseDecimal(bad).ok()) << bad;
  }
}

TEST(ExactTest, FormatsWithoutFloatingPointDrift) {
  // 0.1 + 0.2 is exactly 0.3 here.
  EXPECT_EQ(FormatDecimal(*ParseDecimal("0.1") + *ParseDecimal("0.2"), 0, 12), "0.3");
  EXPECT_EQ(FormatFixed(Ratio(1, 3), 12), "0.333333333333");
  EXPECT_EQ(FormatFixed(Ratio(2, 3), 2, Rounding::kHalfUp), "0.67");
  EXPECT_EQ(FormatFixed(Ratio(-5, 4), 1, Rounding::kTruncate), "-1.2");
  EXPECT_EQ(FormatDecimal(Rational(12), 2, 10), "12.00");
  EXPECT_EQ(FormatDecimal(Ratio(41237, 1000), 2, 10), "41.237");
}

TEST(ExactTest, TruncationNeverCrossesATierBoundary) {
  // Just below 99.999 must not print as 99.999000000000.
  const Rational below = Ratio(99999, 1000) - Rational(mpz_class(1), mpz_class("1000000000000000"));
  EXPECT_EQ(FormatFixed(below, 12), "99.998999999999");
}

TEST(ExactTest, FormatUsdPrintsEveryDigitOfATerminatingAmount) {
  EXPECT_EQ(FormatUsd(*ParseDecimal("412.37")), "412.37");
  EXPECT_EQ(FormatUsd(Rational(25)), "25.00");
  // 10% of a CUR amount with 10 decimals has 11.
  EXPECT_EQ(FormatUsd(*ParseDecimal("448.3103655899") / 10), "44.83103655899");
  EXPECT_EQ(FormatUsd(*ParseDecimal("0.0000000001") * Rational(25, 100)), "0.000000000025");
  // No terminating expansion (not money from decimal inputs): 20 digits, cut.
  EXPECT_EQ(FormatUsd(Rational(1, 3)), "0.33333333333333333333");
}

}  // namespace
}  // namespace recoup
