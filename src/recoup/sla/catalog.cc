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

const char* ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kVerified:
      return "verified";
    case Confidence::kVerbatimCopy:
      return "verbatim_copy";
    case Confidence::kSecondary:
      return "secondary";
    case Confidence::kUnverified:
      return "unverified";
  }
  return "unverified";
}

std::optional<Confidence> ParseConfidence(std::string_view name) {
  for (Confidence c : {Confidence::kVerified, Confidence::kVerbatimCopy, Confidence::kSecondary,
                       Confidence::kUnverified}) {
    if (name == ConfidenceName(c)) return c;
  }
  return std::nullopt;
}

std::vector<std::string> SlaVersion::FactsAtLeast(Confidence c) const {
  std::vector<std::string> out;
  for (const FactConfidence& f : facts) {
    if (f.confidence >= c) out.push_back(f.fact);
  }
  return out;
}

std::string NameKey(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    if (ch == ' ' || ch == '-' || ch == '_' || ch == '.') continue;
    out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
  }
  return out;
}

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
  if (http_status >= 500 && http_status <= 599) {
    if (all_5xx_are_server_errors) return OutcomeClass::kServerError;
    for (int s : server_error_statuses) {
      if (s == http_status) return OutcomeClass::kServerError;
    }
    return OutcomeClass::kClientError;  // a 5xx this SLA does not count
  }
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

// Tiers of a commitment, sorted by threshold, descending; the highest must
// start at the commitment, and credits rise as thresholds fall.
Result<std::vector<Tier>> ParseTiers(const nlohmann::json& j, const Rational& commitment,
                                     const std::string& where) {
  if (!j.contains("tiers") || !j["tiers"].is_array() || j["tiers"].empty()) {
    return InvalidArgument(where + ".tiers: missing or empty");
  }
  std::vector<Tier> tiers;
  for (size_t i = 0; i < j["tiers"].size(); ++i) {
    const std::string tw = where + ".tiers[" + std::to_string(i) + "]";
    Tier t;
    RECOUP_ASSIGN_OR_RETURN(t.below_pct, Dec(j["tiers"][i], "below_pct", tw));
    RECOUP_ASSIGN_OR_RETURN(t.credit_pct, Dec(j["tiers"][i], "credit_pct", tw));
    tiers.push_back(t);
  }
  std::sort(tiers.begin(), tiers.end(),
            [](const Tier& a, const Tier& b) { return a.below_pct > b.below_pct; });
  if (tiers.front().below_pct != commitment) {
    return InvalidArgument(where + ".tiers: the highest tier must start at commitment_pct");
  }
  for (size_t i = 1; i < tiers.size(); ++i) {
    if (tiers[i].below_pct == tiers[i - 1].below_pct ||
        tiers[i].credit_pct <= tiers[i - 1].credit_pct) {
      return InvalidArgument(where +
                             ".tiers: thresholds must differ and credits rise as they fall");
    }
  }
  return tiers;
}

Result<Confidence> ConfidenceField(const nlohmann::json& v, const std::string& where) {
  if (!v.is_string()) return InvalidArgument(where + ": want a confidence name");
  auto c = ParseConfidence(v.get<std::string>());
  if (!c) {
    return InvalidArgument(where + ": '" + v.get<std::string>() +
                           "' is not verified, verbatim_copy, secondary or unverified");
  }
  return *c;
}

