// The health service: brings AWS Health events into the store, from the
// Health API (health/sync.h) or from files of EventBridge events. Used by
// `recoup health sync|import`; callers print.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/aws/health_api.h"
#include "recoup/core/status.h"
#include "recoup/storage/store.h"

namespace recoup::health {

struct SyncSummary {
  int64_t events = 0;   // fetched
  int64_t changed = 0;  // new or updated in the store
  int64_t affected_entities = 0;
  int64_t details_unavailable = 0;
};

// Fetches the events `filter` selects and stores them (newest update wins).
// Errors are the API's (aws::AwsErrorOf) or the store's.
Result<SyncSummary> SyncFromApi(storage::Store& store, aws::HealthApi& api,
                                const aws::HealthEventFilter& filter, bool organization);

// How far back the Health API keeps events (DescribeEvents shows 90 days).
inline constexpr int64_t kHealthApiDays = 90;

// Records that a Health API read at `now_ms` covered `account` ("*" for the
// organization view) in every Region, or only in `regions` when given, for
// the days the API keeps. Source "health-api" or "health-org-api".
Status RecordApiCoverage(storage::Store& store, const std::string& account, bool organization,
                         const std::vector<std::string>& regions, int64_t now_ms);

// The coverage a set of aws.health EventBridge events gives (`source`:
// "eventbridge" or "sqs"): for each account and Region they name, from the
// earliest to the latest time they mention (start, end, last update).
std::vector<health::HealthCoverage> EventCoverage(const std::vector<health::HealthEvent>& events,
                                                  const std::string& source);

struct ImportSummary {
  int64_t events = 0, changed = 0;
  int64_t bad_records = 0, unreadable_files = 0;
  std::vector<std::string> errors;  // "FILE:LINE: what", or a file's read error
};

// Stores every good event of every file, and the coverage each file's events
// give (EventCoverage, source "eventbridge"); bad records and unreadable files
// are counted and named in `errors`, and the rest is kept. Only a store
// failure is an error (prefixed with the file).
Result<ImportSummary> ImportFiles(storage::Store& store, const std::vector<std::string>& files);

}  // namespace recoup::health
