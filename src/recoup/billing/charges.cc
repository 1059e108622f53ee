#include "recoup/billing/charges.h"

#include <algorithm>
#include <cstdlib>

#include "recoup/billing/cur_reader.h"

namespace recoup::billing {

namespace {

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && s.find_first_not_of("0123456789") == std::string::npos;
}

billing::ChargeRecord FromCur(const KmsCharge& c, const std::string& service,
                              const std::string& file) {
  billing::ChargeRecord rec;
  rec.account = c.account;
  rec.region = c.region;
  rec.service = service;
  rec.month = c.month;
  rec.origin = "cur";
  rec.amount = c.unblended;
  rec.net_amount = c.net_unblended;
  rec.credits = c.credits;
  rec.tax = c.tax;
  rec.currency = c.currency;
  rec.source = file;
  return rec;
}

// One Cost Explorer group (keys: Region, linked account) as a charge, or
// nullopt (with a warning when the amount is unreadable).
std::optional<billing::ChargeRecord> FromCostRow(const aws::CostRow& r, const std::string& service,
                                                 std::vector<std::string>* warnings) {
  if (r.keys.size() != 2 || r.start.size() < 7) return std::nullopt;
  auto month = YearMonth::Parse(r.start.substr(0, 7));
  auto it = r.metrics.find("UnblendedCost");
  if (!month.ok() || it == r.metrics.end()) return std::nullopt;
  auto amount = ParseCostExplorerAmount(it->second.amount);
  if (!amount.ok()) {
    warnings->push_back("Cost Explorer " + r.start + " " + r.keys[0] + " " + r.keys[1] +
                        ": unreadable amount \"" + it->second.amount + "\"");
    return std::nullopt;
  }
  billing::ChargeRecord c;
  c.account = r.keys[1];
  c.region = r.keys[0];
  c.service = service;
  c.month = *month;
  c.origin = "cost-explorer";
  c.amount = *amount;
  if (auto net = r.metrics.find("NetUnblendedCost"); net != r.metrics.end()) {
    auto n = ParseCostExplorerAmount(net->second.amount);
    if (n.ok()) c.net_amount = *n;
  }
  c.currency = it->second.unit.empty() ? "USD" : it->second.unit;
  c.source = std::string("Cost Explorer GetCostAndUsage UnblendedCost") +
             (r.estimated ? " (estimated: month not closed)" : "");
  return c;
}

}  // namespace

Result<std::string> ServiceForProductCode(const sla::Catalog& catalog,
                                          const std::string& product_code) {
  std::string service;
  for (const auto& s : catalog.services()) {
    if (s.cur_product_code == product_code) service = s.key;
  }
  if (service.empty()) {
    return InvalidArgument("--product-code: '" + product_code +
                           "' is not the CUR product code of any service in the SLA catalog");
  }
  return service;
}

Result<std::string> CatalogService(const sla::Catalog& catalog, const std::string& name) {
  if (const sla::ServiceTerms* t = catalog.FindByName(name)) return t->key;
  std::string keys;
  for (const auto& s : catalog.services()) keys += (keys.empty() ? "" : ", ") + s.key;
  return InvalidArgument("--service: '" + name + "' is not a service of the SLA catalog (" + keys +
                         ")");
}

namespace {

// The CUR splits of `service`'s product: one per sub-scope whose charges the
// bill tells apart by usage type (S3 storage classes).
std::vector<ProductService> SplitsOf(const sla::Catalog& catalog, const std::string& service) {
  std::vector<ProductService> out;
  const sla::ServiceTerms* base = catalog.Find(service);
  if (base == nullptr) return out;
  for (const sla::SubScope& sub : base->sub_scopes) {
    if (sub.key == base->default_sub_scope || sub.cur_usage_type_tokens.empty()) continue;
    out.push_back({base->cur_product_code + "#" + sub.key, base->key + "." + sub.key,
                   sub.cur_usage_type_tokens});
  }
  return out;
}

void AddSplits(const sla::Catalog& catalog, const std::string& service,
               std::vector<ProductService>* out) {
  for (ProductService& p : SplitsOf(catalog, service)) out->push_back(std::move(p));
}

}  // namespace

Result<std::vector<ProductService>> ProductsToImport(const sla::Catalog& catalog,
                                                     const std::string& product_code,
                                                     const std::string& service) {
  std::vector<ProductService> out;
  if (!product_code.empty()) {
    RECOUP_ASSIGN_OR_RETURN(std::string key, ServiceForProductCode(catalog, product_code));
    if (!service.empty()) {
      RECOUP_ASSIGN_OR_RETURN(std::string named, CatalogService(catalog, service));
      if (named != key) {
        return InvalidArgument("--product-code " + product_code + " is the product of " + key +
                               ", not of --service " + named);
      }
    }
    out.push_back({product_code, key, {}});
    AddSplits(catalog, key, &out);
    return out;
  }
  if (!service.empty()) {
    RECOUP_ASSIGN_OR_RETURN(std::string key, CatalogService(catalog, service));
    const sla::ServiceTerms* t = catalog.Find(key);
    if (t->base != t->key) {  // a sub-scope: its split of the service's product
      for (const ProductService& p : SplitsOf(catalog, t->base)) {
        if (p.service == key) out.push_back(p);
      }
      if (out.empty()) {
        return InvalidArgument("--service: the bill does not split " + key + "'s charges from " +
                               t->base + "'s; set them with recoup billing set --service " + key);
      }
      return out;
    }
    out.push_back({t->cur_product_code, key, {}});
    AddSplits(catalog, key, &out);
    return out;
  }
  for (const auto& s : catalog.services()) {
    out.push_back({s.cur_product_code, s.key, {}});
    AddSplits(catalog, s.key, &out);
  }
  return out;
}

