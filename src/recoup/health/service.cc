#include "recoup/health/service.h"

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
  }
  return out;
}

}  // namespace recoup::health
