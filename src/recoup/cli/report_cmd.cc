// `recoup report`: the verdict per (account, Region, service, month), from
// report::BuildReport, as a table, JSON or CSV.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "recoup/cli/commands.h"
#include "recoup/cli/common.h"
#include "recoup/report/report.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

int RunReportCommand(const Globals& g, const ReportArgs& a) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  storage::SeriesFilter f;
  if (!a.month.empty()) {
    auto m = YearMonth::Parse(a.month);
    if (!m.ok()) return Fail(m.status().WithPrefix("--month"));
    f.month = *m;
  }
  if (!a.account.empty()) f.account = a.account;
  if (!a.region.empty()) {
    if (Status st = CheckRegionFlag(a.region); !st.ok()) return Fail(st);
    f.region = a.region;
  }
  if (!a.service.empty()) {
    if (Status st = CheckServiceFlag(**catalog, a.service); !st.ok()) return Fail(st);
    f.service = a.service;
  }
  auto store = OpenStoreForReading(g);
  if (!store.ok()) return Fail(store.status());
  std::vector<std::string> notes;
  auto rows = report::BuildReport(**store, **catalog, f, &notes);
  if (!rows.ok()) return Fail(rows.status());
  // --intervals: the failing intervals only (those with server errors), in
  // every format; --all-intervals: every interval with traffic.
  if (a.intervals && !a.all_intervals) {
    for (report::ReportRow& r : *rows) {
      std::erase_if(r.intervals, [](const sla::IntervalCounts& c) { return c.failed == 0; });
    }
  }
  for (const std::string& n : notes) std::fprintf(stderr, "recoup: note: %s\n", n.c_str());
  const bool detail = a.intervals || a.all_intervals;
  if (a.output == "json") {
    std::cout << report::RenderJson(*rows, detail);
  } else if (a.output == "csv") {
    if (detail) {
      std::cout << report::RenderIntervalsCsv(*rows);
    } else {
      std::cout << report::RenderCsv(*rows);
    }
  } else {
    if (rows->empty()) {
      std::cout << "no evidence matches (ingest some with: recoup ingest PATH)\n";
      return kExitOk;
    }
    std::cout << report::RenderTable(*rows);
    if (detail) {
      for (const auto& r : *rows)
        std::cout << "\n" << report::RenderIntervalsTable(r, a.all_intervals);
    }
  }
  return kExitOk;
}

void RegisterReportCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto ra = std::make_shared<ReportArgs>();
  auto* rep = app.add_subcommand("report", "SLA verdict per (account, Region, service, month)");
  rep->add_option("--month", ra->month, "YYYY-MM");
  rep->add_option("--account", ra->account, "Account ID");
  rep->add_option("--region", ra->region, "Region, e.g. us-east-1");
  rep->add_option("--service", ra->service, "Service key of the SLA catalog (kms)");
  rep->add_option("--output", ra->output, "table|json|csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  rep->add_flag("--intervals", ra->intervals,
                "Also show the per-interval numbers behind each MUP: the failing intervals "
                "(with server errors) only, in the table, JSON and CSV alike");
  rep->add_flag("--all-intervals", ra->all_intervals,
                "Like --intervals, with every interval that had traffic");
  reg.Add(rep, [&g, ra] { return RunReportCommand(g, *ra); });
}

}  // namespace recoup::cli
