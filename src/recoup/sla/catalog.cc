#include "recoup/sla/catalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "recoup/core/sha256.h"

namespace recoup::sla {

// Defined in the generated catalog_data.cc (from data/sla_catalog.json).
extern const char* const kDefaultCatalogJson;

using events::OutcomeClass;

Rational SlaVersion::CreditPct(const Rational& mup_pct) const {
  Rational credit = 0;
  // Tiers are sorted descending by threshold; the lowest threshold that the
  // MUP falls below wins.
  for (const Tier& t : tiers) {
    if (mup_pct < t.below_pct) credit = t.credit_pct;
  }
  return credit;
}

int64_t SlaVersion::ClaimDeadlineMs(YearMonth month) const {
  // Received by the end of the Nth billing cycle after the month: the last
  // second of month + N.
  const int64_t next = month.Plus(claim_window_billing_cycles + 1).StartMs();
  return next == std::numeric_limits<int64_t>::min() ? next : next - 1000;
}

const SlaVersion* ServiceTerms::VersionFor(YearMonth month) const {
  const SlaVersion* best = nullptr;
  for (const SlaVersion& v : versions) {
    if (v.effective_month <= month) best = &v;
  }
  return best;
}

const SlaVersion* ServiceTerms::VersionById(std::string_view id) const {
  for (const SlaVersion& v : versions) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

OutcomeClass ServiceTerms::Classify(std::string_view error_code, int http_status) const {
  if (error_code.empty()) {
    if (http_status == 0 || http_status < 400) return OutcomeClass::kSuccess;
  } else {
    auto it = codes.find(error_code);
    if (it != codes.end()) return it->second;
  }
  if (http_status >= 500) return OutcomeClass::kServerError;
  if (http_status == 429) return OutcomeClass::kThrottled;
  return OutcomeClass::kClientError;
}

namespace {

Result<OutcomeClass> ClassFromName(const std::string& name, const std::string& where) {
  if (name == "server_error") return OutcomeClass::kServerError;
  if (name == "throttling") return OutcomeClass::kThrottled;
  if (name == "client_error") return OutcomeClass::kClientError;
  if (name == "custom_key_store") return OutcomeClass::kCustomKeyStore;
  return InvalidArgument(where + ": unknown error class '" + name + "'");
}

Result<Rational> Dec(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_string()) {
    return InvalidArgument(where + "." + key + ": missing or not a decimal string");
  }
  auto r = ParseDecimal(j[key].get<std::string>());
  if (!r.ok()) return r.status().WithPrefix(where + "." + key);
  return r;
}

Result<int> IntField(const nlohmann::json& j, const char* key, int dflt, int lo, int hi,
                     const std::string& where) {
  if (!j.contains(key)) return dflt;
  const auto& v = j[key];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return InvalidArgument(where + "." + key + ": want a whole number from " + std::to_string(lo) +
                           " to " + std::to_string(hi));
  }
  return static_cast<int>(v.get<int64_t>());
}

Result<SlaVersion> ParseVersion(const nlohmann::json& j, const std::string& where) {
  SlaVersion v;
  if (!j.is_object()) return InvalidArgument(where + ": not an object");
  v.id = j.value("id", "");
  if (v.id.empty()) return InvalidArgument(where + ".id: missing");
  v.title = j.value("title", v.id);
  v.effective_from = j.value("effective_from", "");
  auto eff = ParseTimestampMs(v.effective_from);
  if (!eff.ok()) return eff.status().WithPrefix(where + ".effective_from");
  // A version published mid-month governs from the next full billing month.
  YearMonth m = YearMonth::FromMs(*eff);
  if (m.StartMs() != *eff) m = m.Plus(1);
  v.effective_month = m;
  RECOUP_ASSIGN_OR_RETURN(v.commitment_pct, Dec(j, "commitment_pct", where));
  if (!j.contains("tiers") || !j["tiers"].is_array() || j["tiers"].empty()) {
    return InvalidArgument(where + ".tiers: missing or empty");
  }
  for (size_t i = 0; i < j["tiers"].size(); ++i) {
    const std::string tw = where + ".tiers[" + std::to_string(i) + "]";
    Tier t;
    RECOUP_ASSIGN_OR_RETURN(t.below_pct, Dec(j["tiers"][i], "below_pct", tw));
    RECOUP_ASSIGN_OR_RETURN(t.credit_pct, Dec(j["tiers"][i], "credit_pct", tw));
    v.tiers.push_back(t);
  }
  std::sort(v.tiers.begin(), v.tiers.end(),
            [](const Tier& a, const Tier& b) { return a.below_pct > b.below_pct; });
  if (v.tiers.front().below_pct != v.commitment_pct) {
    return InvalidArgument(where + ".tiers: the highest tier must start at commitment_pct");
  }
  RECOUP_ASSIGN_OR_RETURN(v.interval_seconds,
                          IntField(j, "interval_seconds", 300, 1, 86400, where));
  if (v.interval_seconds <= 0 || 86400 % v.interval_seconds != 0) {
    return InvalidArgument(where + ".interval_seconds: must divide a day");
  }
  if (j.contains("empty_interval_error_rate")) {
    RECOUP_ASSIGN_OR_RETURN(v.empty_interval_error_rate,
                            Dec(j, "empty_interval_error_rate", where));
  }
  v.excluded_in_total = j.value("excluded_in_total", false);
  if (j.contains("excluded_classes")) {
    for (const auto& c : j["excluded_classes"]) {
      RECOUP_ASSIGN_OR_RETURN(OutcomeClass oc,
                              ClassFromName(c.get<std::string>(), where + ".excluded_classes"));
      v.excluded_classes.push_back(oc);
    }
  }
  RECOUP_ASSIGN_OR_RETURN(v.minimum_credit_usd, Dec(j, "minimum_credit_usd", where));
  v.minimum_rule = j.value("minimum_rule", "credit_must_exceed");
  if (v.minimum_rule != "credit_must_exceed" && v.minimum_rule != "credit_at_least") {
    return InvalidArgument(where + ".minimum_rule: want credit_must_exceed or credit_at_least");
  }
  v.measure = j.value("measure", std::string(kRequestErrorRate));
  if (v.measure != kRequestErrorRate) {
    return InvalidArgument(where + ".measure: want " + std::string(kRequestErrorRate) +
                           " (the only family this version of recoup measures)");
  }
  v.charges_scope = j.value("charges_scope", "region");
  if (v.charges_scope != "region" && v.charges_scope != "account_all_regions") {
    return InvalidArgument(where + ".charges_scope: want region or account_all_regions");
  }
  RECOUP_ASSIGN_OR_RETURN(v.claim_window_billing_cycles,
                          IntField(j, "claim_window_billing_cycles", 2, 0, 120, where));
  return v;
}

}  // namespace

