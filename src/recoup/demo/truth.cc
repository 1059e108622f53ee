#include "recoup/demo/truth.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "recoup/core/exact.h"
#include "recoup/demo/text.h"

namespace recoup::demo {
namespace {

using Json = nlohmann::ordered_json;

Json Fraction(const Rational& q) { return q.get_str(); }

// The verdict of a month whose failing intervals are `intervals`
// ((requests, server errors) each) on `charges_units` of KMS usage.
Json SlaVerdict(const std::vector<std::pair<int64_t, int64_t>>& intervals, int64_t n_intervals,
                int64_t charges_units) {
  Rational sum = 0;
  for (const auto& [requests, errors] : intervals) {
    if (requests > 0) sum += Rational(errors, requests);
  }
  const Rational mup = (Rational(1) - sum / Rational(n_intervals)) * 100;
  int tier = 0;
  if (mup < Rational(99999, 1000)) tier = mup >= 99 ? 10 : (mup >= 95 ? 25 : 100);
  const Rational charges(mpz_class(std::to_string(charges_units)), mpz_class(std::to_string(kUsd)));
  Rational credit = charges * tier / 100;
  credit.canonicalize();
  Json j;
  j["sum_of_error_rates"] = Fraction(sum);
  j["mup_percent"] = FormatFixed(mup, 6);
  j["mup_percent_exact"] = Fraction(mup);
  j["credit_tier_percent"] = tier;
  j["credit_usd"] = FormatUsd(credit);
  j["credit_payable"] = credit > 1;
  return j;
}

Json Basis() {
  return {
      {"classes",
       "CloudTrail KMS records (eventSource kms.amazonaws.com, eventType AwsApiCall) by SLA class: "
       "custom_key_store = every record with additionalEventData.customKeyStoreId, whatever its "
       "outcome; then throttling = ThrottlingException; server_error = KMSInternalException, "
       "DependencyTimeoutException, KeyUnavailableException; client_error = any other errorCode"},
      {"interval_requests",
       "KMS records in the 5-minute interval of their eventTime, excluding custom_key_store"},
      {"verdict",
       "KMS SLA of 2022-11-29: MUP = 100% - mean over all intervals of the month of "
       "server_errors/requests (0 for intervals without requests); tiers 10/25/100% below "
       "99.999/99.0/95.0; credit on the Region's KMS Usage charges (unblended), payable above "
       "USD 1"},
      {"charges",
       "Sum of lineItem/UnblendedCost of awskms Usage rows per account and product/region; Tax "
       "rows carry no Region"}};
}

Json Scenario(const Windows& w) {
  return {{"outage",
           {{"region", "us-east-1"},
            {"accounts", {std::string(kPaymentsAccount), std::string(kAnalyticsAccount)}},
            {"start", Iso(w.outage_begin)},
            {"end", Iso(w.outage_end)},
            {"intervals", (w.outage_end - w.outage_begin) / kIntervalMs},
            {"fail_percent_per_interval", w.outage_fail_percent}}},
          {"throttling",
           {{"account", std::string(kAnalyticsAccount)},
            {"region", "eu-west-1"},
            {"windows",
             {{{"start", Iso(w.throttle[0].first)}, {"end", Iso(w.throttle[0].second)}},
              {{"start", Iso(w.throttle[1].first)}, {"end", Iso(w.throttle[1].second)}}}},
            {"throttled_percent", 60}}},
          {"external_key_store_failure",
           {{"account", std::string(kPaymentsAccount)},
            {"region", "ap-southeast-2"},
            {"start", Iso(w.xks_begin)},
            {"end", Iso(w.xks_end)},
            {"error_code", "KMSInvalidStateException"}}}};
}

Json CloudTrailCounts(const CellResult& r) {
  Json ct;
  ct["kms_records"] = r.kms_records;
  for (int k = 0; k < kClsCount; ++k)
    ct[kClsNames[static_cast<size_t>(k)]] = r.classes[static_cast<size_t>(k)];
  ct["custom_key_store_failed"] = r.custom_key_store_failed;
  ct["other_service_records"] = r.other_service_records;
  return ct;
}

// One cell: its counts, server-error intervals, charges and verdict (for the
// CSM cell, also the verdict counting the 500s only the application saw).
Json CellTruth(const Cell& c, const CellResult& r, bool with_csm, const Windows& w,
               int64_t charges) {
  Json jc;
  jc["account_id"] = c.account;
  jc["account_name"] = c.account_name;
  jc["region"] = c.region;
  jc["cloudtrail"] = CloudTrailCounts(r);
  Json ivs = Json::array();
  std::vector<std::pair<int64_t, int64_t>> verdict_in, verdict_csm;
  for (size_t iv = 0; iv < r.intervals.size(); ++iv) {
    const IntervalStat& st = r.intervals[iv];
    int64_t extra_err = 0;  // 500s only the application saw (CSM)
    if (with_csm) {
      auto it = r.csm_truth.intervals.find(static_cast<int64_t>(iv));
      if (it != r.csm_truth.intervals.end()) extra_err = it->second.csm_only_server_errors;
    }
    if (st.server_errors > 0) {
      Json ji = {{"start", Iso(w.month_start + static_cast<int64_t>(iv) * kIntervalMs)},
                 {"requests", st.requests},
                 {"server_errors", st.server_errors}};
      verdict_in.emplace_back(st.requests, st.server_errors);
      ivs.push_back(ji);
    }
    if (st.server_errors > 0 || extra_err > 0) {
      verdict_csm.emplace_back(st.requests + extra_err, st.server_errors + extra_err);
    }
  }
  jc["server_error_intervals"] = ivs;
  jc["charges"] = {{"kms_usage_unblended_usd", FormatUnits(charges, 2)},
                   {"kms_usage_net_unblended_usd", FormatUnits(charges, 2)}};
  jc["expected_verdict"] = SlaVerdict(verdict_in, w.Intervals(), charges);
  if (with_csm) jc["expected_verdict_with_csm"] = SlaVerdict(verdict_csm, w.Intervals(), charges);
  return jc;
}

// The CSM-only failures and unanswered attempts, and the intervals they fall in.
void AddCsmEvents(const CellResult& r, const Windows& w, Json& jcsm) {
  const CsmTruth& cs = r.csm_truth;
  Json only = Json::array();
  for (const CsmOnlyFailure& f : cs.csm_only) {
    only.push_back({{"time", Iso(f.ms)},
                    {"timestamp_ms", f.ms},
                    {"request_id", f.request_id},
                    {"api", f.api},
                    {"http_status", f.http},
                    {"error_code", f.code}});
  }
  jcsm["csm_only_failures"] = only;
  Json nr = Json::array();
  for (const NoResponse& f : cs.no_response) {
    nr.push_back({{"time", Iso(f.ms)},
                  {"timestamp_ms", f.ms},
                  {"api", f.api},
                  {"sdk_exception", f.exception}});
  }
  jcsm["no_response_attempts"] = nr;
  Json civ = Json::array();
  for (const auto& [iv, st] : cs.intervals) {
    const IntervalStat& ctst = r.intervals[static_cast<size_t>(iv)];
    civ.push_back({{"start", Iso(w.month_start + iv * kIntervalMs)},
                   {"cloudtrail_requests", ctst.requests},
                   {"cloudtrail_server_errors", ctst.server_errors},
                   {"csm_only_server_errors", st.csm_only_server_errors},
                   {"no_response_attempts", st.no_response}});
  }
  jcsm["intervals"] = civ;
}

Json CsmTruthJson(const Cell& c, const CellResult& r, const Windows& w, int64_t lines) {
  const CsmTruth& cs = r.csm_truth;
  Json jcsm;
  jcsm["file"] = "csm/" + std::string(kCsmClientId) + ".csm.jsonl";
  jcsm["client_id"] = std::string(kCsmClientId);
  jcsm["account_id"] = c.account;
  jcsm["region"] = c.region;
  jcsm["day"] = DateDash(w.month_start + (kOutageDay - 1) * kMsPerDay);
  jcsm["access_keys"] = cs.access_keys;
  jcsm["lines"] = lines;
  jcsm["api_calls"] = cs.api_calls;
  jcsm["attempts"] = cs.attempts;
  jcsm["attempts_in_cloudtrail"] = cs.attempts_in_cloudtrail;
  jcsm["max_retries_exceeded_calls"] = cs.max_retries_exceeded;
  AddCsmEvents(r, w, jcsm);
  return jcsm;
}

// The published terms of the other services' SLAs (the catalog's, for the
// versions governing 2024 onward): commitment and the CUR product code.
struct ServiceSla {
  const char* service;
  const char* product;
  Rational commitment;
};

const std::vector<ServiceSla>& ServiceSlas() {
  static const std::vector<ServiceSla> kSlas = {
      {"dynamodb", "AmazonDynamoDB", Rational(9999, 100)},
      {"lambda", "AWSLambda", Rational(9995, 100)},
      {"apigateway", "AmazonApiGateway", Rational(9995, 100)},
      {"sqs", "AWSQueueService", Rational(999, 10)},
      {"s3", "AmazonS3", Rational(999, 10)},
  };
  return kSlas;
}

// One series of another service: counts, failing intervals and the verdict.
Json ServiceSeriesTruth(
    const ServiceTruth& t, const Windows& w,
    const std::map<std::tuple<std::string, std::string, std::string>, int64_t>& usage) {
  const ServiceSla* sla = nullptr;
  for (const ServiceSla& s : ServiceSlas()) {
    if (t.service == s.service) sla = &s;
  }
  Json j;
  j["account_id"] = t.account;
  j["region"] = t.region;
  j["service"] = t.service;
  j["requests"] = t.requests;
  j["server_errors"] = t.server_errors;
  j["throttled"] = t.throttled;
  j["client_errors"] = t.client_errors;
  Rational sum = 0;
  Json ivs = Json::array();
  for (const auto& [iv, c] : t.failing) {
    sum += Rational(c.second, c.first);
    ivs.push_back({{"start", Iso(w.month_start + iv * kIntervalMs)},
                   {"requests", c.first},
                   {"server_errors", c.second}});
  }
  j["server_error_intervals"] = ivs;
  const Rational mup = (Rational(1) - sum / Rational(w.Intervals())) * 100;
  int tier = 0;
  if (sla != nullptr && mup < sla->commitment) tier = mup >= 99 ? 10 : (mup >= 95 ? 25 : 100);
  int64_t charges = 0;
  if (sla != nullptr) {
    auto it = usage.find({t.account, t.region, sla->product});
    if (it != usage.end()) charges = it->second;
  }
  const Rational charges_usd(mpz_class(std::to_string(charges)), mpz_class(std::to_string(kUsd)));
  Rational credit = charges_usd * tier / 100;
  credit.canonicalize();
  j["expected_verdict"] = {{"sum_of_error_rates", Fraction(sum)},
                           {"mup_percent", FormatFixed(mup, 6)},
                           {"mup_percent_exact", Fraction(mup)},
                           {"commitment_percent", FormatDecimal(sla ? sla->commitment : 0, 0, 4)},
                           {"credit_tier_percent", tier},
                           {"charges_usd", FormatUnits(charges, 2)},
                           {"credit_usd", FormatUsd(credit)},
                           {"credit_payable", credit > 1}};
  if (t.service == "s3") {
    j["note"] =
        "S3 requests from the access logs only: the management trail's ListBuckets calls "
        "(successes) count too, so recoup's request count and MUP are higher";
  }
  return j;
}

}  // namespace

std::string RenderTruth(const TruthInputs& in) {
  const DemoOptions& options = *in.options;
  const Windows& w = *in.windows;
  const std::vector<Cell>& cells = *in.cells;
  const std::vector<CellResult>& results = *in.results;
  const DemoManifest& m = *in.manifest;
  Json t;
  t["generator"] = {{"name", "recoup demo"},
                    {"format_version", 1},
                    {"seed", options.seed},
                    {"month", options.month.ToString()}};
  t["organization_id"] = std::string(kOrganizationId);
  t["payer_account_id"] = std::string(kPayerAccount);
  t["intervals_in_month"] = w.Intervals();
  t["basis"] = Basis();
  t["scenario"] = Scenario(w);
  Json jcells = Json::array();
  for (size_t i = 0; i < cells.size(); ++i) {
    jcells.push_back(CellTruth(cells[i], results[i], i == 0, w, (*in.kms_charges)[i]));
  }
  t["cells"] = jcells;
  t["csm"] = CsmTruthJson(cells[0], results[0], w, m.csm_lines);
  Json services = Json::array();
  if (in.services != nullptr && in.usage != nullptr) {
    for (const ServicesCell& sc : *in.services) {
      for (const ServiceTruth& st : sc.truth)
        services.push_back(ServiceSeriesTruth(st, w, *in.usage));
    }
  }
  t["services"] = {
      {"basis",
       "DynamoDB, Lambda and SQS from the data-event trail (the payments order service's "
       "DynamoDB calls in the outage also in csm/orders-app.csm.jsonl, same request IDs), S3 from "
       "the server access logs, API Gateway from its access logs; server errors count, throttling "
       "and client errors are out of the totals; MUP = 100% - mean over the month's intervals of "
       "server_errors/requests; tiers 10/25/100% below the commitment/99.0/95.0 on the Region's "
       "usage charges of the service's CUR product code"},
      {"outage",
       {{"region", "us-east-1"},
        {"start", Iso(w.month_start + (kServicesOutageDay - 1) * kMsPerDay + 6 * kHourMs +
                      50 * kMsPerMinute)},
        {"intervals", 30}}},
      {"series", services}};
  t["cur"] = {{"file", "cur/cur-" + options.month.ToString() + ".csv.gz"},
              {"rows", m.cur_rows},
              {"format", "cur-legacy"},
              {"product_code", "awskms"}};
  t["totals"] = {{"cloudtrail_files", m.cloudtrail_files.size()},
                 {"cloudtrail_records", m.cloudtrail_records},
                 {"kms_records", m.kms_records},
                 {"other_service_records", m.other_service_records},
                 {"data_event_records", m.data_event_records},
                 {"s3_access_log_lines", m.s3_log_lines},
                 {"apigateway_access_log_lines", m.apigateway_log_lines}};
  return t.dump(2) + "\n";
}

}  // namespace recoup::demo
