// `recoup sla list|show`: the SLA catalog in force (built in, or --catalog /
// $RECOUP_CATALOG), as a table or JSON: each service's versions and their
// dates, commitment, tiers, interval, what counts against the SLA, and the
// credit base.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recoup/cli/common.h"
#include "recoup/core/exact.h"
#include "recoup/sla/catalog.h"

namespace recoup::cli {

namespace {

using nlohmann::ordered_json;

// Error codes the catalog assigns to `c`, sorted.
std::vector<std::string> CodesOf(const sla::ServiceTerms& s, events::OutcomeClass c) {
  std::vector<std::string> out;
  for (const auto& [code, cls] : s.codes) {
    if (cls == c) out.push_back(code);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ordered_json VersionJson(const sla::SlaVersion& v) {
  ordered_json tiers = ordered_json::array();
  for (const sla::Tier& t : v.tiers) {
    tiers.push_back({{"below_pct", FormatDecimal(t.below_pct, 0, 12)},
                     {"credit_pct", FormatDecimal(t.credit_pct, 0, 12)}});
  }
  ordered_json excluded = ordered_json::array();
  for (events::OutcomeClass c : v.excluded_classes) excluded.push_back(events::OutcomeClassName(c));
  return {{"id", v.id},
          {"title", v.title},
          {"effective_from", v.effective_from},
          {"first_month", v.effective_month.ToString()},
          {"commitment_pct", FormatDecimal(v.commitment_pct, 0, 12)},
          {"interval_seconds", v.interval_seconds},
          {"empty_interval_error_rate", FormatDecimal(v.empty_interval_error_rate, 0, 12)},
          {"tiers", tiers},
          {"excluded", excluded},
          {"credit_base", v.charges_scope},
          {"minimum_credit_usd", FormatCents(v.minimum_credit_usd)},
          {"minimum_credit_usd_exact", FormatUsd(v.minimum_credit_usd)},
          {"claim_window_billing_cycles", v.claim_window_billing_cycles}};
}

ordered_json ServiceJson(const sla::ServiceTerms& s) {
  ordered_json versions = ordered_json::array();
  for (const sla::SlaVersion& v : s.versions) versions.push_back(VersionJson(v));
  return {{"service", s.key},
          {"name", s.name},
          {"event_source", s.event_source},
          {"cur_product_code", s.cur_product_code},
          {"counts_as_failure", CodesOf(s, events::OutcomeClass::kServerError)},
          {"versions", versions}};
}

void PrintService(const sla::ServiceTerms& s) {
  std::printf("%s: %s\n", s.key.c_str(), s.name.c_str());
  std::printf("  evidence: event source %s, CUR product %s\n", s.event_source.c_str(),
              s.cur_product_code.c_str());
  std::printf("  counts as failure: server errors (HTTP 5xx) and");
  for (const std::string& c : CodesOf(s, events::OutcomeClass::kServerError)) {
    std::printf(" %s", c.c_str());
  }
  std::printf("\n");
  for (const sla::SlaVersion& v : s.versions) {
    std::printf("  version %s (from %s, billing months from %s): commitment %s%%, %d s intervals\n",
                v.id.c_str(), v.effective_from.c_str(), v.effective_month.ToString().c_str(),
                FormatDecimal(v.commitment_pct, 0, 12).c_str(), v.interval_seconds);
    for (const sla::Tier& t : v.tiers) {
      std::printf("    below %s%%: %s%% credit\n", FormatDecimal(t.below_pct, 0, 12).c_str(),
                  FormatDecimal(t.credit_pct, 0, 12).c_str());
    }
    std::printf("    excluded:");
    for (events::OutcomeClass c : v.excluded_classes) {
      std::printf(" %s", events::OutcomeClassName(c));
    }
    std::printf(
        "\n    credit base: %s charges; minimum credit $%s; claim within %d billing "
        "cycles\n",
        v.charges_scope.c_str(), FormatCents(v.minimum_credit_usd).c_str(),
        v.claim_window_billing_cycles);
  }
}

int RunSlaList(const Globals& g, const std::string& output) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  if (output == "json") {
    ordered_json services = ordered_json::array();
    for (const auto& s : (*catalog)->services()) services.push_back(ServiceJson(s));
    ordered_json j = {{"catalog_version", (*catalog)->version()},
                      {"catalog_sha256", (*catalog)->sha256()},
                      {"origin", (*catalog)->origin()},
                      {"services", services}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-14s  %-40s  %-16s  %-10s  %s\n", "SERVICE", "NAME", "VERSION", "FROM",
              "COMMITMENT");
  for (const auto& s : (*catalog)->services()) {
    for (const sla::SlaVersion& v : s.versions) {
      std::printf("%-14s  %-40s  %-16s  %-10s  %s%%\n", s.key.c_str(), s.name.c_str(), v.id.c_str(),
                  v.effective_from.c_str(), FormatDecimal(v.commitment_pct, 0, 12).c_str());
    }
  }
  std::printf("catalog %s (%s)\n", (*catalog)->version().c_str(), (*catalog)->origin().c_str());
  return kExitOk;
}

int RunSlaShow(const Globals& g, const std::string& service, const std::string& output) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  const sla::ServiceTerms* s = (*catalog)->Find(service);
  if (s == nullptr) {
    return Fail(InvalidArgument("sla show: '" + service + "' is not a service of the SLA catalog " +
                                "(see recoup sla list)"));
  }
  if (output == "json") {
    std::printf("%s\n", ServiceJson(*s).dump(2).c_str());
  } else {
    PrintService(*s);
  }
  return kExitOk;
}

}  // namespace

void RegisterSlaCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto* sla_cmd = app.add_subcommand("sla", "The SLA catalog: terms recoup applies");
  sla_cmd->require_subcommand(1);
  auto list_output = std::make_shared<std::string>("table");
  auto* list = sla_cmd->add_subcommand("list", "Every service and SLA version of the catalog");
  list->add_option("--output", *list_output, "table|json")->check(CLI::IsMember({"table", "json"}));
  reg.Add(list, [&g, list_output] { return RunSlaList(g, *list_output); });
  auto service = std::make_shared<std::string>();
  auto show_output = std::make_shared<std::string>("text");
  auto* show = sla_cmd->add_subcommand("show", "One service's terms, version by version");
  show->add_option("service", *service, "Service key, e.g. kms")->required();
  show->add_option("--output", *show_output, "text|json")->check(CLI::IsMember({"text", "json"}));
  reg.Add(show, [&g, service, show_output] { return RunSlaShow(g, *service, *show_output); });
}

}  // namespace recoup::cli
