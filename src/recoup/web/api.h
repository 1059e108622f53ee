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
#include <utility>
#include <vector>

#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
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
  // `clock` gives "now" (the current month, days left to claim); nullptr:
  // the system clock. It must outlive the Api.
  // `build_info`: the labels of recoup_build_info (the catalog version is added).
  Api(std::string store_path, std::shared_ptr<const sla::Catalog> catalog,
      LiveStateProvider live_state, const Clock* clock = nullptr,
      std::vector<std::pair<std::string, std::string>> build_info = {});

  // `path` is "/api/..." or "/metrics"; `query` the decoded query parameters.
  // Unknown paths answer 404; bad parameters 400; an unreachable store 503.
  ApiResponse Handle(std::string_view path, const std::multimap<std::string, std::string>& query);

 private:
  // What a route's handler gets: the query, one reading of the clock, and
  // the open store (nullptr for routes that do not read it).
  struct Request {
    const std::multimap<std::string, std::string>& query;
    int64_t now_ms;
    YearMonth this_month;
    storage::Store* store;
  };
  // One endpoint, matched on the exact path. Every route answers GET (and
  // HEAD): the server refuses other methods before routing.
  enum class Needs { kNothing, kStore };  // kStore: run with mu_ held, store open
  enum class Errors { kJson, kText };     // kText: a 503 as text/plain (Prometheus)
  struct Route {
    std::string_view path;
    ApiResponse (Api::*handler)(const Request&);
    Needs needs;
    Errors errors;
  };
  static const Route kRoutes[];

  // The handlers, one per route. REQUIRES: mu_ held when the route reads the store.
  ApiResponse Alerts(const Request& req);
  ApiResponse Months(const Request& req) REQUIRES(mu_);
  ApiResponse Series(const Request& req);
  ApiResponse Intervals(const Request& req);
  ApiResponse HealthEvents(const Request& req);
  ApiResponse Claims(const Request& req);
  ApiResponse StatusSummary(const Request& req);
  ApiResponse Prometheus(const Request& req) REQUIRES(mu_);

  Result<storage::Store*> OpenStore() REQUIRES(mu_);
  // The report rows of `this_month` and of every month with evidence, built
  // once per change of the store (its ChangeStamp) and month.
  Result<const std::map<YearMonth, std::vector<report::ReportRow>>*> MonthRows(
      storage::Store& store, YearMonth this_month) REQUIRES(mu_);
  LiveState Live() const;

  std::string store_path_;
  std::shared_ptr<const sla::Catalog> catalog_;
  LiveStateProvider live_state_;
  const Clock* clock_;
  std::vector<std::pair<std::string, std::string>> build_info_;
  Mutex mu_;
  std::unique_ptr<storage::Store> store_ GUARDED_BY(mu_);
  struct RowsCache {
    std::string stamp;
    YearMonth month;
    std::map<YearMonth, std::vector<report::ReportRow>> rows;
  };
  std::optional<RowsCache> rows_cache_ GUARDED_BY(mu_);
};

}  // namespace recoup::web
