#include "recoup/demo/cur.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <tuple>
#include <utility>

#include "recoup/demo/generator.h"
#include "recoup/demo/random.h"
#include "recoup/demo/text.h"

namespace recoup::demo {
namespace {

constexpr int64_t kSymmetricRequestUnits = 30'000;    // $0.03 per 10,000
constexpr int64_t kAsymmetricRequestUnits = 150'000;  // $0.15 per 10,000
constexpr int64_t kFreeTierRequests = 20'000;
constexpr int64_t kPaymentsUsEast1Target = 41'237 * kUsd / 100;  // 412.37 USD

const std::vector<std::string> kCurColumns = {"identity/LineItemId",
                                              "identity/TimeInterval",
                                              "bill/InvoiceId",
                                              "bill/InvoicingEntity",
                                              "bill/BillingEntity",
                                              "bill/BillType",
                                              "bill/PayerAccountId",
                                              "bill/BillingPeriodStartDate",
                                              "bill/BillingPeriodEndDate",
                                              "lineItem/UsageAccountId",
                                              "lineItem/LineItemType",
                                              "lineItem/UsageStartDate",
                                              "lineItem/UsageEndDate",
                                              "lineItem/ProductCode",
                                              "lineItem/UsageType",
                                              "lineItem/Operation",
                                              "lineItem/AvailabilityZone",
                                              "lineItem/ResourceId",
                                              "lineItem/UsageAmount",
                                              "lineItem/NormalizationFactor",
                                              "lineItem/NormalizedUsageAmount",
                                              "lineItem/CurrencyCode",
                                              "lineItem/UnblendedRate",
                                              "lineItem/UnblendedCost",
                                              "lineItem/BlendedRate",
                                              "lineItem/BlendedCost",
                                              "lineItem/NetUnblendedRate",
                                              "lineItem/NetUnblendedCost",
                                              "lineItem/LineItemDescription",
                                              "lineItem/TaxType",
                                              "lineItem/LegalEntity",
                                              "product/ProductName",
                                              "product/group",
                                              "product/groupDescription",
                                              "product/location",
                                              "product/locationType",
                                              "product/productFamily",
                                              "product/region",
                                              "product/regionCode",
                                              "product/servicecode",
                                              "product/servicename",
                                              "product/sku",
                                              "product/usagetype",
                                              "pricing/RateCode",
                                              "pricing/RateId",
                                              "pricing/currency",
                                              "pricing/publicOnDemandCost",
                                              "pricing/publicOnDemandRate",
                                              "pricing/term",
                                              "pricing/unit"};

std::string RegionName(std::string_view region) {
  if (region == "us-east-1") return "US East (N. Virginia)";
  if (region == "eu-west-1") return "EU (Ireland)";
  if (region == "ap-southeast-2") return "Asia Pacific (Sydney)";
  return std::string(region);
}

struct CurLine {
  std::string account, region, product, type, usage_type, operation, resource, description;
  std::string family, group, group_description, unit, product_name, sku_seed;
  int64_t amount = 0;  // 1e-10 units of the usage unit
  int64_t rate = 0;    // 1e-10 USD per unit
  int64_t cost = 0;    // 1e-10 USD
};

using CurRow = std::map<std::string_view, std::string>;  // column -> value

// The columns only usage rows carry: rates, product and pricing.
void AddUsageColumns(const CurLine& l, CurRow& v) {
  v["lineItem/UnblendedRate"] = FormatUnits(l.rate, 1);
  v["lineItem/BlendedRate"] = FormatUnits(l.rate, 1);
  v["lineItem/NetUnblendedRate"] = FormatUnits(l.rate, 1);
  v["product/group"] = l.group;
  v["product/groupDescription"] = l.group_description;
  v["product/location"] = RegionName(l.region);
  v["product/locationType"] = "AWS Region";
  v["product/productFamily"] = l.family;
  v["product/region"] = l.region;
  v["product/regionCode"] = l.region;
  v["product/servicecode"] = l.product;
  v["product/servicename"] = l.product_name;
  Rng sku(HashString(0, l.product + l.usage_type + l.sku_seed));
  const std::string s = RandomChars(sku, kBase32, 16);
  v["product/sku"] = s;
  v["product/usagetype"] = l.usage_type;
  v["pricing/RateCode"] = s + ".JRTCKXETXF.6YS6EN2CT7";
  v["pricing/RateId"] = std::to_string(sku.Range(100000000, 999999999));
  v["pricing/currency"] = "USD";
  v["pricing/publicOnDemandCost"] = FormatUnits(l.cost, 1);
  v["pricing/publicOnDemandRate"] = FormatUnits(l.rate, 1);
  v["pricing/term"] = "OnDemand";
  v["pricing/unit"] = l.unit;
}

// Appends the row's fields in column order, quoted where CSV needs it.
void AppendCsvRow(const CurRow& v, std::string& out) {
  for (size_t i = 0; i < kCurColumns.size(); ++i) {
    if (i > 0) out += ',';
    auto it = v.find(kCurColumns[i]);
    if (it == v.end()) continue;
    const std::string& f = it->second;
    if (f.find_first_of(",\"\n") != std::string::npos) {
      out += '"';
      for (char c : f) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    } else {
      out += f;
    }
  }
  out += '\n';
}

class CurBuilder {
 public:
  CurBuilder(const Windows& w, uint64_t seed) : w_(w), rng_(HashString(seed, "cur")) {}