Result<std::shared_ptr<const Catalog>> Catalog::Parse(std::string_view json,
                                                      const std::string& origin) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(origin + ": not valid JSON: " + e.what());
  }
  auto cat = std::make_shared<Catalog>();
  cat->origin_ = origin;
  cat->sha256_ = Sha256::Hex(json);
  try {
    cat->version_ = root.value("catalog_version", "");
    if (!root.contains("services") || !root["services"].is_object()) {
      return InvalidArgument(origin + ": services: missing");
    }
    for (const auto& [key, s] : root["services"].items()) {
      const std::string where = origin + ": services." + key;
      ServiceTerms t;
      t.key = key;
      t.name = s.value("name", key);
      t.event_source = s.value("event_source", key + ".amazonaws.com");
      t.cur_product_code = s.value("cur_product_code", "aws" + key);
      if (s.contains("error_classes")) {
        for (const auto& [cls, list] : s["error_classes"].items()) {
          RECOUP_ASSIGN_OR_RETURN(OutcomeClass oc, ClassFromName(cls, where + ".error_classes"));
          for (const auto& code : list) t.codes[code.get<std::string>()] = oc;
        }
      }
      if (!s.contains("versions") || !s["versions"].is_array() || s["versions"].empty()) {
        return InvalidArgument(where + ".versions: missing or empty");
      }
      for (size_t i = 0; i < s["versions"].size(); ++i) {
        RECOUP_ASSIGN_OR_RETURN(
            SlaVersion v,
            ParseVersion(s["versions"][i], where + ".versions[" + std::to_string(i) + "]"));
        t.versions.push_back(std::move(v));
      }
      std::sort(t.versions.begin(), t.versions.end(), [](const SlaVersion& a, const SlaVersion& b) {
        return a.effective_month < b.effective_month;
      });
      cat->services_.push_back(std::move(t));
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(origin + ": " + e.what());
  }
  // Every interval must be a whole number of counting cells.
  const int64_t cell_ms = cat->FinestIntervalMs();
  for (const ServiceTerms& t : cat->services_) {
    for (const SlaVersion& v : t.versions) {
      if (v.interval_seconds * 1000LL % cell_ms != 0) {
        return InvalidArgument(origin + ": services." + t.key + " version " + v.id +
                               ": interval_seconds " + std::to_string(v.interval_seconds) +
                               " is not a multiple of the catalog's finest interval (" +
                               std::to_string(cell_ms / 1000) + " s, at most 300 s)");
      }
    }
  }
  return std::shared_ptr<const Catalog>(std::move(cat));
}

std::shared_ptr<const Catalog> Catalog::Default() {
  static const std::shared_ptr<const Catalog> kDefault = [] {
    auto r = Parse(kDefaultCatalogJson, "built-in SLA catalog");
    if (!r.ok()) {
      std::fprintf(stderr, "recoup: %s\n", r.status().ToString().c_str());
      std::abort();
    }
    return *r;
  }();
  return kDefault;
}

int64_t Catalog::FinestIntervalMs() const {
  int64_t ms = 300000;
  for (const ServiceTerms& s : services_) {
    for (const SlaVersion& v : s.versions) ms = std::min<int64_t>(ms, v.interval_seconds * 1000LL);
  }
  return ms;
}

const ServiceTerms* Catalog::Find(std::string_view service) const {
  for (const ServiceTerms& t : services_) {
    if (t.key == service) return &t;
  }
  return nullptr;
}

}  // namespace recoup::sla
