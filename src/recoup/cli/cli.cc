#include "recoup/cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/aws/s3_client.h"
#include "recoup/billing/cur_reader.h"
#include "recoup/cli/common.h"
#include "recoup/cli/ingest_run.h"
#include "recoup/demo/generator.h"
#include "recoup/io/byte_source.h"
#include "recoup/report/report.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

#ifndef RECOUP_VERSION
#define RECOUP_VERSION "0.1.0"
#endif

namespace recoup::cli {

namespace {

// ---- ingest ----

struct IngestArgs {
  std::vector<std::string> paths;
  std::string format = "auto";
  std::string account;
  std::string map;
  std::string access_key_map;
  int threads = 0;
  std::string output = "text";
  std::string region;   // for s3:// paths
  std::string profile;  // for s3:// paths
};

// S3 access for s3:// arguments: Region from --region or the config chain,
// endpoint (an override means path-style addressing) and the default
// credentials chain for --profile.
Result<S3Settings> MakeS3Settings(const IngestArgs& a) {
  return ResolveS3Settings(
      a.profile, a.region,
      "s3:// paths need a Region: pass --region or set AWS_REGION (or region in the profile)");
}

Result<std::map<std::string, std::string>> LoadAccessKeyMap(const std::string& path) {
  std::map<std::string, std::string> out;
  if (path.empty()) return out;
  RECOUP_ASSIGN_OR_RETURN(std::string text, io::ReadFileToString(path, 16 << 20));
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return InvalidArgument(path + ": want a JSON object {access_key: account}");
    for (const auto& [k, v] : j.items()) {
      if (!v.is_string()) return InvalidArgument(path + ": " + k + ": account must be a string");
      out[k] = v.get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(path + ": " + e.what());
  }
  return out;
}

// This process's peak resident memory (VmHWM: unlike getrusage, not
// inherited from the process that started it), or 0 if unknown.
int64_t PeakRssBytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  int64_t kb = 0;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb * 1024;
}

void PrintIngestSummary(const IngestSummary& s, const std::string& output) {
  if (output == "json") {
    nlohmann::ordered_json j;
    j["files"] = s.files;
    j["files_ingested"] = s.files_ingested;
    j["files_already_ingested"] = s.files_already;
    j["files_damaged"] = s.files_damaged;
    j["files_rejected"] = s.files_not_recorded;
    j["files_failed"] = s.files_failed;
    j["records"] = s.records;
    j["accepted"] = s.accepted;
    j["skipped"] = s.skipped;
    j["rejected"] = s.rejected;
    j["duplicates"] = s.duplicates;
    j["cross_source_matches"] = s.cross_source;
    j["failed_requests_new"] = s.new_failures;
    j["json_bytes"] = s.json_bytes;
    j["seconds"] = s.seconds;
    if (const int64_t hwm = PeakRssBytes(); hwm > 0) j["peak_rss_bytes"] = hwm;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("files: %s found, %s ingested, %s already ingested", WithCommas(s.files).c_str(),
              WithCommas(s.files_ingested).c_str(), WithCommas(s.files_already).c_str());
  if (s.files_damaged > 0) std::printf(", %s damaged", WithCommas(s.files_damaged).c_str());
  if (s.files_failed > 0) std::printf(", %s unreadable", WithCommas(s.files_failed).c_str());
  if (s.files_not_recorded > 0) {
    std::printf(", %s with no usable record", WithCommas(s.files_not_recorded).c_str());
  }
  std::printf(
      "\nrecords: %s read, %s accepted, %s rejected, %s skipped (not evidence), %s duplicates\n",
      WithCommas(s.records).c_str(), WithCommas(s.accepted).c_str(), WithCommas(s.rejected).c_str(),
      WithCommas(s.skipped).c_str(), WithCommas(s.duplicates).c_str());
  std::printf("failing requests: %s new, %s matched across sources\n",
              WithCommas(s.new_failures).c_str(), WithCommas(s.cross_source).c_str());
  std::printf("%.1f MB of JSON in %.2f s (%.0f MB/s)\n", s.json_bytes / 1e6, s.seconds,
              s.seconds > 0 ? s.json_bytes / 1e6 / s.seconds : 0.0);
}

int RunIngestCmd(const Globals& g, const IngestArgs& a) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  auto format = ingest::ParseInputFormat(a.format);
  if (!format.ok()) return Fail(format.status());
  IngestOptions opt;
  opt.paths = a.paths;
  opt.parser.format = *format;
  opt.parser.default_account = a.account;
  if (!a.account.empty() &&
      (a.account.size() != 12 || a.account.find_first_not_of("0123456789") != std::string::npos)) {
    return Fail(InvalidArgument("--account: '" + a.account + "' is not a 12-digit AWS account ID"));
  }
  if (!a.map.empty()) {
    auto m = ingest::JsonlMapping::Parse(a.map);
    if (!m.ok()) return Fail(m.status());
    opt.parser.mapping = *m;
  }
  auto keys = LoadAccessKeyMap(a.access_key_map);
  if (!keys.ok()) return Fail(keys.status());
  opt.parser.access_key_accounts = *keys;
  for (const std::string& p : a.paths) {
    if (!aws::IsS3Url(p)) continue;
    if (auto u = aws::ParseS3Url(p); !u.ok()) return Fail(u.status());
    if (!opt.s3.has_value()) {
      auto s3 = MakeS3Settings(a);
      if (!s3.ok()) return Fail(s3.status());
      opt.s3 = std::move(*s3);
    }
  }
  opt.threads = a.threads;
  opt.store_path = g.store_path;
  opt.progress = isatty(STDERR_FILENO) != 0;
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  auto sum = RunIngest(**store, *catalog, opt);
  if (!sum.ok()) return Fail(sum.status());
  for (const std::string& m : sum->messages)
    std::fprintf(stderr, "recoup: warning: %s\n", m.c_str());
  if (sum->message_count > static_cast<int64_t>(sum->messages.size())) {
    std::fprintf(
        stderr, "recoup: warning: ... and %lld more\n",
        static_cast<long long>(sum->message_count - static_cast<int64_t>(sum->messages.size())));
  }
  PrintIngestSummary(*sum, a.output);
  return kExitOk;
}

// ---- report ----

struct ReportArgs {
  std::string month, account, region, service;
  std::string output = "table";
  bool intervals = false;
  bool all_intervals = false;
};

int RunReportCmd(const Globals& g, const ReportArgs& a) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  storage::SeriesFilter f;
  if (!a.month.empty()) {
    auto m = YearMonth::Parse(a.month);
    if (!m.ok()) return Fail(m.status().WithPrefix("--month"));
    f.month = *m;
  }
  if (!a.account.empty()) f.account = a.account;
  if (!a.region.empty()) f.region = a.region;
  if (!a.service.empty()) f.service = a.service;
  if (!std::filesystem::exists(g.store_path)) {
    return Fail(NotFound(g.store_path + ": no store here yet (run recoup ingest first)"));
  }
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  std::vector<std::string> notes;
  auto rows = report::BuildReport(**store, **catalog, f, &notes);
  if (!rows.ok()) return Fail(rows.status());
  for (const std::string& n : notes) std::fprintf(stderr, "recoup: note: %s\n", n.c_str());
  const bool detail = a.intervals || a.all_intervals;
  if (a.output == "json") {
    std::cout << report::RenderJson(*rows, detail);
  } else if (a.output == "csv") {
    if (detail) {
      std::cout << report::RenderIntervalsCsv(*rows);
    } else {
      std::cout << report::RenderCsv(*rows);
    }
  } else {
    if (rows->empty()) {
      std::cout << "no evidence matches (ingest some with: recoup ingest PATH)\n";
      return kExitOk;
    }
    std::cout << report::RenderTable(*rows);
    if (detail) {
      for (const auto& r : *rows)
        std::cout << "\n" << report::RenderIntervalsTable(r, a.all_intervals);
    }
  }
  return kExitOk;
}

