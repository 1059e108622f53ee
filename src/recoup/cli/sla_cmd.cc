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

ordered_json TiersJson(const std::vector<sla::Tier>& tiers) {
  ordered_json out = ordered_json::array();
  for (const sla::Tier& t : tiers) {
    out.push_back({{"below_pct", FormatDecimal(t.below_pct, 0, 12)},
                   {"credit_pct", FormatDecimal(t.credit_pct, 0, 12)}});
  }
  return out;
}

// "HTTP 5xx", "HTTP 500, 503" or "" (only the listed codes count).
std::string StatusesText(const sla::ServiceTerms& s) {
  if (s.all_5xx_are_server_errors) return "HTTP 5xx";
  std::string out;
  for (int st : s.server_error_statuses) {
    out += (out.empty() ? "HTTP " : ", ") + std::to_string(st);
  }
  return out;
}

ordered_json VersionJson(const sla::SlaVersion& v) {
  ordered_json tiers = TiersJson(v.tiers);
  ordered_json facts = ordered_json::object();
  for (const sla::FactConfidence& f : v.facts) facts[f.fact] = sla::ConfidenceName(f.confidence);
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
          {"claim_window_billing_cycles", v.claim_window_billing_cycles},
          {"sla_url", v.sla_url.empty() ? ordered_json(nullptr) : ordered_json(v.sla_url)},
          {"confidence", sla::ConfidenceName(v.confidence)},
          {"confidence_by_fact", facts},
          {"unverified_facts", v.FactsAtLeast(sla::Confidence::kUnverified)},
          {"sources", v.sources},
          {"note", v.note.empty() ? ordered_json(nullptr) : ordered_json(v.note)}};
}

ordered_json SubScopesJson(const sla::ServiceTerms& s) {
  ordered_json out = ordered_json::array();
  for (const sla::SubScope& sub : s.sub_scopes) {
    out.push_back(
        {{"scope", sub.key},
         {"label", sub.label},
         {"default", sub.key == s.default_sub_scope},
         {"commitment_pct", FormatDecimal(sub.commitment_pct, 0, 12)},
         {"tiers", TiersJson(sub.tiers)},
         {"condition", sub.condition.empty() ? ordered_json(nullptr) : ordered_json(sub.condition)},
         {"storage_classes", sub.storage_classes},
         {"credit_base",
          sub.credit_base.empty() ? ordered_json(nullptr) : ordered_json(sub.credit_base)},
         {"confidence", sla::ConfidenceName(sub.confidence)}});
  }
  return out;
}

// The weakest confidence among a service's versions.
sla::Confidence Weakest(const sla::ServiceTerms& s) {
  sla::Confidence c = sla::Confidence::kVerified;
  for (const sla::SlaVersion& v : s.versions) c = std::max(c, v.confidence);
  return c;
}

ordered_json ServiceJson(const sla::ServiceTerms& s) {
  ordered_json versions = ordered_json::array();
  for (const sla::SlaVersion& v : s.versions) versions.push_back(VersionJson(v));
  return {{"service", s.key},
          {"name", s.name},
          {"event_source", s.event_source},
          {"cur_product_code", s.cur_product_code},
          {"cost_explorer_service", s.cost_explorer_service.empty()
                                        ? ordered_json(nullptr)
                                        : ordered_json(s.cost_explorer_service)},
          {"health_service", s.health_service},
          {"sdk_service_names", s.sdk_service_names},
          {"counts_as_failure", CodesOf(s, events::OutcomeClass::kServerError)},
          {"counts_as_failure_status",
           StatusesText(s).empty() ? ordered_json(nullptr) : ordered_json(StatusesText(s))},
          {"throttling", CodesOf(s, events::OutcomeClass::kThrottled)},
          {"claim_subject", s.claim_subject},
          {"claim_fields", s.claim_fields},
          {"exclusions", s.exclusions},
          {"sub_scopes", SubScopesJson(s)},
          {"confidence", sla::ConfidenceName(Weakest(s))},
          {"versions", versions}};
}

void PrintTiers(const std::vector<sla::Tier>& tiers, const char* indent) {
  for (const sla::Tier& t : tiers) {
    std::printf("%sbelow %s%%: %s%% credit\n", indent, FormatDecimal(t.below_pct, 0, 12).c_str(),
                FormatDecimal(t.credit_pct, 0, 12).c_str());
  }
}

std::string Joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

