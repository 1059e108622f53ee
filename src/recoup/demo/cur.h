// The demo month's legacy Cost and Usage Report (monthly granularity,
// resource IDs on key rows): KMS request and key rows per account and Region,
// a Tax row per account, and some other products' rows. Internal to
// recoup_demo.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/demo/services.h"
#include "recoup/demo/traffic.h"
#include "recoup/demo/world.h"

namespace recoup::demo {

struct Cur {
  std::string csv;                   // header and rows, uncompressed
  int64_t rows = 0;                  // data rows, header excluded
  std::vector<int64_t> kms_charges;  // per cell: KMS usage, units of 1e-10 USD
  // Usage charges (1e-10 USD) per (account, Region, product code), every product.
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> usage_by_product;
};

// The CUR of `cells` (with their traffic, `results`, in the same order).
// Requests are billed from each cell's billable operations after the free
// tier; payments us-east-1's KMS usage totals exactly 412.37 USD (INTERNAL if
// the scenario cannot meet that).
// `services` (per cell, same order) adds the other services' usage rows.
Result<Cur> BuildCur(const std::vector<Cell>& cells, const std::vector<CellResult>& results,
                     const std::vector<ServicesCell>& services, const Windows& w, uint64_t seed);

}  // namespace recoup::demo