// ---- billing ----

int RunBillingImport(const Globals& g, const std::vector<std::string>& paths,
                     const std::string& product_code) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  std::string service;
  for (const auto& s : (*catalog)->services()) {
    if (s.cur_product_code == product_code) service = s.key;
  }
  if (service.empty()) {
    return Fail(InvalidArgument("--product-code: '" + product_code +
                                "' is not the CUR product code of any service in the SLA catalog"));
  }
  auto files = io::ListInputFiles(paths);
  if (!files.ok()) return Fail(files.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  int64_t groups = 0, rows = 0, rejected = 0;
  for (const std::string& file : *files) {
    auto r = billing::ReadCurFile(file, product_code);
    if (!r.ok()) return Fail(r.status());
    for (const std::string& e : r->errors) std::fprintf(stderr, "recoup: warning: %s\n", e.c_str());
    rows += r->rows;
    rejected += r->rejected_rows;
    for (const billing::KmsCharge& c : r->charges) {
      if (c.region.empty()) continue;  // region-less tax/credit lines: not a credit base
      storage::ChargeRecord rec;
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
      Status st = (*store)->PutCharge(rec);
      if (!st.ok()) return Fail(st);
      ++groups;
      std::printf("%s  %-15s  %s  %s  $%s\n", c.account.c_str(), c.region.c_str(), service.c_str(),
                  c.month.ToString().c_str(), FormatUsd(c.unblended).c_str());
    }
  }
  std::printf("%s CUR rows read, %s rejected; %s (account, Region, month) charges stored\n",
              WithCommas(rows).c_str(), WithCommas(rejected).c_str(), WithCommas(groups).c_str());
  return kExitOk;
}