void PrintService(const sla::ServiceTerms& s) {
  std::printf("%s: %s (confidence: %s)\n", s.key.c_str(), s.name.c_str(),
              sla::ConfidenceName(Weakest(s)));
  std::printf("  evidence: event source %s, CUR product %s", s.event_source.c_str(),
              s.cur_product_code.c_str());
  if (!s.cost_explorer_service.empty()) {
    std::printf(", Cost Explorer service \"%s\"", s.cost_explorer_service.c_str());
  }
  std::printf("\n");
  if (!s.sdk_service_names.empty()) {
    std::printf("  SDK and span names: %s\n", Joined(s.sdk_service_names, ", ").c_str());
  }
  std::printf("  counts as failure:");
  if (!StatusesText(s).empty()) std::printf(" %s and", StatusesText(s).c_str());
  for (const std::string& c : CodesOf(s, events::OutcomeClass::kServerError)) {
    std::printf(" %s", c.c_str());
  }
  std::printf("\n");
  const auto throttling = CodesOf(s, events::OutcomeClass::kThrottled);
  if (!throttling.empty()) {
    std::printf("  throttling (excluded): %s\n", Joined(throttling, " ").c_str());
  }
  for (const sla::SubScope& sub : s.sub_scopes) {
    std::printf("  scope %s%s: %s, commitment %s%%%s (confidence: %s)\n", sub.key.c_str(),
                sub.key == s.default_sub_scope ? " (default)" : "", sub.label.c_str(),
                FormatDecimal(sub.commitment_pct, 0, 12).c_str(),
                sub.condition.empty() ? "" : (", when " + sub.condition).c_str(),
                sla::ConfidenceName(sub.confidence));
    PrintTiers(sub.tiers, "    ");
  }
  for (const sla::SlaVersion& v : s.versions) {
    std::printf(
        "  version %s (from %s, billing months from %s): commitment %s%%, %d s intervals, "
        "confidence %s\n",
        v.id.c_str(), v.effective_from.c_str(), v.effective_month.ToString().c_str(),
        FormatDecimal(v.commitment_pct, 0, 12).c_str(), v.interval_seconds,
        sla::ConfidenceName(v.confidence));
    PrintTiers(v.tiers, "    ");
    std::printf("    excluded:");
    for (events::OutcomeClass c : v.excluded_classes) {
      std::printf(" %s", events::OutcomeClassName(c));
    }
    std::printf(
        "\n    credit base: %s charges; minimum credit $%s; claim within %d billing "
        "cycles\n",
        v.charges_scope.c_str(), FormatCents(v.minimum_credit_usd).c_str(),
        v.claim_window_billing_cycles);
    const auto unverified = v.FactsAtLeast(sla::Confidence::kUnverified);
    if (!unverified.empty()) {
      std::printf("    UNVERIFIED: %s (check the SLA page before filing)\n",
                  Joined(unverified, ", ").c_str());
    }
    if (!v.sla_url.empty()) std::printf("    page: %s\n", v.sla_url.c_str());
    for (const std::string& src : v.sources) std::printf("    source: %s\n", src.c_str());
    if (!v.note.empty()) std::printf("    note: %s\n", v.note.c_str());
  }
  if (!s.claim_subject.empty()) {
    std::printf("  claim: subject \"%s\"; fields: %s\n", s.claim_subject.c_str(),
                Joined(s.claim_fields, ", ").c_str());
  }
  for (const std::string& e : s.exclusions) std::printf("  exclusion: %s\n", e.c_str());
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
  std::printf("%-14s  %-36s  %-22s  %-10s  %-10s  %-8s  %-11s  %s\n", "SERVICE", "NAME", "VERSION",
              "FROM", "COMMITMENT", "INTERVAL", "CREDIT BASE", "CONFIDENCE");
  for (const auto& s : (*catalog)->services()) {
    for (const sla::SlaVersion& v : s.versions) {
      const std::string commitment = FormatDecimal(v.commitment_pct, 0, 12) + "%";
      const std::string interval = std::to_string(v.interval_seconds) + " s";
      std::printf("%-14s  %-36s  %-22s  %-10s  %-10s  %-8s  %-11s  %s\n", s.key.c_str(),
                  s.name.c_str(), v.id.c_str(), v.effective_from.c_str(), commitment.c_str(),
                  interval.c_str(), v.charges_scope == "region" ? "region" : "account",
                  sla::ConfidenceName(v.confidence));
    }
  }
  std::printf("catalog %s (%s)\n", (*catalog)->version().c_str(), (*catalog)->origin().c_str());
  return kExitOk;
}

int RunSlaShow(const Globals& g, const std::string& service, const std::string& output) {
  auto catalog = LoadCatalog(g);
  if (!catalog.ok()) return Fail(catalog.status());
  const sla::ServiceTerms* s = (*catalog)->Find(service);
  if (s == nullptr) s = (*catalog)->FindByName(service);
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
