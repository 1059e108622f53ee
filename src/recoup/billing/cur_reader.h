// Reads AWS Cost and Usage Report (CUR) files and totals the charges of one
// product (AWS KMS by default) per (usage account, Region, billing month).
// These totals are the credit base of an SLA claim.
//
// Input
//   * Legacy CUR CSV ("lineItem/UsageAccountId", "product/region", ...) and CUR 2.0
//     (Data Exports) CSV ("line_item_usage_account_id", "product_region_code", ...).
//     The header row decides which ("cur-legacy" or "cur-2.0"); columns may come in
//     any order, and names are matched case-insensitively. A header with neither
//     naming scheme gives INVALID_ARGUMENT naming the file.
//   * Plain or gzip files (zlib reads both). A truncated or corrupt gzip stream
//     gives DATA_LOSS naming the file and the line reached; partial totals are
//     never returned, because an incomplete bill would understate the claim.
//   * RFC 4180 CSV: quoted fields with commas, doubled quotes and line breaks,
//     LF, CRLF or CR line ends. The file is streamed; memory is bounded by the
//     number of groups, one record (at most 16 MiB) and 1,000 error messages.
//
// Line item types (lineItem/LineItemType, line_item_line_item_type)
//   * Charges, summed into `unblended` and `net_unblended`: Usage, DiscountedUsage,
//     SavingsPlanCoveredUsage. These are what was paid for using the product.
//   * Credit and Refund: summed into `credits` (AWS writes them as negative
//     amounts; the sign is kept). Used later to see that an SLA credit arrived.
//   * Tax: summed into `tax`.
//   * Not counted at all (they are accepted and counted in matched_rows, but
//     create no group and change no total): Fee, RIFee, SavingsPlanNegation,
//     SavingsPlanRecurringFee, SavingsPlanUpfrontFee, BundledDiscount,
//     EdpDiscount, PrivateRateDiscount. Discounts are instead reflected in the
//     net-unblended cost of the charge rows.
//   * Any other type is rejected with an error, so a new AWS type is noticed
//     rather than silently summed or dropped.
//
// Grouping
//   * Account: the usage account. Region: product/region (legacy; falls back to
//     product/regionCode if that column is absent) or product_region_code, never
//     the usage type prefix. Month: UTC month of the billing period start,
//     else of the usage start date when the billing period column is absent or
//     empty.
//   * Tax, Credit and Refund rows without a Region are kept in a group whose
//     region is "" (in the public legacy sample the single KMS Tax line has no
//     Region). Such tax is not apportioned to Regions: that would be a guess.
//     A charge row without a Region is rejected.
//
// Amounts are exact (Rational), accepting plain decimals and the scientific
// notation real CURs contain ("5.2E-9"). `net_unblended` is unset when the file
// has no net-unblended column, or when any charge row of the group leaves it
// blank. A missing or empty currency is taken as "USD"; a row whose currency
// differs from the one its group already has is rejected.
//
// Malformed rows (wrong field count, broken quoting, unparseable amount or
// date, empty account, unknown line item type, mixed currency) are rejected
// with an error "file:line: field 'name': why" and the remaining rows are kept.
// Thread-compatible; ReadCurFile has no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"

namespace recoup::billing {

// Totals of one product's line items for one (account, Region, month).
struct KmsCharge {
  std::string product_code;  // e.g. "awskms", "AmazonDynamoDB"
  std::string account;
  std::string region;  // "" for region-less Tax/Credit/Refund rows
  YearMonth month;
  Rational unblended;                     // sum over Usage-like rows
  std::optional<Rational> net_unblended;  // see the header comment for when unset
  Rational credits;                       // Credit + Refund (negative as billed)
  Rational tax;
  int64_t line_items = 0;  // rows summed into this group (all counted types)
  std::string currency;    // e.g. "USD"
};

struct CurReadResult {
  std::vector<KmsCharge> charges;   // sorted by product code, account, region, month
  int64_t rows = 0;                 // data rows read (header and blank lines excluded)
  int64_t matched_rows = 0;         // rows of the product that were accepted
  int64_t rejected_rows = 0;        // rows rejected; see errors
  std::vector<std::string> errors;  // each "file:line: field 'name': reason"
  std::string format;               // "cur-legacy" or "cur-2.0"
};

inline constexpr std::string_view kCurFormatLegacy = "cur-legacy";
inline constexpr std::string_view kCurFormat2 = "cur-2.0";

// Reads one CUR file (plain or gzip) and totals the rows whose product code
// equals `product_code` exactly. Fails with NOT_FOUND/UNAVAILABLE if the file
// cannot be opened, INVALID_ARGUMENT if it is not a CUR, DATA_LOSS if the
// gzip stream is truncated or corrupt or a record exceeds 16 MiB.
Result<CurReadResult> ReadCurFile(const std::string& path,
                                  std::string_view product_code = "awskms");
// The same, for the rows of any of `product_codes`, in one pass; each charge
// names its product.
Result<CurReadResult> ReadCurFile(const std::string& path,
                                  const std::vector<std::string>& product_codes);

// Rows of `product_code` whose lineItem/UsageType has one of `tokens` as a
// '-'-separated part ("SIA" in "USE1-TimedStorage-SIA-ByteHrs") are charges
// of their own, named `product_code` + "#" + `part` ("AmazonS3#infrequent_access"):
// an SLA sub-scope's credit base (S3 credits the charges of the storage class).
struct UsageSplit {
  std::string product_code, part;
  std::vector<std::string> tokens;
};

// The same, with `splits` applied (a CUR without a usage-type column is not split).
Result<CurReadResult> ReadCurFile(const std::string& path,
                                  const std::vector<std::string>& product_codes,
                                  const std::vector<UsageSplit>& splits);

// Parses a CUR amount exactly: a decimal with an optional exponent
// ("-0.0000120000", "5.2E-9"). Exposed for tests.
Result<Rational> ParseCurAmount(std::string_view text);

}  // namespace recoup::billing
