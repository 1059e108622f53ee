// Builds SLA verdicts from the store and renders them (table, JSON, CSV).
// Wiring between storage and the pure SLA engine; used by the CLI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/sla/catalog.h"
#include "recoup/sla/evaluator.h"
#include "recoup/storage/store.h"

namespace recoup::report {

struct ReportRow {
  storage::SeriesMonth key;  // key.service: the series' catalog key ("s3.infrequent_access")
  std::string base_service;  // the service ("s3")
  std::string scope;         // its sub-scope ("infrequent_access", "standard"); empty: none
  const sla::SlaVersion* version = nullptr;
  sla::Verdict verdict;
  std::vector<sla::IntervalCounts> intervals;  // intervals with any traffic, by time
  std::optional<billing::ChargeRecord> charge;
  std::string charges_note;  // where the credit base came from
  // AWS Health events of the series' Region (or "global") and service whose
  // time span meets one of the month's failing intervals. Empty when AWS
  // posted none (or none was imported: recoup health sync / health import).
  std::vector<health::HealthEvent> health_events;
};

// One row per (account, Region, service, scope, month) matching `filter`
// that has evidence; a service filter takes its sub-scopes' series too.
// Series of services the catalog does not know are skipped.
// `notes`, if given, receives one line per series that has evidence but
// could not be evaluated (no SLA version covers its month).
Result<std::vector<ReportRow>> BuildReport(storage::Store& store, const sla::Catalog& catalog,
                                           const storage::SeriesFilter& filter,
                                           std::vector<std::string>* notes = nullptr);

// The row of one series-month from intervals the caller already holds (the
// live evaluator keeps them and re-reads only what a commit touched): the
// charge is read from the store and the verdict computed exactly as
// BuildReport does. Health events are not looked up.
Result<ReportRow> RowFromIntervals(storage::Store& store, const sla::SlaVersion& version,
                                   const storage::SeriesMonth& key,
                                   std::vector<sla::IntervalCounts> intervals);

std::string RenderJson(const std::vector<ReportRow>& rows, bool with_intervals);
std::string RenderCsv(const std::vector<ReportRow>& rows);
std::string RenderTable(const std::vector<ReportRow>& rows);
// The per-interval table of one row: every interval with traffic, its counts,
// exact error rate, and the running sum, so a reviewer can re-derive the MUP.
std::string RenderIntervalsTable(const ReportRow& row, bool all_intervals);
// Every interval with traffic of every row, one header, series columns first.
std::string RenderIntervalsCsv(const std::vector<ReportRow>& rows);

}  // namespace recoup::report
