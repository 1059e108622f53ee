// `recoup demo`: generates a realistic month of evidence (KMS, DynamoDB,
// Lambda, SQS, API Gateway, S3), then runs ingest, billing import and report
// on it exactly as a user would.
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "recoup/cli/commands.h"
#include "recoup/cli/common.h"
#include "recoup/core/exact.h"
#include "recoup/demo/generator.h"
#include "recoup/report/report.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

namespace {

struct DemoArgs {
  std::string out;
  std::string month = "2026-10";
};

int RunDemoCmd(Globals g, const DemoArgs& a, bool store_given) {
  auto month = YearMonth::Parse(a.month);
  if (!month.ok()) return Fail(month.status().WithPrefix("--month"));
  std::string out = a.out;
  if (out.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string base =
        std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") + "/recoup-demo-XXXXXX";
    std::vector<char> buf(base.begin(), base.end());
    buf.push_back(0);
    if (mkdtemp(buf.data()) == nullptr) return Fail(Unavailable("cannot create " + base));
    out = buf.data();
  }
  demo::DemoOptions dopt;
  dopt.out_dir = out + "/evidence";
  dopt.month = *month;
  std::printf(
      "Generating a month (%s) of evidence (KMS, DynamoDB, Lambda, SQS, API Gateway, S3) for two "
      "accounts and three Regions in %s ...\n",
      month->ToString().c_str(), dopt.out_dir.c_str());
  auto manifest = demo::GenerateDemo(dopt);
  if (!manifest.ok()) return Fail(manifest.status());
  if (!store_given) g.store_path = out + "/recoup.db";
  if (std::filesystem::exists(g.store_path) && !store_given) {
    return Fail(
        FailedPrecondition(g.store_path + ": already exists; the demo wants a fresh store"));
  }
  std::printf("Store: %s\n\n", g.store_path.c_str());

  std::printf("$ recoup ingest %s\n", manifest->cloudtrail_dir.c_str());
  IngestArgs ia;
  ia.paths = {manifest->cloudtrail_dir};
  if (int rc = RunIngestCommand(g, ia); rc != kExitOk) return rc;
  std::printf("\n$ recoup ingest %s --format csm --account %s\n", manifest->csm_file.c_str(),
              std::string(demo::kPaymentsAccount).c_str());
  IngestArgs ic;
  ic.paths = {manifest->csm_file};
  ic.format = "csm";
  ic.account = std::string(demo::kPaymentsAccount);
  if (int rc = RunIngestCommand(g, ic); rc != kExitOk) return rc;
  std::printf("\n$ recoup ingest %s\n", manifest->data_events_dir.c_str());
  IngestArgs id;
  id.paths = {manifest->data_events_dir};
  if (int rc = RunIngestCommand(g, id); rc != kExitOk) return rc;
  std::printf("\n$ recoup ingest %s --format csm --account %s\n",
              manifest->services_csm_file.c_str(), std::string(demo::kPaymentsAccount).c_str());
  IngestArgs is;
  is.paths = {manifest->services_csm_file};
  is.format = "csm";
  is.account = std::string(demo::kPaymentsAccount);
  if (int rc = RunIngestCommand(g, is); rc != kExitOk) return rc;
  for (const auto& [account, dir] : manifest->s3_access_log_dirs) {
    std::printf("\n$ recoup ingest %s --account %s\n", dir.c_str(), account.c_str());
    IngestArgs il;
    il.paths = {dir};
    il.account = account;
    if (int rc = RunIngestCommand(g, il); rc != kExitOk) return rc;
  }
  std::printf("\n$ recoup ingest %s --format apigateway-access-log\n",
              manifest->apigateway_dir.c_str());
  IngestArgs ig;
  ig.paths = {manifest->apigateway_dir};
  ig.format = "apigateway-access-log";
  if (int rc = RunIngestCommand(g, ig); rc != kExitOk) return rc;
  std::printf("\n$ recoup billing import %s\n", manifest->cur_file.c_str());
  if (int rc = RunBillingImport(g, {manifest->cur_file}, ""); rc != kExitOk) return rc;

  std::printf("\n$ recoup report --month %s\n", month->ToString().c_str());
  ReportArgs ra;
  ra.month = month->ToString();
  if (int rc = RunReportCommand(g, ra); rc != kExitOk) return rc;

  // The verdict in words, for each breach.
  auto catalog = LoadCatalog(g);
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!catalog.ok() || !store.ok()) return kExitRuntime;
  storage::SeriesFilter f;
  f.month = *month;
  auto rows = report::BuildReport(**store, **catalog, f);
  if (!rows.ok()) return Fail(rows.status());
  Rational total = 0;
  std::map<std::string, Rational> by_service;
  for (const auto& r : *rows) {
    if (!r.verdict.breached) continue;
    // The arithmetic of the KMS breaches in full; the other services' rows
    // are in the report above (recoup report --intervals shows any of them).
    if (r.key.service == "kms") std::printf("\n%s", report::RenderIntervalsTable(r, false).c_str());
    if (r.verdict.credit_usd) {
      total += *r.verdict.credit_usd;
      by_service[r.key.service] += *r.verdict.credit_usd;
    }
  }
  std::map<std::string, int> breaches;
  for (const auto& r : *rows) {
    if (r.verdict.breached) ++breaches[r.key.service];
  }
  std::printf("\nCredit owed per service (%s):\n", month->ToString().c_str());
  for (const auto& [service, n] : breaches) {
    const auto it = by_service.find(service);
    std::printf("  %-14s %d breached series   %12s\n", service.c_str(), n,
                it != by_service.end() ? ("$" + FormatCents(it->second)).c_str() : "unpriced");
  }
  std::printf("  %-14s %20s %12s\n", "total", "", ("$" + FormatCents(total)).c_str());
  std::string per_service;
  for (const auto& [service, credit] : by_service) {
    per_service += (per_service.empty() ? "" : ", ") + service + " $" + FormatCents(credit);
  }
  std::printf("\nVerdict: AWS owes $%s in service credits for %s (exactly $%s)%s%s.\n",
              FormatCents(total).c_str(), month->ToString().c_str(), FormatUsd(total).c_str(),
              per_service.empty() ? "" : ": ", per_service.c_str());
  std::printf(
      "Re-run any step yourself, e.g.: recoup --store %s report --month %s --region us-east-1 "
      "--intervals\n",
      g.store_path.c_str(), month->ToString().c_str());
  return kExitOk;
}

}  // namespace

void RegisterDemoCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto da = std::make_shared<DemoArgs>();
  auto* demo_cmd = app.add_subcommand(
      "demo",
      "Generate a realistic month of evidence of several AWS services, ingest it, and print the "
      "verdict and the credit owed per service");
  demo_cmd->add_option("--out", da->out,
                       "Folder for the generated evidence and store (default: a new temp folder)");
  demo_cmd->add_option("--month", da->month, "YYYY-MM (default 2026-10)");
  reg.Add(demo_cmd, [&g, da] { return RunDemoCmd(g, *da, g.store_given); });
}

}  // namespace recoup::cli
