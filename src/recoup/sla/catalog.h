// The SLA catalog: every SLA term recoup applies, as data.
//
// The default catalog (data/sla_catalog.json) is compiled into the binary; a
// user can override it with --catalog PATH or $RECOUP_CATALOG. Facts that
// are not verified against AWS's live pages live here, never in code, so they
// can be corrected without a rebuild. Immutable after load; thread-safe to read.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "recoup/core/exact.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"

namespace recoup::sla {

struct Tier {
  Rational below_pct;   // applies when MUP < below_pct ...
  Rational credit_pct;  // ... and no lower tier applies
};

// How a version turns a month's intervals into uptime (sla/measure.h).
inline constexpr std::string_view kRequestErrorRate = "request_error_rate";

struct SlaVersion {
  std::string id;
  std::string measure = std::string(kRequestErrorRate);
  std::string title;
  YearMonth effective_month;   // first billing month it governs
  std::string effective_from;  // "YYYY-MM-DD" as published
  Rational commitment_pct;
  std::vector<Tier> tiers;  // sorted by below_pct, descending
  int interval_seconds = 300;
  Rational empty_interval_error_rate;  // 0 per the SLA template
  bool excluded_in_total = false;      // keep excluded requests in an interval's total?
  std::vector<events::OutcomeClass> excluded_classes;
  Rational minimum_credit_usd;
  std::string minimum_rule;   // "credit_must_exceed": credit issued only if > minimum
  std::string charges_scope;  // "region" or "account_all_regions"
  int claim_window_billing_cycles = 2;

  // Credit percentage for an unrounded MUP; 0 when the commitment was met.
  Rational CreditPct(const Rational& mup_pct) const;
  // Last second (UTC) at which AWS must receive the claim for `month`.
  int64_t ClaimDeadlineMs(YearMonth month) const;
};

class ServiceTerms {
 public:
  std::string key;           // "kms"
  std::string name;          // "AWS Key Management Service"
  std::string event_source;  // "kms.amazonaws.com"
  std::string cur_product_code;
  std::vector<SlaVersion> versions;  // ascending by effective date

  // The version that governs a billing month: the newest one in effect on the
  // first day of the month. nullptr if none.
  const SlaVersion* VersionFor(YearMonth month) const;
  const SlaVersion* VersionById(std::string_view id) const;

  // Classifies an error code (already normalized) and HTTP status (0 if unknown).
  // An empty code with status < 400 is a success.
  events::OutcomeClass Classify(std::string_view error_code, int http_status) const;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, events::OutcomeClass, Hash, std::equal_to<>> codes;
};

class Catalog {
 public:
  // Parses catalog JSON; `origin` names the file in error messages.
  static Result<std::shared_ptr<const Catalog>> Parse(std::string_view json,
                                                      const std::string& origin);
  // The built-in catalog.
  static std::shared_ptr<const Catalog> Default();

  const ServiceTerms* Find(std::string_view service) const;
  const std::string& version() const { return version_; }
  const std::string& sha256() const { return sha256_; }  // of the catalog bytes
  const std::string& origin() const { return origin_; }
  const std::vector<ServiceTerms>& services() const { return services_; }
  // The shortest interval of any version, in ms, at most 5 minutes: the size
  // of the store's counting cells (every interval must be a whole number of
  // them, which `interval_seconds` dividing a day and 300 guarantees).
  int64_t FinestIntervalMs() const;

 private:
  std::string version_, sha256_, origin_;
  std::vector<ServiceTerms> services_;
};

}  // namespace recoup::sla
