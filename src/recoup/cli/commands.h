// The runners that more than one command file calls: `recoup demo` runs
// ingest, billing import and report exactly as a user would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/cli/common.h"

namespace recoup::cli {

struct IngestArgs {
  std::vector<std::string> paths;
  std::string format = "auto";
  std::string account;
  std::string map;
  std::string access_key_map;
  int threads = 0;
  int64_t max_series = 10000;  // per source kind and month (ingest::kDefaultIngestMaxSeries)
  std::string output = "text";
  std::string region;               // for s3:// paths
  std::string profile;              // for s3:// paths
  std::vector<std::string> scopes;  // SERVICE.SCOPE=PATTERN (sla/scopes.h)
};
int RunIngestCommand(const Globals& g, const IngestArgs& a);  // ingest_cmd.cc

struct ReportArgs {
  std::string month, account, region, service;
  std::string output = "table";
  bool intervals = false;
  bool all_intervals = false;
};
int RunReportCommand(const Globals& g, const ReportArgs& a);  // report_cmd.cc

// `product_code` and `service` empty: every service of the SLA catalog.
int RunBillingImport(const Globals& g, const std::vector<std::string>& paths,
                     const std::string& product_code,
                     const std::string& service = "");  // billing_cmd.cc

}  // namespace recoup::cli
