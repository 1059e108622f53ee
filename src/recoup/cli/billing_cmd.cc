// `recoup billing import|set|list|sync`: the credit base, through the
// billing service (billing/charges.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "recoup/aws/cost_explorer_api.h"
#include "recoup/billing/charges.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/commands.h"
#include "recoup/cli/common.h"
#include "recoup/core/exact.h"
#include "recoup/core/safe_text.h"
#include "recoup/core/time.h"
#include "recoup/io/byte_source.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

namespace {

struct BillingSetArgs {
  std::string account, region, month, amount, service = "kms", note;
};

int RunBillingSet(const Globals& g, const BillingSetArgs& a) {
  auto m = YearMonth::Parse(a.month);
  if (!m.ok()) return Fail(m.status().WithPrefix("--month"));
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  auto service = billing::CatalogService(**catalog, a.service);
  if (!service.ok()) return Fail(service.status());
  auto rec = billing::ManualCharge(a.account, a.region, *service, *m, a.amount, a.note);
  if (!rec.ok()) return Fail(rec.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  if (Status st = (*store)->PutCharge(*rec); !st.ok()) return Fail(st);
  std::printf("%s  %s  %s  %s  $%s (manual; wins over CUR figures)\n", a.account.c_str(),
              a.region.c_str(), service->c_str(), m->ToString().c_str(),
              FormatUsd(rec->amount).c_str());
  return kExitOk;
}

int RunBillingList(const Globals& g) {
  auto store = OpenStoreForReading(g);
  if (!store.ok()) return Fail(store.status());
  auto all = (*store)->ListCharges({});
  if (!all.ok()) return Fail(all.status());
  std::printf("%-12s  %-15s  %-14s  %-7s  %-13s  %14s  %s\n", "ACCOUNT", "REGION", "SERVICE",
              "MONTH", "ORIGIN", "CHARGES $", "SOURCE");
  for (const auto& c : *all) {
    std::printf("%-12s  %-15s  %-14s  %-7s  %-13s  %14s  %s\n", c.account.c_str(), c.region.c_str(),
                c.service.c_str(), c.month.ToString().c_str(), c.origin.c_str(),
                FormatUsd(c.amount).c_str(), c.source.c_str());
  }
  return kExitOk;
}

struct BillingSyncArgs {
  std::string profile, month, account, service;
  int months = 3;
};

int RunBillingSync(const Globals& g, const BillingSyncArgs& a) {
  YearMonth first, last;
  if (!a.month.empty()) {
    auto m = YearMonth::Parse(a.month);
    if (!m.ok()) return Fail(InvalidArgument("--month: " + m.status().message()));
    first = last = *m;
  } else {
    if (a.months < 1 || a.months > 14) return Fail(InvalidArgument("--months must be 1..14"));
    last = YearMonth::FromMs(SystemClock().NowMs());
    first = last.Plus(-(a.months - 1));
  }
  // Cost Explorer lives in us-east-1 whatever the Region of the charges.
  auto ctx = ContextFor(a.profile, "us-east-1");
  if (!ctx.ok()) return Fail(ctx.status());
  auto client = (*ctx)->Client(aws::services::kCostExplorer, "us-east-1");
  if (!client.ok()) return Fail(client.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  // One Cost Explorer query per service: --service, else every service of
  // the catalog that names its Cost Explorer service.
  std::vector<const sla::ServiceTerms*> services;
  if (!a.service.empty()) {
    auto key = billing::CatalogService(**catalog, a.service);
    if (!key.ok()) return Fail(key.status());
    services.push_back((*catalog)->Find(*key));
  } else {
    for (const auto& s : (*catalog)->services()) {
      if (!s.cost_explorer_service.empty()) services.push_back(&s);
    }
  }
  aws::CostExplorerApi ce(client->get());
  long long stored = 0, skipped = 0;
  for (const sla::ServiceTerms* service : services) {
    auto sync = billing::SyncCostExplorer(**store, ce, first, last, a.account, *service);
    if (!sync.ok()) return FailAws(sync.status());
    for (const std::string& w : sync->warnings)
      std::fprintf(stderr, "recoup: warning: %s\n", w.c_str());
    for (size_t i = 0; i < sync->stored.size(); ++i) {
      const billing::ChargeRecord& c = sync->stored[i];
      std::printf("%s  %-15s  %-14s  %s  $%s%s\n", c.account.c_str(), c.region.c_str(),
                  c.service.c_str(), c.month.ToString().c_str(),
                  FormatDecimal(c.amount, 2, 12).c_str(),
                  sync->estimated[i] ? "  (estimated)" : "");
    }
    stored += static_cast<long long>(sync->stored.size());
    skipped += sync->skipped;
  }
  std::printf(
      "billing sync %s..%s: %lld charges stored (origin cost-explorer), %lld rows skipped\n",
      first.ToString().c_str(), last.ToString().c_str(), stored, skipped);
  return kExitOk;
}

}  // namespace

int RunBillingImport(const Globals& g, const std::vector<std::string>& paths,
                     const std::string& product_code, const std::string& service) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  auto products = billing::ProductsToImport(**catalog, product_code, service);
  if (!products.ok()) return Fail(products.status());
  std::vector<io::SkippedEntry> skipped;
  auto files = io::ListInputFiles(paths, &skipped);
  if (!files.ok()) return Fail(files.status());
  for (const io::SkippedEntry& e : skipped) {
    std::fprintf(stderr, "recoup: warning: %s\n", EscapeControls(e.Message()).c_str());
  }
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  auto imported = billing::ImportCurFiles(**store, *files, *products);
  if (!imported.ok()) return Fail(imported.status());
  for (const std::string& e : imported->warnings) {
    std::fprintf(stderr, "recoup: warning: %s\n", EscapeControls(e).c_str());
  }
  for (const billing::ChargeRecord& c : imported->stored) {
    std::printf("%s  %-15s  %-14s  %s  $%s\n", c.account.c_str(), c.region.c_str(),
                c.service.c_str(), c.month.ToString().c_str(), FormatUsd(c.amount).c_str());
  }
  std::printf(
      "%s CUR rows read, %s rejected; %s (service, account, Region, month) charges stored\n",
      WithCommas(imported->rows).c_str(), WithCommas(imported->rejected_rows).c_str(),
      WithCommas(static_cast<int64_t>(imported->stored.size())).c_str());
  return kExitOk;
}

void RegisterBillingCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto* bill = app.add_subcommand(
      "billing", "The credit base: each service's charges per account, Region and month");
  bill->require_subcommand(1);
  auto cur_paths = std::make_shared<std::vector<std::string>>();
  auto product_code = std::make_shared<std::string>();
  auto import_service = std::make_shared<std::string>();
  auto* bimport =
      bill->add_subcommand("import", "Import Cost and Usage Report files (legacy or 2.0 CSV)");
  bimport->add_option("paths", *cur_paths, "CUR files or folders (.csv or .csv.gz)")->required();
  bimport->add_option("--product-code", *product_code,
                      "Only this CUR product code (default: every service of the SLA catalog, "
                      "e.g. awskms, AmazonDynamoDB, AmazonS3)");
  bimport->add_option("--service", *import_service,
                      "Only this service of the SLA catalog (see recoup sla list)");
  reg.Add(bimport, [&g, cur_paths, product_code, import_service] {
    return RunBillingImport(g, *cur_paths, *product_code, *import_service);
  });
  auto bs = std::make_shared<BillingSetArgs>();
  auto* bset = bill->add_subcommand("set", "Record a charge by hand (wins over CUR figures)");
  bset->add_option("--account", bs->account, "Account ID")->required();
  bset->add_option("--region", bs->region, "Region")->required();
  bset->add_option("--month", bs->month, "YYYY-MM")->required();
  bset->add_option("--amount", bs->amount, "USD, exact decimal, e.g. 412.37")->required();
  bset->add_option("--service", bs->service,
                   "Service of the SLA catalog (default kms; see recoup sla list)");
  bset->add_option("--note", bs->note, "Where the figure comes from");
  reg.Add(bset, [&g, bs] { return RunBillingSet(g, *bs); });
  auto* blist = bill->add_subcommand("list", "Show stored charges");
  reg.Add(blist, [&g] { return RunBillingList(g); });

  auto ba = std::make_shared<BillingSyncArgs>();
  auto* sync =
      bill->add_subcommand("sync", "Charges per account, Region and month from Cost Explorer");
  sync->add_option("--profile", ba->profile, "AWS profile (default: AWS_PROFILE)");
  auto* months =
      sync->add_option("--months", ba->months, "This month and the N-1 before it (default 3)");
  sync->add_option("--month", ba->month, "One month, YYYY-MM")->excludes(months);
  sync->add_option("--account", ba->account, "Only this linked account");
  sync->add_option("--service", ba->service,
                   "Only this service (default: every service of the SLA catalog)");
  reg.Add(sync, [&g, ba] { return RunBillingSync(g, *ba); });
}

}  // namespace recoup::cli
