// `recoup ingest PATH...` and `recoup ingest cloudtrail-lookup`: flags in,
// the ingest service (ingest/pipeline.h, ingest/lookup.h) called, its
// summary printed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "recoup/aws/cloudtrail_api.h"
#include "recoup/aws/s3_client.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/commands.h"
#include "recoup/cli/common.h"
#include "recoup/core/safe_text.h"
#include "recoup/core/time.h"
#include "recoup/ingest/lookup.h"
#include "recoup/ingest/pipeline.h"
#include "recoup/io/byte_source.h"
#include "recoup/sla/scopes.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

namespace {

struct LookupArgs {
  std::string region, start, end, profile, output = "text";
};

// S3 access for s3:// arguments: Region from --region or the config chain,
// endpoint (an override means path-style addressing) and the default
// credentials chain for --profile.
Result<ingest::S3Settings> MakeS3Settings(const IngestArgs& a) {
  return ingest::ResolveS3Settings(
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

// True if `path` is a local file whose first line is the header of an AWS
// Cost and Usage Report (legacy or CUR 2.0), plain or gzip: a bill, which
// `billing import` reads, not evidence.
bool LooksLikeCur(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  auto src = io::OpenMaybeGzip(path);
  if (!src.ok()) return false;
  std::string head(4096, '\0');
  size_t got = 0;
  while (got < head.size()) {
    auto n = (*src)->Read(head.data() + got, head.size() - got);
    if (!n.ok() || *n == 0) break;
    got += *n;
  }
  head.resize(got);
  head = head.substr(0, head.find_first_of("\r\n"));
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return head.find("lineitem/usageaccountid") != std::string::npos ||
         head.find("line_item_usage_account_id") != std::string::npos ||
         head.find("identity/lineitemid") != std::string::npos ||
         head.find("identity_line_item_id") != std::string::npos;
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

void PrintIngestSummary(const ingest::IngestSummary& s, const std::string& output) {
  if (output == "json") {
    nlohmann::ordered_json j;
    j["files"] = s.files;
    j["files_ingested"] = s.files_ingested;
    j["files_already_ingested"] = s.files_already;
    j["files_damaged"] = s.files_damaged;
    j["files_rejected"] = s.files_not_recorded;
    j["files_failed"] = s.files_failed;
    j["files_skipped"] = s.files_skipped;
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
  if (s.files_skipped > 0) {
    std::printf(", %s skipped (not regular files)", WithCommas(s.files_skipped).c_str());
  }
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

int RunCloudTrailLookup(const Globals& g, const LookupArgs& a) {
  auto start = ParseTimestampMs(a.start);
  if (!start.ok()) return Fail(InvalidArgument("--start: " + start.status().message()));
  auto end = ParseTimestampMs(a.end);
  if (!end.ok()) return Fail(InvalidArgument("--end: " + end.status().message()));
  if (*end <= *start) return Fail(InvalidArgument("--end must be after --start"));
  auto ctx = ContextFor(a.profile, a.region);
  if (!ctx.ok()) return Fail(ctx.status());
  auto client = (*ctx)->Client(aws::services::kCloudTrail, a.region);
  if (!client.ok()) return Fail(client.status());
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  aws::CloudTrailApi trail(client->get());
  auto looked = ingest::IngestLookupEvents(**store, *catalog, trail, *start, *end, g.store_path);
  if (!looked.ok()) return FailAws(looked.status());
  const ingest::IngestSummary& total = looked->ingest;
  for (const std::string& m : total.messages)
    std::fprintf(stderr, "recoup: warning: %s\n", m.c_str());
  if (a.output == "json") {
    nlohmann::json j = {{"region", a.region},
                        {"start", FormatTimestamp(*start)},
                        {"end", FormatTimestamp(*end)},
                        {"pages", looked->pages},
                        {"events", looked->events},
                        {"events_without_record", looked->events_without_record},
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
        static_cast<long long>(looked->pages), static_cast<long long>(looked->events),
        static_cast<long long>(total.files_ingested), static_cast<long long>(total.files_already),
        static_cast<long long>(total.accepted), static_cast<long long>(total.rejected),
        static_cast<long long>(total.new_failures));
  }
  return total.files_failed > 0 ? kExitRuntime : kExitOk;
}

}  // namespace

int RunIngestCommand(const Globals& g, const IngestArgs& a) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  auto format = ingest::ParseInputFormat(a.format);
  if (!format.ok()) return Fail(format.status());
  ingest::IngestOptions opt;
  // A Cost and Usage Report is a bill, not evidence: say where it belongs
  // and read the other inputs.
  std::vector<std::string> curs;
  for (const std::string& p : a.paths) {
    if (!aws::IsS3Url(p) && LooksLikeCur(p)) {
      curs.push_back(p);
    } else {
      opt.paths.push_back(p);
    }
  }
  if (!curs.empty() && opt.paths.empty()) {
    std::string all;
    for (const auto& c : curs) all += " " + c;
    return Fail(FailedPrecondition(
        (curs.size() == 1 ? curs[0] + " is an AWS Cost and Usage Report"
                          : std::to_string(curs.size()) + " files are AWS Cost and Usage Reports") +
        ", not evidence of API calls: import it with recoup billing import" + all));
  }
  for (const std::string& c : curs) {
    std::fprintf(stderr,
                 "recoup: warning: %s is an AWS Cost and Usage Report, not evidence: left out "
                 "(import it with recoup billing import %s)\n",
                 c.c_str(), c.c_str());
  }
  opt.parser.format = *format;
  opt.parser.default_account = a.account;
  opt.parser.default_region = a.region;
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
  opt.parser.series_limit = std::make_shared<ingest::SeriesLimit>(a.max_series);
  if (!a.scopes.empty()) {
    auto scopes = std::make_shared<sla::ScopeMap>();
    for (const std::string& rule : a.scopes) {
      if (Status st = scopes->Add(**catalog, rule, "--scope"); !st.ok()) return Fail(st);
    }
    opt.parser.scopes = std::move(scopes);
  }
  opt.store_path = g.store_path;
  opt.progress = isatty(STDERR_FILENO) != 0;
  auto store = storage::OpenSqliteStore(g.store_path);
  if (!store.ok()) return Fail(store.status());
  auto sum = ingest::RunIngest(**store, *catalog, opt);
  if (!sum.ok()) return Fail(sum.status());
  for (const std::string& m : sum->skipped_messages) {
    std::fprintf(stderr, "recoup: warning: %s\n", EscapeControls(m).c_str());
  }
  if (sum->files_skipped > static_cast<int64_t>(sum->skipped_messages.size())) {
    std::fprintf(stderr, "recoup: warning: ... and %lld more entries skipped\n",
                 static_cast<long long>(sum->files_skipped -
                                        static_cast<int64_t>(sum->skipped_messages.size())));
  }
  for (const std::string& m : sum->messages)
    std::fprintf(stderr, "recoup: warning: %s\n", EscapeControls(m).c_str());
  if (sum->message_count > static_cast<int64_t>(sum->messages.size())) {
    std::fprintf(
        stderr, "recoup: warning: ... and %lld more\n",
        static_cast<long long>(sum->message_count - static_cast<int64_t>(sum->messages.size())));
  }
  PrintIngestSummary(*sum, a.output);
  // Files were read but none gave a record of evidence (and none was
  // ingested before): a failure, not a quiet success. An empty folder is not
  // one; a trail file whose records are all of other services is.
  if (sum->files > 0 && sum->files_already == 0 &&
      (sum->files_ingested == 0 || sum->records == 0)) {
    std::fprintf(stderr,
                 "recoup: nothing usable in the input: %lld file(s) read, %lld record(s), none "
                 "accepted (see the warnings above; --format and --map choose how files are "
                 "read)\n",
                 static_cast<long long>(sum->files), static_cast<long long>(sum->records));
    return kExitRuntime;
  }
  return kExitOk;
}

void RegisterIngestCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto ia = std::make_shared<IngestArgs>();
  auto* ingest = app.add_subcommand("ingest", "Read evidence files or folders (plain or .gz)");
  ingest->add_option("paths", ia->paths,
                     "Files or folders (walked recursively), or s3://bucket/prefix");
  ingest
      ->add_option("--format", ia->format,
                   "auto, cloudtrail, csm, jsonl, s3-access-log, apigateway-access-log or "
                   "cloudfront-log (auto tells S3 and CloudFront logs apart by their first "
                   "bytes; API Gateway access logs need --format)")
      ->check(CLI::IsMember({"auto", "cloudtrail", "csm", "jsonl", "s3-access-log",
                             "apigateway-access-log", "cloudfront-log"}));
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
  ingest
      ->add_option("--max-series-per-source-month", ia->max_series,
                   "Distinct (account, Region, service) series one source may create per "
                   "month; records of further series are rejected (default 10000)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  ingest->add_option("--scope", ia->scopes,
                     "SERVICE.SCOPE=PATTERN: requests on the resources PATTERN names (an ARN or "
                     "a bucket or table name, * a wildcard) count in that sub-scope's series, "
                     "e.g. s3.infrequent_access=archive-* (repeatable; docs/SLA.md)");
  ingest->add_option("--output", ia->output, "text|json summary")
      ->check(CLI::IsMember({"text", "json"}));
  ingest->add_option("--region", ia->region,
                     "Region of s3:// buckets (default: AWS_REGION, then the profile's), "
                     "and of access-log lines that name none");
  ingest->add_option("--profile", ia->profile,
                     "AWS profile for s3:// paths (default: AWS_PROFILE)");
  reg.Add(ingest, [&g, ia] {
    if (ia->paths.empty()) {
      return Fail(InvalidArgument("ingest: give files, folders or s3://bucket/prefix"));
    }
    return RunIngestCommand(g, *ia);
  });

  {
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
}

}  // namespace recoup::cli