Result<std::vector<std::string>> StringList(const nlohmann::json& j, const char* key,
                                            const std::string& where) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return InvalidArgument(where + "." + key + ": want a list of strings");
  for (const auto& v : j[key]) {
    if (!v.is_string()) return InvalidArgument(where + "." + key + ": want a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
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
  RECOUP_ASSIGN_OR_RETURN(v.tiers, ParseTiers(j, v.commitment_pct, where));
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
  v.sla_url = j.value("sla_url", "");
  v.note = j.value("note", "");
  RECOUP_ASSIGN_OR_RETURN(v.sources, StringList(j, "sources", where));
  // A version without confidence marks claims nothing about its sources.
  v.confidence = Confidence::kVerified;
  if (!j.contains("confidence")) {
    v.confidence = Confidence::kUnverified;
    v.facts.push_back({"all", Confidence::kUnverified});
  } else if (j["confidence"].is_string()) {
    RECOUP_ASSIGN_OR_RETURN(v.confidence, ConfidenceField(j["confidence"], where + ".confidence"));
    v.facts.push_back({"all", v.confidence});
  } else if (j["confidence"].is_object()) {
    for (const auto& [fact, mark] : j["confidence"].items()) {
      RECOUP_ASSIGN_OR_RETURN(Confidence c, ConfidenceField(mark, where + ".confidence." + fact));
      v.facts.push_back({fact, c});
      v.confidence = std::max(v.confidence, c);
    }
    if (v.facts.empty()) v.confidence = Confidence::kUnverified;
  } else {
    return InvalidArgument(where + ".confidence: want a name or an object of fact: name");
  }
  return v;
}

// The entry of a sub-scope's series: the service's terms, its versions with
// the sub-scope's commitment and tiers, the sub-scope's confidence a fact of
// each version.
ServiceTerms ScopedTerms(const ServiceTerms& t, const SubScope& sub) {
  ServiceTerms s = t;
  s.key = t.key + "." + sub.key;
  s.base = t.key;
  s.scope = sub.key;
  s.default_sub_scope = sub.key;
  s.name = t.name + " (" + sub.label + ")";
  for (SlaVersion& v : s.versions) {
    v.commitment_pct = sub.commitment_pct;
    v.tiers = sub.tiers;
    v.facts.push_back({"sub_scope." + sub.key, sub.confidence});
    v.confidence = std::max(v.confidence, sub.confidence);
  }
  return s;
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
      t.cost_explorer_service = s.value("cost_explorer_service", "");
      t.health_service = s.value("health_service", "");
      if (t.health_service.empty()) {
        for (char ch : key) {
          t.health_service.push_back(ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A')
                                                            : ch);
        }
      }
      RECOUP_ASSIGN_OR_RETURN(t.sdk_service_names, StringList(s, "sdk_service_names", where));
      if (s.contains("server_error_statuses")) {
        const auto& st = s["server_error_statuses"];
        if (st.is_string() && st.get<std::string>() == "5xx") {
          t.all_5xx_are_server_errors = true;
        } else if (st.is_array()) {
          t.all_5xx_are_server_errors = false;
          for (const auto& n : st) {
            if (!n.is_number_integer() || n.get<int64_t>() < 500 || n.get<int64_t>() > 599) {
              return InvalidArgument(where + ".server_error_statuses: want \"5xx\" or a list " +
                                     "of statuses from 500 to 599");
            }
            t.server_error_statuses.push_back(static_cast<int>(n.get<int64_t>()));
          }
        } else {
          return InvalidArgument(where + ".server_error_statuses: want \"5xx\" or a list");
        }
      }
      if (s.contains("claim")) {
        t.claim_subject = s["claim"].value("subject", "");
        RECOUP_ASSIGN_OR_RETURN(t.claim_fields,
                                StringList(s["claim"], "required_fields", where + ".claim"));
      }
      RECOUP_ASSIGN_OR_RETURN(t.exclusions, StringList(s, "exclusions", where));
      if (s.contains("sub_scopes")) {
        for (const auto& [sk, sj] : s["sub_scopes"].items()) {
          const std::string sw = where + ".sub_scopes." + sk;
          SubScope sub;
          sub.key = sk;
          sub.label = sj.value("label", sk);
          RECOUP_ASSIGN_OR_RETURN(sub.commitment_pct, Dec(sj, "commitment_pct", sw));
          RECOUP_ASSIGN_OR_RETURN(sub.tiers, ParseTiers(sj, sub.commitment_pct, sw));
          sub.condition = sj.value("condition", "");
          sub.credit_base = sj.value("credit_base", "");
          RECOUP_ASSIGN_OR_RETURN(sub.storage_classes, StringList(sj, "storage_classes", sw));
          RECOUP_ASSIGN_OR_RETURN(sub.cur_usage_type_tokens,
                                  StringList(sj, "cur_usage_type_tokens", sw));
          sub.confidence = Confidence::kUnverified;
          if (sj.contains("confidence")) {
            RECOUP_ASSIGN_OR_RETURN(sub.confidence,
                                    ConfidenceField(sj["confidence"], sw + ".confidence"));
          }
          t.sub_scopes.push_back(std::move(sub));
        }
        t.default_sub_scope = s.value("default_sub_scope", "");
        bool found = false;
        for (const SubScope& sub : t.sub_scopes) found = found || sub.key == t.default_sub_scope;
        if (!found) {
          return InvalidArgument(where + ".default_sub_scope: must name one of sub_scopes");
        }
      }
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
      const size_t index = cat->services_.size() - 1;
      const ServiceTerms& added = cat->services_.back();
      std::vector<std::string> names = added.sdk_service_names;
      names.push_back(added.key);
      names.push_back(added.event_source);
      for (const std::string& n : names) {
        auto [it, fresh] = cat->by_name_.emplace(NameKey(n), index);
        if (!fresh && it->second != index) {
          return InvalidArgument(where + ": the name '" + n + "' also names services." +
                                 cat->services_[it->second].key);
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(origin + ": " + e.what());
  }
  // Every interval must be a whole number of counting cells.
  for (ServiceTerms& t : cat->services_) {
    t.base = t.key;
    t.scope = t.default_sub_scope;
    for (const SubScope& sub : t.sub_scopes) {
      if (sub.key == t.default_sub_scope) continue;
      cat->scoped_.push_back(ScopedTerms(t, sub));
    }
  }
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

std::vector<std::string> HealthServices(const Catalog& catalog) {
  std::vector<std::string> out;
  for (const ServiceTerms& t : catalog.services()) out.push_back(t.health_service);
  return out;
}

const ServiceTerms* Catalog::FindByName(std::string_view name) const {
  if (const ServiceTerms* t = Find(name)) return t;
  auto it = by_name_.find(NameKey(name));
  return it == by_name_.end() ? nullptr : &services_[it->second];
}

const ServiceTerms* Catalog::Find(std::string_view service) const {
  for (const ServiceTerms& t : services_) {
    if (t.key == service) return &t;
  }
  if (service.find('.') != std::string_view::npos) {
    for (const ServiceTerms& t : scoped_) {
      if (t.key == service) return &t;
    }
  }
  return nullptr;
}

std::vector<std::string> Catalog::SeriesKeysOf(std::string_view service) const {
  std::vector<std::string> out{std::string(service)};
  for (const ServiceTerms& t : scoped_) {
    if (t.base == service) out.push_back(t.key);
  }
  return out;
}

}  // namespace recoup::sla
