// Commands that call AWS APIs: `ingest cloudtrail-lookup`, `billing sync`,
// `health sync|import|list`. Required IAM actions per command: docs/AWS.md.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "recoup/aws/cloudtrail_api.h"
#include "recoup/aws/cost_explorer_api.h"
#include "recoup/aws/health_api.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/common.h"
#include "recoup/cli/ingest_run.h"
#include "recoup/core/exact.h"
#include "recoup/core/time.h"
#include "recoup/health/health_event.h"
#include "recoup/health/sync.h"
#include "recoup/io/byte_source.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// AWS answers are runtime failures (exit 1) even when AWS calls them
// validation errors; our own argument checks stay usage errors (exit 2).
int FailAws(const Status& st) {
  if (aws::AwsErrorOf(st)) {
    std::string msg = st.message();
    if (aws::IsAwsError(st, "SubscriptionRequiredException")) {
      msg += " (this API needs a Business, Enterprise On-Ramp or Enterprise support plan)";
    }
    std::fprintf(stderr, "recoup: %s\n", msg.c_str());
    return kExitRuntime;
  }
  return Fail(st);
}

Result<std::unique_ptr<AwsContext>> Context(const std::string& profile, const std::string& region) {
  AwsContextOptions o;
  o.profile = profile;
  o.region = region;
  return AwsContext::Create(o);
}

// ---- ingest cloudtrail-lookup ----

struct LookupArgs {
  std::string region, start, end, profile, output = "text";
};