  void Add(CurLine line) {
    if (line.type == "Usage") usage_[{line.account, line.region, line.product}] += line.cost;
    lines_.push_back(std::move(line));
  }
  const std::map<std::tuple<std::string, std::string, std::string>, int64_t>& usage() const {
    return usage_;
  }

  std::string Render() {
    std::string out;
    for (size_t i = 0; i < kCurColumns.size(); ++i) {
      if (i > 0) out += ',';
      out += kCurColumns[i];
    }
    out += '\n';
    for (const CurLine& l : lines_) AppendCsvRow(Row(l), out);
    return out;
  }

  size_t size() const { return lines_.size(); }
  Rng& rng() { return rng_; }

 private:
  CurRow Row(const CurLine& l) {
    CurRow v;
    v["identity/LineItemId"] = RandomChars(rng_, "abcdefghijklmnopqrstuvwxyz234567", 52);
    v["identity/TimeInterval"] = Iso(w_.month_start) + "/" + Iso(w_.month_end);
    v["bill/InvoicingEntity"] = "Amazon Web Services, Inc.";
    v["bill/BillingEntity"] = "AWS";
    v["bill/BillType"] = "Anniversary";
    v["bill/PayerAccountId"] = std::string(kPayerAccount);
    v["bill/BillingPeriodStartDate"] = CurTime(w_.month_start);
    v["bill/BillingPeriodEndDate"] = CurTime(w_.month_end);
    v["lineItem/UsageAccountId"] = l.account;
    v["lineItem/LineItemType"] = l.type;
    v["lineItem/UsageStartDate"] = CurTime(w_.month_start);
    v["lineItem/UsageEndDate"] = CurTime(w_.month_end);
    v["lineItem/ProductCode"] = l.product;
    v["lineItem/UsageType"] = l.usage_type;
    v["lineItem/Operation"] = l.operation;
    v["lineItem/ResourceId"] = l.resource;
    v["lineItem/UsageAmount"] = FormatUnits(l.amount, 1);
    v["lineItem/CurrencyCode"] = "USD";
    v["lineItem/UnblendedCost"] = FormatUnits(l.cost, 1);
    v["lineItem/BlendedCost"] = FormatUnits(l.cost, 1);
    v["lineItem/NetUnblendedCost"] = FormatUnits(l.cost, 1);
    v["lineItem/LineItemDescription"] = l.description;
    v["lineItem/LegalEntity"] = "Amazon Web Services, Inc.";
    v["product/ProductName"] = l.product_name;
    if (l.type == "Tax") {
      v["lineItem/TaxType"] = "Sales Tax";
      v["pricing/publicOnDemandCost"] = "0.0";
    } else {
      AddUsageColumns(l, v);
    }
    return v;
  }