struct BillingSetArgs {
  std::string account, region, month, amount, service = "kms", note;
};

int RunBillingSet(const Globals& g, const BillingSetArgs& a) {
  auto m = YearMonth::Parse(a.month);
  if (!m.ok()) return Fail(m.status().WithPrefix("--month"));
  auto amount = ParseDecimal(a.amount);
  if (!amount.ok()) return Fail(amount.status().WithPrefix("--amount"));
  if (*amount < 0) return Fail(InvalidArgument("--amount: must not be negative"));
  if (a.account.size() != 12 || a.account.find_first_not_of("0123456789") != std::string::npos) {
    return Fail(InvalidArgument("--account: '" + a.account + "' is not a 12-digit AWS account ID"));
  }
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  storage::ChargeRecord rec;
  rec.account = a.account;
  rec.region = a.region;
  rec.service = a.service;
  rec.month = *m;
  rec.origin = "manual";
  rec.amount = *amount;
  rec.source = a.note.empty() ? "recoup billing set" : a.note;
  Status st = (*store)->PutCharge(rec);
  if (!st.ok()) return Fail(st);
  std::printf("%s  %s  %s  %s  $%s (manual; wins over CUR figures)\n", a.account.c_str(),
              a.region.c_str(), a.service.c_str(), m->ToString().c_str(),
              FormatUsd(*amount).c_str());
  return kExitOk;
}

int RunBillingList(const Globals& g) {
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  auto all = (*store)->ListCharges({});
  if (!all.ok()) return Fail(all.status());
  std::printf("%-12s  %-15s  %-7s  %-7s  %-7s  %14s  %s\n", "ACCOUNT", "REGION", "SERVICE", "MONTH",
              "ORIGIN", "CHARGES $", "SOURCE");
  for (const auto& c : *all) {
    std::printf("%-12s  %-15s  %-7s  %-7s  %-7s  %14s  %s\n", c.account.c_str(), c.region.c_str(),
                c.service.c_str(), c.month.ToString().c_str(), c.origin.c_str(),
                FormatUsd(c.amount).c_str(), c.source.c_str());
  }
  return kExitOk;
}