// A private folder for one page of events; removed on destruction.
class SpoolDir {
 public:
  SpoolDir() {
    std::string tmpl = (fs::temp_directory_path() / "recoup-lookup-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~SpoolDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  SpoolDir(const SpoolDir&) = delete;
  SpoolDir& operator=(const SpoolDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string SafeName(const std::string& id) {
  std::string out;
  for (char c : id) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  }
  return out.empty() ? "event" : out;
}

int RunCloudTrailLookup(const Globals& g, const LookupArgs& a) {
  auto start = ParseTimestampMs(a.start);
  if (!start.ok()) return Fail(InvalidArgument("--start: " + start.status().message()));
  auto end = ParseTimestampMs(a.end);
  if (!end.ok()) return Fail(InvalidArgument("--end: " + end.status().message()));
  if (*end <= *start) return Fail(InvalidArgument("--end must be after --start"));
  auto ctx = Context(a.profile, a.region);
  if (!ctx.ok()) return Fail(ctx.status());
  auto client = (*ctx)->Client(aws::services::kCloudTrail, a.region);
  if (!client.ok()) return Fail(client.status());
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());

  aws::CloudTrailApi trail(client->get());
  aws::LookupEventsInput in;
  in.attribute_key = "EventSource";
  in.attribute_value = "kms.amazonaws.com";
  in.start_ms = *start;
  in.end_ms = *end;
  IngestSummary total;
  int64_t pages = 0, events = 0, no_record = 0;
  // Each event becomes one small in-memory-sized file holding its CloudTrail
  // record: the ledger then knows every event by the SHA-256 of its record,
  // so a re-run (or an overlapping window) adds nothing twice, however AWS
  // cuts the pages.
  Status st = trail.LookupEvents(in, [&](const json&, std::vector<aws::LookupEvent> page) {
    ++pages;
    if (page.empty()) return Status::Ok();
    SpoolDir dir;
    if (dir.path().empty()) return Internal("cannot create a temporary folder");
    std::set<std::string> names;
    for (const aws::LookupEvent& e : page) {
      if (e.cloudtrail_event.empty()) {
        ++no_record;
        continue;
      }
      ++events;
      std::string name = SafeName(e.event_id);
      while (!names.insert(name).second) name += "_";
      std::ofstream out(fs::path(dir.path()) / (name + ".json"), std::ios::binary);
      out << e.cloudtrail_event;
      if (!out) return Internal("cannot write a temporary file in " + dir.path());
    }
    IngestOptions opt;
    opt.paths = {dir.path()};
    opt.threads = 1;
    opt.store_path = g.store_path;
    RECOUP_ASSIGN_OR_RETURN(IngestSummary s, RunIngest(**store, *catalog, opt));
    total.files += s.files;
    total.files_ingested += s.files_ingested;
    total.files_already += s.files_already;
    total.files_not_recorded += s.files_not_recorded;
    total.files_failed += s.files_failed;
    total.records += s.records;
    total.accepted += s.accepted;
    total.skipped += s.skipped;
    total.rejected += s.rejected;
    total.new_failures += s.new_failures;
    total.duplicates += s.duplicates;
    for (const std::string& m : s.messages) {
      if (total.messages.size() < 20) total.messages.push_back(m);
    }
    return Status::Ok();
  });
  if (!st.ok()) return FailAws(st);
  for (const std::string& m : total.messages)
    std::fprintf(stderr, "recoup: warning: %s\n", m.c_str());
  if (a.output == "json") {
    json j = {{"region", a.region},
              {"start", FormatTimestamp(*start)},
              {"end", FormatTimestamp(*end)},
              {"pages", pages},
              {"events", events},
              {"events_without_record", no_record},
              {"events_ingested", total.files_ingested},
              {"events_already_ingested", total.files_already},
              {"records", total.records},
              {"accepted", total.accepted},
              {"skipped", total.skipped},
              {"rejected", total.rejected},
              {"new_failures", total.new_failures}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf(
        "cloudtrail-lookup %s %s..%s: %lld pages, %lld KMS events: %lld new, %lld already "
        "ingested; %lld records accepted, %lld rejected; %lld new failing requests\n",
        a.region.c_str(), FormatTimestamp(*start).c_str(), FormatTimestamp(*end).c_str(),
        static_cast<long long>(pages), static_cast<long long>(events),
        static_cast<long long>(total.files_ingested), static_cast<long long>(total.files_already),
        static_cast<long long>(total.accepted), static_cast<long long>(total.rejected),
        static_cast<long long>(total.new_failures));
  }
  return total.files_failed > 0 ? kExitRuntime : kExitOk;
}

// ---- billing sync ----

struct BillingSyncArgs {
  std::string profile, month, account;
  int months = 3;
};

constexpr char kCeKmsService[] = "AWS Key Management Service";

// Cost Explorer amounts are decimal text, occasionally in scientific
// notation ("7.5E-7"): parsed exactly either way.
Result<Rational> ParseAmount(const std::string& text) {
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

int RunBillingSync(const Globals& g, const BillingSyncArgs& a) {
  YearMonth first, last;
  if (!a.month.empty()) {
    auto m = YearMonth::Parse(a.month);
    if (!m.ok()) return Fail(InvalidArgument("--month: " + m.status().message()));
    first = last = *m;
  } else {
    if (a.months < 1 || a.months > 14) return Fail(InvalidArgument("--months must be 1..14"));
    last = YearMonth::FromMs(aws::SystemClock()());
    first = last.Plus(-(a.months - 1));
  }
  // Cost Explorer lives in us-east-1 whatever the Region of the charges.
  auto ctx = Context(a.profile, "us-east-1");
  if (!ctx.ok()) return Fail(ctx.status());
  auto client = (*ctx)->Client(aws::services::kCostExplorer, "us-east-1");
  if (!client.ok()) return Fail(client.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());

  aws::CostAndUsageInput in;
  in.start = first.ToString() + "-01";
  in.end = last.Plus(1).ToString() + "-01";
  in.granularity = "MONTHLY";
  in.metrics = {"UnblendedCost", "NetUnblendedCost"};
  in.group_by = {"REGION", "LINKED_ACCOUNT"};
  in.dimensions = {{"SERVICE", {kCeKmsService}}};
  if (!a.account.empty()) in.dimensions.push_back({"LINKED_ACCOUNT", {a.account}});
  aws::CostExplorerApi ce(client->get());
  auto rows = ce.GetCostAndUsage(in);
  if (!rows.ok()) return FailAws(rows.status());
  int64_t stored = 0, skipped = 0;
  for (const aws::CostRow& r : *rows) {
    if (r.keys.size() != 2 || r.start.size() < 7) {
      ++skipped;
      continue;
    }
    auto month = YearMonth::Parse(r.start.substr(0, 7));
    auto it = r.metrics.find("UnblendedCost");
    if (!month.ok() || it == r.metrics.end()) {
      ++skipped;
      continue;
    }
    auto amount = ParseAmount(it->second.amount);
    if (!amount.ok()) {
      std::fprintf(stderr, "recoup: warning: Cost Explorer %s %s %s: unreadable amount \"%s\"\n",
                   r.start.c_str(), r.keys[0].c_str(), r.keys[1].c_str(),
                   it->second.amount.c_str());
      ++skipped;
      continue;
    }
    storage::ChargeRecord c;
    c.account = r.keys[1];
    c.region = r.keys[0];
    c.service = "kms";
    c.month = *month;
    c.origin = "cost-explorer";
    c.amount = *amount;
    if (auto net = r.metrics.find("NetUnblendedCost"); net != r.metrics.end()) {
      auto n = ParseAmount(net->second.amount);
      if (n.ok()) c.net_amount = *n;
    }
    c.currency = it->second.unit.empty() ? "USD" : it->second.unit;
    c.source = std::string("Cost Explorer GetCostAndUsage UnblendedCost") +
               (r.estimated ? " (estimated: month not closed)" : "");
    Status st = (*store)->PutCharge(c);
    if (!st.ok()) return Fail(st);
    ++stored;
    std::printf("%s  %-15s  %s  $%s%s\n", c.account.c_str(), c.region.c_str(),
                c.month.ToString().c_str(), FormatDecimal(c.amount, 2, 12).c_str(),
                r.estimated ? "  (estimated)" : "");
  }
  std::printf(
      "billing sync %s..%s: %lld charges stored (origin cost-explorer), %lld rows skipped\n",
      first.ToString().c_str(), last.ToString().c_str(), static_cast<long long>(stored),
      static_cast<long long>(skipped));
  return kExitOk;
}

// ---- health ----

struct HealthSyncArgs {
  std::string profile;
  bool organization = false;
  std::vector<std::string> regions;
};

int RunHealthSync(const Globals& g, const HealthSyncArgs& a) {
  // The Health API has one global endpoint, signed for us-east-1.
  auto ctx = Context(a.profile, "us-east-1");
  if (!ctx.ok()) return Fail(ctx.status());
  auto client = (*ctx)->Client(aws::services::kHealth, "us-east-1");
  if (!client.ok()) return Fail(client.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  aws::HealthApi api(client->get());
  aws::HealthEventFilter filter;
  filter.services = {"KMS"};
  filter.regions = a.regions;

  auto fetched = health::FetchFromApi(api, filter, a.organization);
  if (!fetched.ok()) return FailAws(fetched.status());
  const std::vector<storage::HealthEvent>& out = fetched->events;
  const int64_t entities = fetched->affected_entities;
  const int64_t detail_failures = fetched->details_unavailable;
  int64_t changed = 0;
  for (const auto& e : out) {
    auto r = (*store)->PutHealthEvent(e);
    if (!r.ok()) return Fail(r.status());
    if (*r) ++changed;
  }
  std::printf(
      "health sync (%s view): %zu KMS events, %lld new or updated, %lld affected entities%s\n",
      a.organization ? "organization" : "account", out.size(), static_cast<long long>(changed),
      static_cast<long long>(entities),
      detail_failures > 0
          ? (", " + std::to_string(detail_failures) + " details unavailable").c_str()
          : "");
  return kExitOk;
}

int RunHealthImport(const Globals& g, const std::vector<std::string>& files) {
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  int64_t events = 0, changed = 0, bad = 0, unreadable = 0;
  for (const std::string& f : files) {
    auto bytes = io::ReadFileToString(f);
    if (!bytes.ok()) {
      std::fprintf(stderr, "recoup: %s\n", bytes.status().message().c_str());
      ++unreadable;
      continue;
    }
    health::ParsedFile parsed = health::ParseEventFile(*bytes, f);
    for (const std::string& e : parsed.errors) std::fprintf(stderr, "recoup: %s\n", e.c_str());
    bad += static_cast<int64_t>(parsed.errors.size());
    for (const auto& e : parsed.events) {
      auto r = (*store)->PutHealthEvent(e);
      if (!r.ok()) return Fail(r.status().WithPrefix(f));
      ++events;
      if (*r) ++changed;
    }
  }
  std::printf(
      "health import: %lld events read, %lld new or updated, %lld bad records, %lld "
      "unreadable files\n",
      static_cast<long long>(events), static_cast<long long>(changed), static_cast<long long>(bad),
      static_cast<long long>(unreadable));
  return bad > 0 || unreadable > 0 ? kExitRuntime : kExitOk;
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
  auto store = storage::OpenSqliteStore(g.store_path);
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
                e.end_ms != 0 ? FormatTimestamp(e.end_ms).c_str() : "(open)", e.region.c_str(),
                e.service.c_str(), e.status.c_str(), e.event_type_code.c_str(), e.arn.c_str());
  }
  std::printf("%zu events\n", events->size());
  return kExitOk;
}

}  // namespace

void RegisterAwsCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  if (CLI::App* ingest = app.get_subcommand("ingest"); ingest != nullptr) {
    auto la = std::make_shared<LookupArgs>();
    auto* lookup = ingest->add_subcommand(
        "cloudtrail-lookup", "Ingest KMS events from CloudTrail LookupEvents (last 90 days)");
    lookup->add_option("--region", la->region, "Region to read")->required();
    lookup->add_option("--start", la->start, "Start time (ISO 8601, UTC)")->required();
    lookup->add_option("--end", la->end, "End time (ISO 8601, UTC)")->required();
    lookup->add_option("--profile", la->profile, "AWS profile (default: AWS_PROFILE)");
    lookup->add_option("--output", la->output, "text|json summary")
        ->check(CLI::IsMember({"text", "json"}));
    reg.Add(lookup, [&g, la] { return RunCloudTrailLookup(g, *la); });
  }

  if (CLI::App* bill = app.get_subcommand("billing"); bill != nullptr) {
    auto ba = std::make_shared<BillingSyncArgs>();
    auto* sync = bill->add_subcommand(
        "sync", "KMS charges per account, Region and month from Cost Explorer");
    sync->add_option("--profile", ba->profile, "AWS profile (default: AWS_PROFILE)");
    auto* months =
        sync->add_option("--months", ba->months, "This month and the N-1 before it (default 3)");
    sync->add_option("--month", ba->month, "One month, YYYY-MM")->excludes(months);
    sync->add_option("--account", ba->account, "Only this linked account");
    reg.Add(sync, [&g, ba] { return RunBillingSync(g, *ba); });
  }

  auto* health_cmd = app.add_subcommand("health", "AWS Health events about KMS");
  health_cmd->require_subcommand(1);
  auto hs = std::make_shared<HealthSyncArgs>();
  auto* hsync = health_cmd->add_subcommand("sync", "Fetch KMS events from the AWS Health API");
  hsync->add_option("--profile", hs->profile, "AWS profile (default: AWS_PROFILE)");
  hsync->add_flag("--organization", hs->organization,
                  "Organization view (management account or delegated administrator)");
  hsync->add_option("--region", hs->regions, "Only events of this Region (repeatable)");
  reg.Add(hsync, [&g, hs] { return RunHealthSync(g, *hs); });

  auto files = std::make_shared<std::vector<std::string>>();
  auto* himport = health_cmd->add_subcommand(
      "import", "Import aws.health EventBridge events (JSON, arrays or JSON lines)");
  himport->add_option("files", *files, "Event files")->required();
  reg.Add(himport, [&g, files] { return RunHealthImport(g, *files); });

  auto hl = std::make_shared<HealthListArgs>();
  auto* hlist = health_cmd->add_subcommand("list", "Stored Health events");
  hlist->add_option("--month", hl->month, "Events overlapping this month, YYYY-MM");
  hlist->add_option("--region", hl->region, "Region");
  hlist->add_option("--output", hl->output, "table|json")->check(CLI::IsMember({"table", "json"}));
  reg.Add(hlist, [&g, hl] { return RunHealthList(g, *hl); });
}

}  // namespace recoup::cli
