// The billing service: turns bills into the charges recoup prices credits
// from, and stores them. Three origins, one record (billing::ChargeRecord):
//   * "cur": Cost and Usage Report files (billing/cur_reader.h);
//   * "cost-explorer": GetCostAndUsage by Region and linked account;
//   * "manual": a figure a person enters (wins over the others).
// Used by `recoup billing import|sync|set` and the demo; callers print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aws/cost_explorer_api.h"
#include "recoup/core/exact.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::billing {

struct ImportResult {
  int64_t rows = 0, rejected_rows = 0;
  std::vector<billing::ChargeRecord> stored;  // in file order
  std::vector<std::string> warnings;          // "file:line: ..." of rejected rows
};

// The catalog service whose CUR product code is `product_code`; INVALID_ARGUMENT
// (naming --product-code) when none has it.
Result<std::string> ServiceForProductCode(const sla::Catalog& catalog,
                                          const std::string& product_code);

// A CUR product code and the catalog service its charges are the credit base of.
struct ProductService {
  std::string product_code;  // "AmazonDynamoDB"; a split: "AmazonS3#infrequent_access"
  std::string service;       // "dynamodb"; a sub-scope's series: "s3.infrequent_access"
  // A split's usage-type parts (billing::UsageSplit): the rows of the base
  // product code that are the sub-scope's charges.
  std::vector<std::string> usage_type_tokens;
};

// What `billing import` reads: the one product `product_code` names, else the
// one service `service` names (any name FindByName knows), else every service
// of the catalog. INVALID_ARGUMENT naming the flag for a code or service the
// catalog does not have.
Result<std::vector<ProductService>> ProductsToImport(const sla::Catalog& catalog,
                                                     const std::string& product_code,
                                                     const std::string& service);

// The catalog key of a service given by any of its names; INVALID_ARGUMENT
// naming --service, with the catalog's keys, when there is none.
Result<std::string> CatalogService(const sla::Catalog& catalog, const std::string& name);

// Reads each CUR file once and stores one "cur" charge per (service, account,
// Region, month) with a Region (Region-less tax and credit lines are no
// credit base). A file that cannot be read stops the import with its error.
Result<ImportResult> ImportCurFiles(storage::Store& store, const std::vector<std::string>& files,
                                    const std::vector<ProductService>& products);
Result<ImportResult> ImportCurFiles(storage::Store& store, const std::vector<std::string>& files,
                                    const std::string& product_code, const std::string& service);

// A charge entered by hand (origin "manual"), for Store::PutCharge:
// INVALID_ARGUMENT naming --amount or --account unless the amount is an exact
// decimal, not negative, and the account 12 digits.
Result<billing::ChargeRecord> ManualCharge(const std::string& account, const std::string& region,
                                           const std::string& service, YearMonth month,
                                           const std::string& amount, const std::string& note);

// Cost Explorer amounts are decimal text, occasionally in scientific notation
// ("7.5E-7"): parsed exactly either way.
Result<Rational> ParseCostExplorerAmount(const std::string& text);

struct SyncResult {
  std::vector<billing::ChargeRecord> stored;
  std::vector<bool> estimated;  // per stored charge: the month was not closed
  int64_t skipped = 0;
  std::vector<std::string> warnings;
};

// One service's charges per (linked account, Region, month) for [first, last]
// from Cost Explorer (its SERVICE dimension value is the catalog's
// cost_explorer_service), stored with origin "cost-explorer". `account` empty:
// every linked account. Errors are the API's (aws::AwsErrorOf).
// FAILED_PRECONDITION when the catalog names no Cost Explorer service for it.
Result<SyncResult> SyncCostExplorer(storage::Store& store, aws::CostExplorerApi& api,
                                    YearMonth first, YearMonth last, const std::string& account,
                                    const sla::ServiceTerms& service);

}  // namespace recoup::billing
