#include "recoup/ingest/lookup.h"

#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace recoup::ingest {

namespace {

namespace fs = std::filesystem;

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

// An event ID as a file name: letters, digits and '-' kept, the rest '_'.
std::string SafeName(const std::string& id) {
  std::string out;
  for (char c : id) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  }
  return out.empty() ? "event" : out;
}

void Add(const IngestSummary& s, IngestSummary* total) {
  total->files += s.files;
  total->files_ingested += s.files_ingested;
  total->files_already += s.files_already;
  total->files_not_recorded += s.files_not_recorded;
  total->files_failed += s.files_failed;
  total->records += s.records;
  total->accepted += s.accepted;
  total->skipped += s.skipped;
  total->rejected += s.rejected;
  total->new_failures += s.new_failures;
  total->duplicates += s.duplicates;
  for (const std::string& m : s.messages) {
    if (total->messages.size() < 20) total->messages.push_back(m);
  }
}

}  // namespace

Result<LookupSummary> IngestLookupEvents(storage::Store& store,
                                         std::shared_ptr<const sla::Catalog> catalog,
                                         aws::CloudTrailApi& api, int64_t start_ms, int64_t end_ms,
                                         const std::string& store_path) {
  aws::LookupEventsInput in;
  in.attribute_key = "EventSource";
  in.attribute_value = "kms.amazonaws.com";
  in.start_ms = start_ms;
  in.end_ms = end_ms;
  LookupSummary out;
  Status st =
      api.LookupEvents(in, [&](const nlohmann::json&, const std::vector<aws::LookupEvent>& page) {
        ++out.pages;
        if (page.empty()) return Status::Ok();
        SpoolDir dir;
        if (dir.path().empty()) return Internal("cannot create a temporary folder");
        std::set<std::string> names;
        for (const aws::LookupEvent& e : page) {
          if (e.cloudtrail_event.empty()) {
            ++out.events_without_record;
            continue;
          }
          ++out.events;
          std::string name = SafeName(e.event_id);
          while (!names.insert(name).second) name += "_";
          std::ofstream f(fs::path(dir.path()) / (name + ".json"), std::ios::binary);
          f << e.cloudtrail_event;
          if (!f) return Internal("cannot write a temporary file in " + dir.path());
        }
        IngestOptions opt;
        opt.paths = {dir.path()};
        opt.threads = 1;
        opt.store_path = store_path;
        RECOUP_ASSIGN_OR_RETURN(IngestSummary s, RunIngest(store, catalog, opt));
        Add(s, &out.ingest);
        return Status::Ok();
      });
  RECOUP_RETURN_IF_ERROR(st);
  return out;
}

}  // namespace recoup::ingest
