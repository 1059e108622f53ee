// The dashboard's data: the JSON API under /api/ and the Prometheus text at
// /metrics, independent of HTTP so it can be tested without a socket.
//
// Every number comes from report::BuildReport (the same verdicts `recoup
// report` prints) or from the live-state hook; nothing here re-implements
// SLA arithmetic. The error budget is read off the verdict: the month may
// sum (100% - commitment) x intervals of interval error rates; what is left
// is that minus the verdict's sum. Thread-safe: store access is serialized.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/report/report.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"
#include "recoup/web/server.h"

namespace recoup::web {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class Api {
 public:
  Api(std::string store_path, std::shared_ptr<const sla::Catalog> catalog,
      LiveStateProvider live_state, std::function<int64_t()> now_ms);

  // `path` is "/api/..." or "/metrics"; `query` the decoded query parameters.
  // Unknown paths answer 404; bad parameters 400; an unreachable store 503.
  ApiResponse Handle(std::string_view path, const std::multimap<std::string, std::string>& query);

 private:
  Result<storage::Store*> OpenStore();  // REQUIRES: mu_ held
  // The report rows of `this_month` and of every month with evidence, built
  // once per change of the store (its ChangeStamp) and month.
  // REQUIRES: mu_ held
  Result<const std::map<YearMonth, std::vector<report::ReportRow>>*> MonthRows(
      storage::Store& store, YearMonth this_month);
  LiveState Live() const;

  std::string store_path_;
  std::shared_ptr<const sla::Catalog> catalog_;
  LiveStateProvider live_state_;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  std::unique_ptr<storage::Store> store_;
  struct RowsCache {
    std::string stamp;
    YearMonth month;
    std::map<YearMonth, std::vector<report::ReportRow>> rows;
  };
  std::optional<RowsCache> rows_cache_;
};

}  // namespace recoup::web