  const Windows& w_;
  Rng rng_;
  std::vector<CurLine> lines_;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> usage_;
};

// A Usage row of `product` in `region`.
CurLine UsageLine(std::string account, std::string region, std::string product,
                  std::string product_name, std::string usage_type, std::string operation) {
  CurLine l;
  l.account = std::move(account);
  l.region = std::move(region);
  l.product = std::move(product);
  l.product_name = std::move(product_name);
  l.type = "Usage";
  l.usage_type = std::move(usage_type);
  l.operation = std::move(operation);
  return l;
}

CurLine KmsLine(const Cell& c, std::string_view usage_suffix, std::string operation) {
  return UsageLine(c.account, c.region, "awskms", "AWS Key Management Service",
                   c.region + "-" + std::string(usage_suffix), std::move(operation));
}

// A row of `count` KMS requests of `op`, without rate, cost and description.
CurLine RequestLine(const Cell& c, const std::string& op, int64_t count, bool asymmetric) {
  CurLine l = KmsLine(c, asymmetric ? "KMS-Requests-Asymmetric" : "KMS-Requests", op);
  l.amount = count * kUsd;
  l.family = "API Request";
  l.group = asymmetric ? "awskms-APIRequest-Asymmetric" : "awskms-APIRequest-All";
  l.group_description = asymmetric ? "Asymmetric AWS KMS API requests" : "All AWS KMS API requests";
  l.unit = "Requests";
  return l;
}

// Adds a cell's request rows (the free tier first: symmetric requests, once
// per account); returns their cost (1e-10 USD).
int64_t AddRequestCharges(const Cell& c, const CellResult& res, CurBuilder* cur,
                          int64_t* free_left) {
  int64_t total = 0;
  int64_t& free = *free_left;
  for (const auto& [op, count] : res.billable_ops) {
    const bool asym = op == "Sign";
    int64_t paid = count;
    if (!asym && c.gets_free_tier && free > 0) {
      const int64_t f = std::min(free, count);
      free -= f;
      paid -= f;
      CurLine l = RequestLine(c, op, f, false);
      l.description = "$0.00 per request - Monthly Global Free Tier for KMS requests";
      l.sku_seed = "free";
      cur->Add(std::move(l));
    }
    if (paid > 0) {
      CurLine l = RequestLine(c, op, paid, asym);
      l.rate = asym ? kAsymmetricRequestUnits : kSymmetricRequestUnits;
      l.cost = paid * l.rate;
      l.description = asym ? "$0.15 per 10,000 asymmetric requests in " + RegionName(c.region)
                           : "$0.03 per 10,000 requests in " + RegionName(c.region);
      total += l.cost;
      cur->Add(std::move(l));
    }
  }
  return total;
}

// The key-months (x1e10) of a cell's keys, by ARN: every key used in the
// month, idle keys, and one key created during the month (pro-rated). For
// payments us-east-1 the idle-key count and the new key's share are solved so
// that the usage totals exactly 412.37 given `request_total`.
Result<std::vector<std::pair<std::string, int64_t>>> KeyMonths(const Cell& c, const Windows& w,
                                                               int64_t request_total, Rng& rng) {
  const int64_t hours = (w.month_end - w.month_start) / kHourMs;
  std::vector<std::pair<std::string, int64_t>> keys;
  int64_t full = 0;
  for (const KeyDef& k : c.keys) {
    if (k.state == KeyState::kPendingDeletion) {
      // Scheduled for deletion on day 3: billed for two days.
      keys.emplace_back(k.arn, (48 * kUsd * 10 / hours + 5) / 10);
    } else {
      keys.emplace_back(k.arn, kUsd);
      ++full;
    }
  }
  int64_t idle;
  int64_t partial;
  if (c.fixed_charge) {
    int64_t pending = 0;
    for (const auto& [arn, amount] : keys) {
      if (amount != kUsd) pending += amount;
    }
    const int64_t remaining = kPaymentsUsEast1Target - request_total - pending;
    const int64_t whole = (remaining - 1) / kUsd;  // leaves a share in (0, 1]
    idle = whole - full;
    partial = remaining - whole * kUsd;
    if (idle < 0) return Internal("demo: payments us-east-1 charges exceed 412.37");
  } else {
    idle = rng.Range(5, 40);
    const int64_t h = rng.Range(24, hours - 24);
    partial = (h * kUsd * 10 / hours + 5) / 10;  // rounded to 10 decimals
  }
  for (int64_t i = 0; i < idle; ++i) keys.emplace_back(KeyArn(c, Uuid(rng)), kUsd);
  keys.emplace_back(KeyArn(c, Uuid(rng)), partial);
  return keys;
}

// Adds one cell's KMS rows; returns the cell's usage total (1e-10 USD).
Result<int64_t> AddKmsCharges(const Cell& c, const CellResult& res, const Windows& w,
                              CurBuilder* cur, std::map<std::string, int64_t>* free_left) {
  int64_t total = AddRequestCharges(c, res, cur, &(*free_left)[c.account]);
  RECOUP_ASSIGN_OR_RETURN(const auto keys, KeyMonths(c, w, total, cur->rng()));
  for (const auto& [arn, amount] : keys) {
    CurLine l = KmsLine(c, "KMS-Keys", "CurrentKeys");
    l.resource = arn;
    l.amount = amount;
    l.rate = kUsd;
    l.cost = amount;
    l.description = "$1 per customer managed KMS key version in " + RegionName(c.region);
    l.family = "Encryption Key";
    l.unit = "Keys";
    total += l.cost;
    cur->Add(std::move(l));
  }
  if (c.fixed_charge && total != kPaymentsUsEast1Target) {
    return Internal("demo: payments us-east-1 charges do not total 412.37");
  }
  return total;
}

// The account's KMS sales tax (6.25%, rounded to cents) on `kms_total`.
CurLine TaxLine(const std::string& account, int64_t kms_total) {
  CurLine tax;
  tax.account = account;
  tax.product = "awskms";
  tax.product_name = "AWS Key Management Service";
  tax.type = "Tax";
  tax.description = "Tax for product code awskms";
  const int64_t cents = (kms_total * 625 / 10000 + kUsd / 200) / (kUsd / 100);
  tax.amount = kUsd;
  tax.cost = cents * (kUsd / 100);
  return tax;
}

void AddOtherProducts(const std::string& account, CurBuilder* cur) {
  Rng& rng = cur->rng();
  struct Spec {
    const char *product, *name, *usage, *op, *family, *unit, *region, *desc;
    int64_t rate;    // 1e-10 USD per unit
    int64_t lo, hi;  // amount range, whole units
  };
  static const Spec kSpecs[] = {
      {"AmazonS3", "Amazon Simple Storage Service", "TimedStorage-ByteHrs", "StandardStorage",
       "Storage", "GB-Mo", "us-east-1", "$0.023 per GB - first 50 TB / month of storage used",
       230'000'000, 800, 9000},
      {"AmazonS3", "Amazon Simple Storage Service", "EU-Requests-Tier1", "PutObject", "API Request",
       "Requests", "eu-west-1", "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", 50'000,
       200000, 2000000},
      {"AWSSecretsManager", "AWS Secrets Manager", "AWSSecretsManager-Secrets", "", "Secret",
       "Secrets", "us-east-1", "$0.40 per secret per month", 4'000'000'000, 3, 25},
      {"AWSCloudTrail", "AWS CloudTrail", "USE1-PaidEventsRecorded", "None",
       "Management Tools - AWS CloudTrail Paid Events Recorded", "Events", "us-east-1",
       "0.00002 per paid event recorded in US East (N. Virginia) region", 200'000, 20000, 200000},
  };
  for (const Spec& s : kSpecs) {
    CurLine l = UsageLine(account, s.region, s.product, s.name, s.usage, s.op);
    l.family = s.family;
    l.unit = s.unit;
    l.description = s.desc;
    l.rate = s.rate;
    const int64_t whole = rng.Range(s.lo, s.hi);
    const int64_t frac = s.unit == std::string_view("GB-Mo") ? rng.Range(0, 9999) * 1'000'000 : 0;
    l.amount = whole * kUsd + frac;
    // cost = amount x rate, both in 1e-10 units; rounded to 10 decimals.
    const unsigned __int128 prod = static_cast<unsigned __int128>(l.amount) * l.rate;
    l.cost = static_cast<int64_t>((prod + kUsd / 2) / kUsd);
    cur->Add(std::move(l));
  }
}

}  // namespace

Result<Cur> BuildCur(const std::vector<Cell>& cells, const std::vector<CellResult>& results,
                     const std::vector<ServicesCell>& services, const Windows& w, uint64_t seed) {
  CurBuilder cur(w, seed);
  std::map<std::string, int64_t> free_left = {{std::string(kPaymentsAccount), kFreeTierRequests},
                                              {std::string(kAnalyticsAccount), kFreeTierRequests}};
  Cur out;
  out.kms_charges.resize(cells.size());
  std::map<std::string, int64_t> account_kms;
  for (size_t i = 0; i < cells.size(); ++i) {
    RECOUP_ASSIGN_OR_RETURN(out.kms_charges[i],
                            AddKmsCharges(cells[i], results[i], w, &cur, &free_left));
    account_kms[cells[i].account] += out.kms_charges[i];
  }
  for (const auto& [account, total] : account_kms) {
    cur.Add(TaxLine(account, total));
    AddOtherProducts(account, &cur);
  }
  for (const ServicesCell& sc : services) {
    for (const ServiceCharge& c : sc.charges) {
      CurLine l =
          UsageLine(c.account, c.region, c.product, c.product_name, c.usage_type, c.operation);
      l.family = c.family;
      l.unit = c.unit;
      l.description = c.description;
      l.amount = c.amount;
      l.rate = c.rate;
      l.cost = c.cost;
      cur.Add(std::move(l));
    }
  }
  out.usage_by_product = cur.usage();
  out.rows = static_cast<int64_t>(cur.size());
  out.csv = cur.Render();
  return out;
}

}  // namespace recoup::demo
