// `recoup health sync|import|list`: AWS Health events, through the health
// service (health/service.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recoup/aws/health_api.h"
#include "recoup/aws/sts_api.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/common.h"
#include "recoup/core/clock.h"
#include "recoup/core/safe_text.h"
#include "recoup/core/time.h"
#include "recoup/health/service.h"
#include "recoup/io/byte_source.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

namespace {

using nlohmann::json;

struct HealthSyncArgs {
  std::string profile;
  bool organization = false;
  std::vector<std::string> regions;
};

int RunHealthSync(const Globals& g, const HealthSyncArgs& a) {
  // The Health API has one global endpoint, signed for us-east-1.
  auto ctx = ContextFor(a.profile, "us-east-1");
  if (!ctx.ok()) return Fail(ctx.status());
  auto client = (*ctx)->Client(aws::services::kHealth, "us-east-1");
  if (!client.ok()) return Fail(client.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  aws::HealthApi api(client->get());
  aws::HealthEventFilter filter;
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  filter.services = sla::HealthServices(**catalog);
  filter.regions = a.regions;
  auto sync = health::SyncFromApi(**store, api, filter, a.organization);
  if (!sync.ok()) return FailAws(sync.status());
  // What this read covered: the caller's account (every account in the
  // organization view), so that claims may say what AWS Health showed.
  std::string account = "*";
  if (!a.organization) {
    auto sts_client = (*ctx)->Client(aws::services::kSts, "us-east-1");
    auto who = sts_client.ok() ? aws::StsApi(sts_client->get()).GetCallerIdentity()
                               : Result<aws::CallerIdentity>(sts_client.status());
    if (who.ok()) {
      account = who->account;
    } else {
      account.clear();
      std::fprintf(stderr,
                   "recoup: note: the account could not be identified (GetCallerIdentity: %s); "
                   "claims will not count this sync as a check of AWS Health\n",
                   who.status().message().c_str());
    }
  }
  if (!account.empty()) {
    int64_t now_ms = SystemClock().NowMs();
    if (const char* n = std::getenv("RECOUP_NOW"); n != nullptr && *n != 0) {
      if (auto t = ParseTimestampMs(n); t.ok()) now_ms = *t;
    }
    if (Status st = health::RecordApiCoverage(**store, account, a.organization, a.regions, now_ms);
        !st.ok()) {
      return Fail(st);
    }
  }
  std::printf(
      "health sync (%s view): %lld events, %lld new or updated, %lld affected entities%s\n",
      a.organization ? "organization" : "account", static_cast<long long>(sync->events),
      static_cast<long long>(sync->changed), static_cast<long long>(sync->affected_entities),
      sync->details_unavailable > 0
          ? (", " + std::to_string(sync->details_unavailable) + " details unavailable").c_str()
          : "");
  return kExitOk;
}

int RunHealthImport(const Globals& g, const std::vector<std::string>& paths) {
  // Folders are walked; what is not a regular file is named and skipped.
  std::vector<io::SkippedEntry> skipped;
  auto files = io::ListInputFiles(paths, &skipped);
  if (!files.ok()) return Fail(files.status());
  for (const io::SkippedEntry& e : skipped) {
    std::fprintf(stderr, "recoup: warning: %s\n", EscapeControls(e.Message()).c_str());
  }
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  auto imported = health::ImportFiles(**store, *files);
  if (!imported.ok()) return Fail(imported.status());
  for (const std::string& e : imported->errors) {
    std::fprintf(stderr, "recoup: %s\n", EscapeControls(e).c_str());
  }
  std::printf(
      "health import: %lld events read, %lld new or updated, %lld bad records, %lld "
      "unreadable files\n",
      static_cast<long long>(imported->events), static_cast<long long>(imported->changed),
      static_cast<long long>(imported->bad_records),
      static_cast<long long>(imported->unreadable_files));
  return imported->bad_records > 0 || imported->unreadable_files > 0 ? kExitRuntime : kExitOk;
}

struct HealthListArgs {
  std::string month, region, output = "table";
};

int RunHealthList(const Globals& g, const HealthListArgs& a) {
  storage::HealthEventFilter f;
  if (!a.month.empty()) {
    auto m = YearMonth::Parse(a.month);
    if (!m.ok()) return Fail(InvalidArgument("--month: " + m.status().message()));
    f.start_ms = m->StartMs();
    f.end_ms = m->EndMs();
  }
  if (!a.region.empty()) f.region = a.region;
  auto store = OpenStoreForReading(g);
  if (!store.ok()) return Fail(store.status());
  auto events = (*store)->ListHealthEvents(f);
  if (!events.ok()) return Fail(events.status());
  if (a.output == "json") {
    json arr = json::array();
    for (const auto& e : *events) {
      arr.push_back({{"arn", e.arn},
                     {"service", e.service},
                     {"event_type_code", e.event_type_code},
                     {"event_type_category", e.event_type_category},
                     {"region", e.region},
                     {"status", e.status},
                     {"start", FormatTimestamp(e.start_ms)},
                     {"end", e.end_ms != 0 ? json(FormatTimestamp(e.end_ms)) : json(nullptr)},
                     {"last_updated", FormatTimestamp(e.last_updated_ms)},
                     {"accounts", e.accounts},
                     {"source", e.source},
                     {"description", e.description}});
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-20s  %-20s  %-14s  %-8s  %-9s  %-40s  %s\n", "START (UTC)", "END (UTC)", "REGION",
              "SERVICE", "STATUS", "EVENT TYPE", "ARN");
  for (const auto& e : *events) {
    std::printf("%-20s  %-20s  %-14s  %-8s  %-9s  %-40s  %s\n", FormatTimestamp(e.start_ms).c_str(),
                e.end_ms != 0 ? FormatTimestamp(e.end_ms).c_str() : "(open)",
                EscapeControls(e.region).c_str(), EscapeControls(e.service).c_str(),
                EscapeControls(e.status).c_str(), EscapeControls(e.event_type_code).c_str(),
                EscapeControls(e.arn).c_str());
  }
  std::printf("%zu events\n", events->size());
  return kExitOk;
}

}  // namespace

void RegisterHealthCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto* health_cmd =
      app.add_subcommand("health", "AWS Health events about the services of the SLA catalog");
  health_cmd->require_subcommand(1);
  auto hs = std::make_shared<HealthSyncArgs>();
  auto* hsync = health_cmd->add_subcommand(
      "sync", "Fetch events of the catalog's services from the AWS Health API");
  hsync->add_option("--profile", hs->profile, "AWS profile (default: AWS_PROFILE)");
  hsync->add_flag("--organization", hs->organization,
                  "Organization view (management account or delegated administrator)");
  hsync->add_option("--region", hs->regions, "Only events of this Region (repeatable)");
  reg.Add(hsync, [&g, hs] { return RunHealthSync(g, *hs); });

  auto files = std::make_shared<std::vector<std::string>>();
  auto* himport = health_cmd->add_subcommand(
      "import", "Import aws.health EventBridge events (JSON, arrays or JSON lines)");
  himport->add_option("files", *files, "Event files or folders (walked recursively)")->required();
  reg.Add(himport, [&g, files] { return RunHealthImport(g, *files); });

  auto hl = std::make_shared<HealthListArgs>();
  auto* hlist = health_cmd->add_subcommand("list", "Stored Health events");
  hlist->add_option("--month", hl->month, "Events overlapping this month, YYYY-MM");
  hlist->add_option("--region", hl->region, "Region");
  hlist->add_option("--output", hl->output, "table|json")->check(CLI::IsMember({"table", "json"}));
  reg.Add(hlist, [&g, hl] { return RunHealthList(g, *hl); });
}

}  // namespace recoup::cli
