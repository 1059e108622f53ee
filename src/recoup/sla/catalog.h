// The SLA catalog: every SLA term recoup applies, as data.
//
// The default catalog (data/sla_catalog.json) is compiled into the binary; a
// user can override it with --catalog PATH or $RECOUP_CATALOG. Facts that
// are not verified against AWS's live pages live here, never in code, so they
// can be corrected without a rebuild. Immutable after load; thread-safe to read.
#pragma once

#include <cstdint>
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

// How sure the catalog is of a fact, weakest last. Stored in the catalog as
// the names below; a version's confidence is that of its weakest fact.
enum class Confidence : uint8_t {
  kVerified = 0,      // read in the provider's own SLA page or API reference
  kVerbatimCopy = 1,  // read in a verbatim copy of the SLA text found elsewhere
  kSecondary = 2,     // paraphrased by a third party
  kUnverified = 3,    // not read in any source: a hypothesis
};
const char* ConfidenceName(Confidence c);  // "verified", "verbatim_copy", ...
std::optional<Confidence> ParseConfidence(std::string_view name);

// One fact of a version and how sure the catalog is of it.
struct FactConfidence {
  std::string fact;  // "commitment_pct", "tiers", "counts_as_failure", ...
  Confidence confidence = Confidence::kUnverified;
};

// A part of a service that carries its own commitment (S3 storage-class
// groups, DynamoDB Standard vs Global Tables).
struct SubScope {
  std::string key;    // "standard", "infrequent_access", "global_tables"
  std::string label;  // "Infrequent-Access-like storage classes"
  Rational commitment_pct;
  std::vector<Tier> tiers;  // sorted by below_pct, descending
  std::string condition;    // e.g. "failover_attempted"; empty: none
  std::vector<std::string> storage_classes;
  std::string credit_base;  // set when it differs from the version's
  // '-'-separated parts of a CUR usage type that make a row this
  // sub-scope's charge ("SIA" in "USE1-TimedStorage-SIA-ByteHrs"); empty:
  // the bill does not split it.
  std::vector<std::string> cur_usage_type_tokens;
  Confidence confidence = Confidence::kUnverified;
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
  std::string sla_url;
  std::string note;
  std::vector<std::string> sources;                 // where each fact was read
  std::vector<FactConfidence> facts;                // in catalog order
  Confidence confidence = Confidence::kUnverified;  // the weakest fact's
  // The facts at `c` or weaker, by name: what a claim must flag.
  std::vector<std::string> FactsAtLeast(Confidence c) const;

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
  std::string cost_explorer_service;           // "Amazon DynamoDB"
  std::string health_service;                  // AWS Health's name: "DYNAMODB"
  std::vector<std::string> sdk_service_names;  // as SDKs and spans spell it: "DynamoDB", ...
  // HTTP statuses that count as server errors when the code is not listed:
  // every 5xx unless `server_error_statuses` lists them (an empty list: none,
  // only the listed codes count, as S3's Error Rate defines it).
  bool all_5xx_are_server_errors = true;
  std::vector<int> server_error_statuses;
  std::string claim_subject;              // "SLA Credit Request - Amazon S3"
  std::vector<std::string> claim_fields;  // what the SLA asks a claim to carry
  std::vector<std::string> exclusions;
  std::vector<SubScope> sub_scopes;  // empty: one scope
  std::string default_sub_scope;
  // A sub-scope other than the default is a series of its own, keyed
  // "SERVICE.SCOPE" ("s3.infrequent_access"): an entry the catalog derives
  // from the service's (Catalog::Find finds it; services() does not list
  // it), whose versions carry the sub-scope's commitment and tiers.
  std::string base;   // the service's key ("s3"); == key for a service's own entry
  std::string scope;  // the sub-scope key ("infrequent_access"); the default for `base`
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
  // A service by any name evidence uses for it: the catalog key, the
  // CloudTrail event source ("dynamodb.amazonaws.com") or an SDK's spelling
  // ("DynamoDB", "DynamoDb", "Secrets Manager"); case, spaces, '-' and '_'
  // do not matter. nullptr when the catalog has no such service.
  const ServiceTerms* FindByName(std::string_view name) const;
  const std::string& version() const { return version_; }
  const std::string& sha256() const { return sha256_; }  // of the catalog bytes
  const std::string& origin() const { return origin_; }
  const std::vector<ServiceTerms>& services() const { return services_; }
  // The sub-scopes' entries (keys "SERVICE.SCOPE"), in catalog order.
  const std::vector<ServiceTerms>& scoped() const { return scoped_; }
  // `service` and the keys of its sub-scopes' series ("s3", "s3.infrequent_access").
  std::vector<std::string> SeriesKeysOf(std::string_view service) const;
  // The shortest interval of any version, in ms, at most 5 minutes: the size
  // of the store's counting cells (every interval must be a whole number of
  // them, which `interval_seconds` dividing a day and 300 guarantees).
  int64_t FinestIntervalMs() const;

 private:
  std::string version_, sha256_, origin_;
  std::vector<ServiceTerms> services_;
  std::vector<ServiceTerms> scoped_;
  // Folded name (NameKey) -> index into services_.
  std::unordered_map<std::string, size_t> by_name_;
};

// AWS Health's names of the catalog's services ("KMS", "DYNAMODB", ...), for
// the Health API's service filter.
std::vector<std::string> HealthServices(const Catalog& catalog);

// The form FindByName compares: lower case, without ' ', '-', '_' and '.'.
std::string NameKey(std::string_view name);

}  // namespace recoup::sla
