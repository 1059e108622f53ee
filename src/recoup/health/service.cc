#include "recoup/health/service.h"

#include <algorithm>
#include <map>
#include <utility>

#include "recoup/health/health_event.h"
#include "recoup/health/sync.h"
#include "recoup/io/byte_source.h"

namespace recoup::health {

Result<SyncSummary> SyncFromApi(storage::Store& store, aws::HealthApi& api,
                                const aws::HealthEventFilter& filter, bool organization) {
  RECOUP_ASSIGN_OR_RETURN(ApiSyncResult fetched, FetchFromApi(api, filter, organization));
  SyncSummary out;
  out.events = static_cast<int64_t>(fetched.events.size());
  out.affected_entities = fetched.affected_entities;
  out.details_unavailable = fetched.details_unavailable;
  for (const auto& e : fetched.events) {
    RECOUP_ASSIGN_OR_RETURN(bool changed, store.PutHealthEvent(e));
    if (changed) ++out.changed;
  }
  return out;
}

Status RecordApiCoverage(storage::Store& store, const std::string& account, bool organization,
                         const std::vector<std::string>& regions, int64_t now_ms) {
  health::HealthCoverage c;
  c.source = organization ? "health-org-api" : "health-api";
  c.account = organization ? "*" : account;
  c.start_ms = now_ms - kHealthApiDays * kMsPerDay;
  c.end_ms = now_ms;
  if (regions.empty()) {
    c.region = "*";
    return store.PutHealthCoverage(c);
  }
  for (const std::string& r : regions) {
    c.region = r;
    RECOUP_RETURN_IF_ERROR(store.PutHealthCoverage(c));
  }
  return Status::Ok();
}

std::vector<health::HealthCoverage> EventCoverage(const std::vector<health::HealthEvent>& events,
                                                  const std::string& source) {
  std::map<std::pair<std::string, std::string>, health::HealthCoverage> by_key;
  for (const health::HealthEvent& e : events) {
    int64_t lo = e.start_ms, hi = std::max({e.start_ms, e.end_ms, e.last_updated_ms});
    if (e.last_updated_ms != 0) lo = std::min(lo, e.last_updated_ms);
    if (lo <= 0 || e.region.empty()) continue;
    for (const std::string& a : e.accounts) {
      auto [it, added] = by_key.try_emplace({a, e.region});
      health::HealthCoverage& c = it->second;
      if (added) {
        c = {source, a, e.region, lo, hi};
      } else {
        c.start_ms = std::min(c.start_ms, lo);
        c.end_ms = std::max(c.end_ms, hi);
      }
    }
  }
  std::vector<health::HealthCoverage> out;
  out.reserve(by_key.size());
  for (auto& [k, c] : by_key) out.push_back(std::move(c));
  return out;
}

Result<ImportSummary> ImportFiles(storage::Store& store, const std::vector<std::string>& files) {
  ImportSummary out;
  for (const std::string& f : files) {
    auto bytes = io::ReadFileToString(f);
    if (!bytes.ok()) {
      out.errors.push_back(bytes.status().message());
      ++out.unreadable_files;
      continue;
    }
    ParsedFile parsed = ParseEventFile(*bytes, f);
    for (const std::string& e : parsed.errors) out.errors.push_back(e);
    out.bad_records += static_cast<int64_t>(parsed.errors.size());
    for (const auto& e : parsed.events) {
      auto r = store.PutHealthEvent(e);
      if (!r.ok()) return r.status().WithPrefix(f);
      ++out.events;
      if (*r) ++out.changed;
    }
    for (const health::HealthCoverage& c : EventCoverage(parsed.events, "eventbridge")) {
      RECOUP_RETURN_IF_ERROR(store.PutHealthCoverage(c).WithPrefix(f));
    }
  }
  return out;
}

}  // namespace recoup::health
