// A charge: what AWS billed one (account, Region, service) in one month, the
// credit base of a claim. Origins: "manual" (recoup billing set) wins over
// "cur" (Cost and Usage Report), which wins over "cost-explorer".
#pragma once

#include <optional>
#include <string>

#include "recoup/core/exact.h"
#include "recoup/core/time.h"

namespace recoup::billing {

struct ChargeRecord {
  std::string account, region, service;
  YearMonth month;
  std::string origin;  // "manual" or "cur"
  Rational amount;     // the credit base in USD
  std::optional<Rational> net_amount;
  Rational credits, tax;
  std::string currency = "USD";
  std::string source;  // file or note it came from
};

}  // namespace recoup::billing