// ---- demo ----

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
      "Generating a month (%s) of KMS evidence for two accounts and three Regions in %s ...\n",
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
  if (int rc = RunIngestCmd(g, ia); rc != kExitOk) return rc;
  std::printf("\n$ recoup ingest %s --format csm --account %s\n", manifest->csm_file.c_str(),
              std::string(demo::kPaymentsAccount).c_str());
  IngestArgs ic;
  ic.paths = {manifest->csm_file};
  ic.format = "csm";
  ic.account = std::string(demo::kPaymentsAccount);
  if (int rc = RunIngestCmd(g, ic); rc != kExitOk) return rc;
  std::printf("\n$ recoup billing import %s\n", manifest->cur_file.c_str());
  if (int rc = RunBillingImport(g, {manifest->cur_file}, "awskms"); rc != kExitOk) return rc;

  std::printf("\n$ recoup report --month %s\n", month->ToString().c_str());
  ReportArgs ra;
  ra.month = month->ToString();
  if (int rc = RunReportCmd(g, ra); rc != kExitOk) return rc;

  // The verdict in words, for each breach.
  auto catalog = LoadCatalog(g);
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!catalog.ok() || !store.ok()) return kExitRuntime;
  storage::SeriesFilter f;
  f.month = *month;
  auto rows = report::BuildReport(**store, **catalog, f);
  if (!rows.ok()) return Fail(rows.status());
  Rational total = 0;
  for (const auto& r : *rows) {
    if (!r.verdict.breached) continue;
    std::printf("\n%s", report::RenderIntervalsTable(r, false).c_str());
    if (r.verdict.credit_usd) total += *r.verdict.credit_usd;
  }
  std::printf("\nVerdict: AWS owes $%s in KMS service credits for %s (exactly $%s).\n",
              FormatCents(total).c_str(), month->ToString().c_str(),
              FormatUsd(total).c_str());
  std::printf(
      "Re-run any step yourself, e.g.: recoup --store %s report --month %s --region us-east-1 "
      "--intervals\n",
      g.store_path.c_str(), month->ToString().c_str());
  return kExitOk;
}

}  // namespace

int Fail(const Status& st) {
  std::fprintf(stderr, "recoup: %s\n", st.message().c_str());
  return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime;
}

std::string DefaultStorePath() {
  if (const char* s = std::getenv("RECOUP_STORE"); s != nullptr && *s != 0) return s;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x != 0) {
    return std::string(x) + "/recoup/recoup.db";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/recoup/recoup.db";
}

std::string WithCommas(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return v < 0 ? "-" + s : s;
}

Result<std::shared_ptr<const sla::Catalog>> LoadCatalog(const Globals& g) {
  return sla::Catalog::Load(g.catalog_path.empty() ? std::nullopt
                                                   : std::optional<std::string>(g.catalog_path));
}

const std::function<int()>* CommandRegistry::Chosen() const {
  const std::function<int()>* best = nullptr;
  size_t best_depth = 0;
  for (const auto& [command, run] : entries_) {
    if (!command->parsed()) continue;
    size_t depth = 0;
    for (const CLI::App* a = command; a != nullptr; a = a->get_parent()) ++depth;
    if (best == nullptr || depth > best_depth) {
      best = &run;
      best_depth = depth;
    }
  }
  return best;
}

void RegisterCoreCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto ia = std::make_shared<IngestArgs>();
  auto* ingest = app.add_subcommand("ingest", "Read evidence files or folders (plain or .gz)");
  ingest->add_option("paths", ia->paths,
                     "Files or folders (walked recursively), or s3://bucket/prefix");
  ingest->add_option("--format", ia->format, "auto|cloudtrail|csm|jsonl")
      ->check(CLI::IsMember({"auto", "cloudtrail", "csm", "jsonl"}));
  ingest->add_option("--account", ia->account,
                     "Account ID for sources that carry none (SDK CSM, some logs)");
  ingest->add_option(
      "--map", ia->map,
      "JSON-lines field mapping, e.g. time=ts,request_id=aws.requestId (docs/INGEST.md)");
  ingest->add_option(
      "--access-key-map", ia->access_key_map,
      "JSON file {\"AKIA...\": \"111122223333\"} mapping CSM access keys to accounts");
  ingest->add_option("--threads", ia->threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(0, 256));
  ingest->add_option("--output", ia->output, "text|json summary")
      ->check(CLI::IsMember({"text", "json"}));
  ingest->add_option("--region", ia->region,
                     "Region of s3:// buckets (default: AWS_REGION, then the profile's)");
  ingest->add_option("--profile", ia->profile,
                     "AWS profile for s3:// paths (default: AWS_PROFILE)");
  reg.Add(ingest, [&g, ia] {
    if (ia->paths.empty()) {
      return Fail(InvalidArgument("ingest: give files, folders or s3://bucket/prefix"));
    }
    return RunIngestCmd(g, *ia);
  });

  auto ra = std::make_shared<ReportArgs>();
  auto* rep = app.add_subcommand("report", "SLA verdict per (account, Region, service, month)");
  rep->add_option("--month", ra->month, "YYYY-MM");
  rep->add_option("--account", ra->account, "Account ID");
  rep->add_option("--region", ra->region, "Region, e.g. us-east-1");
  rep->add_option("--service", ra->service, "Service (kms)");
  rep->add_option("--output", ra->output, "table|json|csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  rep->add_flag("--intervals", ra->intervals,
                "Also show the per-interval numbers behind each MUP (failing intervals)");
  rep->add_flag("--all-intervals", ra->all_intervals,
                "Like --intervals, every interval with traffic");
  reg.Add(rep, [&g, ra] { return RunReportCmd(g, *ra); });

  auto* bill = app.add_subcommand("billing", "The credit base: KMS charges per Region and month");
  bill->require_subcommand(1);
  auto cur_paths = std::make_shared<std::vector<std::string>>();
  auto product_code = std::make_shared<std::string>("awskms");
  auto* bimport =
      bill->add_subcommand("import", "Import Cost and Usage Report files (legacy or 2.0 CSV)");
  bimport->add_option("paths", *cur_paths, "CUR files or folders (.csv or .csv.gz)")->required();
  bimport->add_option("--product-code", *product_code, "CUR product code (default awskms)");
  reg.Add(bimport,
          [&g, cur_paths, product_code] { return RunBillingImport(g, *cur_paths, *product_code); });
  auto bs = std::make_shared<BillingSetArgs>();
  auto* bset = bill->add_subcommand("set", "Record a charge by hand (wins over CUR figures)");
  bset->add_option("--account", bs->account, "Account ID")->required();
  bset->add_option("--region", bs->region, "Region")->required();
  bset->add_option("--month", bs->month, "YYYY-MM")->required();
  bset->add_option("--amount", bs->amount, "USD, exact decimal, e.g. 412.37")->required();
  bset->add_option("--service", bs->service, "Service (default kms)");
  bset->add_option("--note", bs->note, "Where the figure comes from");
  reg.Add(bset, [&g, bs] { return RunBillingSet(g, *bs); });
  auto* blist = bill->add_subcommand("list", "Show stored charges");
  reg.Add(blist, [&g] { return RunBillingList(g); });

  auto da = std::make_shared<DemoArgs>();
  auto* demo_cmd = app.add_subcommand(
      "demo", "Generate a realistic month of KMS evidence, ingest it, and print the verdict");
  demo_cmd->add_option("--out", da->out,
                       "Folder for the generated evidence and store (default: a new temp folder)");
  demo_cmd->add_option("--month", da->month, "YYYY-MM (default 2026-10)");
  reg.Add(demo_cmd, [&g, da] { return RunDemoCmd(g, *da, g.store_given); });
}

int Run(int argc, char** argv) {
  CLI::App app{"recoup: recover the SLA credits AWS owes you, starting with AWS KMS", "recoup"};
  app.set_version_flag("--version", RECOUP_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  Globals g;
  app.add_option("--store", g.store_path,
                 "Evidence store (SQLite). Default: $RECOUP_STORE, else "
                 "$XDG_DATA_HOME/recoup/recoup.db, else ~/.local/share/recoup/recoup.db");
  app.add_option("--catalog", g.catalog_path,
                 "SLA catalog JSON overriding the built-in one (also $RECOUP_CATALOG)");
  CommandRegistry reg;
  RegisterCoreCommands(app, g, reg);
  RegisterAwsCommands(app, g, reg);
  RegisterClaimsCommands(app, g, reg);
  RegisterDoctorCommands(app, g, reg);
  RegisterServeCommands(app, g, reg);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "recoup: %s (see recoup --help)\n", e.what());
    return kExitUsage;
  }
  g.store_given = !g.store_path.empty() || std::getenv("RECOUP_STORE") != nullptr;
  if (g.store_path.empty()) g.store_path = DefaultStorePath();
  const std::function<int()>* run = reg.Chosen();
  if (run == nullptr) return kExitUsage;
  return (*run)();
}

}  // namespace recoup::cli