Result<ImportResult> ImportCurFiles(storage::Store& store, const std::vector<std::string>& files,
                                    const std::string& product_code, const std::string& service) {
  return ImportCurFiles(store, files, std::vector<ProductService>{{product_code, service, {}}});
}

Result<ImportResult> ImportCurFiles(storage::Store& store, const std::vector<std::string>& files,
                                    const std::vector<ProductService>& products) {
  std::vector<std::string> codes;
  std::vector<UsageSplit> splits;
  codes.reserve(products.size());
  for (const ProductService& p : products) {
    const size_t hash = p.product_code.find('#');
    if (hash == std::string::npos) {
      codes.push_back(p.product_code);
      continue;
    }
    const std::string base = p.product_code.substr(0, hash);
    splits.push_back({base, p.product_code.substr(hash + 1), p.usage_type_tokens});
    // A split's rows are read under the base product code.
    if (std::find(codes.begin(), codes.end(), base) == codes.end()) codes.push_back(base);
  }
  ImportResult out;
  for (const std::string& file : files) {
    RECOUP_ASSIGN_OR_RETURN(CurReadResult r, ReadCurFile(file, codes, splits));
    for (const std::string& e : r.errors) out.warnings.push_back(e);
    out.rows += r.rows;
    out.rejected_rows += r.rejected_rows;
    for (const KmsCharge& c : r.charges) {
      if (c.region.empty()) continue;  // region-less tax/credit lines: not a credit base
      std::string service;
      for (const ProductService& p : products) {
        if (p.product_code == c.product_code) service = p.service;
      }
      if (service.empty()) continue;  // the rest of a split product no service asked for
      billing::ChargeRecord rec = FromCur(c, service, file);
      RECOUP_RETURN_IF_ERROR(store.PutCharge(rec));
      out.stored.push_back(std::move(rec));
    }
  }
  return out;
}

Result<billing::ChargeRecord> ManualCharge(const std::string& account, const std::string& region,
                                           const std::string& service, YearMonth month,
                                           const std::string& amount, const std::string& note) {
  auto value = ParseDecimal(amount);
  if (!value.ok()) return value.status().WithPrefix("--amount");
  if (*value < 0) return InvalidArgument("--amount: must not be negative");
  if (!IsAccountId(account)) {
    return InvalidArgument("--account: '" + account + "' is not a 12-digit AWS account ID");
  }
  billing::ChargeRecord rec;
  rec.account = account;
  rec.region = region;
  rec.service = service;
  rec.month = month;
  rec.origin = "manual";
  rec.amount = *value;
  rec.source = note.empty() ? "recoup billing set" : note;
  return rec;
}

Result<Rational> ParseCostExplorerAmount(const std::string& text) {
  const size_t e = text.find_first_of("eE");
  if (e == std::string::npos) return ParseDecimal(text);
  RECOUP_ASSIGN_OR_RETURN(Rational mantissa, ParseDecimal(text.substr(0, e)));
  const std::string exp_text = text.substr(e + 1);
  char* end = nullptr;
  const long exp = std::strtol(exp_text.c_str(), &end, 10);
  if (exp_text.empty() || *end != 0 || exp < -40 || exp > 40) {
    return InvalidArgument("invalid amount '" + text + "'");
  }
  Rational scale = 1;
  for (long i = 0; i < (exp < 0 ? -exp : exp); ++i) scale *= 10;
  return exp < 0 ? Rational(mantissa / scale) : Rational(mantissa * scale);
}

Result<SyncResult> SyncCostExplorer(storage::Store& store, aws::CostExplorerApi& api,
                                    YearMonth first, YearMonth last, const std::string& account,
                                    const sla::ServiceTerms& service) {
  if (service.cost_explorer_service.empty()) {
    return FailedPrecondition("the SLA catalog names no Cost Explorer service for " + service.key);
  }
  aws::CostAndUsageInput in;
  in.start = first.ToString() + "-01";
  in.end = last.Plus(1).ToString() + "-01";
  in.granularity = "MONTHLY";
  in.metrics = {"UnblendedCost", "NetUnblendedCost"};
  in.group_by = {"REGION", "LINKED_ACCOUNT"};
  in.dimensions = {{"SERVICE", {service.cost_explorer_service}}};
  if (!account.empty()) in.dimensions.push_back({"LINKED_ACCOUNT", {account}});
  RECOUP_ASSIGN_OR_RETURN(std::vector<aws::CostRow> rows, api.GetCostAndUsage(in));
  SyncResult out;
  for (const aws::CostRow& r : rows) {
    std::optional<billing::ChargeRecord> c = FromCostRow(r, service.key, &out.warnings);
    if (!c) {
      ++out.skipped;
      continue;
    }
    RECOUP_RETURN_IF_ERROR(store.PutCharge(*c));
    out.stored.push_back(std::move(*c));
    out.estimated.push_back(r.estimated);
  }
  return out;
}

}  // namespace recoup::billing
