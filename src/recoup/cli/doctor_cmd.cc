// `recoup doctor`: tells a new user, in plain words, what works and what is
// missing (credentials, identity, Region, CloudTrail delivery of KMS events,
// Health and Support API access, the local store), and `recoup doctor
// --policy` prints the least-privilege IAM policy recoup needs.
//
// Every check is read-only. Cost Explorer is checked only with
// --check-billing: AWS charges $0.01 per GetCostAndUsage request.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/common.h"
#include "recoup/core/clock.h"
#include "recoup/core/time.h"
#include "recoup/net/http_client.h"
#include "recoup/serve/config.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

namespace {

struct DoctorArgs {
  std::string profile, region, output = "text", bucket;
  std::string config;  // with --policy: serve's configuration, for its probes
  bool policy = false;
  bool check_billing = false;
  int timeout_s = 10;
};

enum class Verdict { kOk, kWarn, kFail, kInfo };

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kFail:
      return "fail";
    case Verdict::kInfo:
      return "info";
  }
  return "info";
}

struct Check {
  std::string name;  // "credentials", "identity", ...
  Verdict verdict = Verdict::kInfo;
  std::string summary;              // one line
  std::vector<std::string> advice;  // what to do about it
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
};

// "AKIA************WXYZ": enough to tell keys apart, nothing to sign with.
std::string MaskKeyId(const std::string& id) {
  if (id.size() < 8) return std::string(id.size(), '*');
  return id.substr(0, 4) + std::string(id.size() - 8, '*') + id.substr(id.size() - 4);
}

// Why no answer came, for a failure the network gave (not AWS): "" if the
// transport did not say.
std::string CauseName(net::TransportCause c) {
  switch (c) {
    case net::TransportCause::kDns:
      return "dns";
    case net::TransportCause::kConnectionRefused:
      return "connection_refused";
    case net::TransportCause::kUnreachable:
      return "unreachable";
    case net::TransportCause::kTls:
      return "tls";
    case net::TransportCause::kTimeout:
      return "timeout";
    case net::TransportCause::kNone:
      break;
  }
  return "";
}

// What a failed call means, in plain words.
std::string Explain(const Status& st) {
  auto e = aws::AwsErrorOf(st);
  if (!e) {
    const net::TransportCause cause = net::TransportCauseOf(st);
    if (cause == net::TransportCause::kNone) return st.message();
    return "cannot reach " + net::TransportHostOf(st) + ": " + net::TransportCauseText(cause);
  }
  std::string out = e->code;
  if (!e->message.empty()) out += ": " + e->message;
  if (!e->request_id.empty()) out += " (request ID " + e->request_id + ")";
  return out;
}

// AWS answered and said no to the credentials themselves (not to one action).
bool IsCredentialsRefused(const Status& st) {
  auto e = aws::AwsErrorOf(st);
  if (!e) return false;
  for (const char* code :
       {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
        "IncompleteSignature", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
        "AuthFailure", "AccessDenied", "AccessDeniedException", "MissingAuthenticationToken"}) {
    if (e->code == code) return true;
  }
  return e->http_status == 403;
}

bool IsAccessDenied(const Status& st) {
  auto e = aws::AwsErrorOf(st);
  return e && (e->code.rfind("AccessDenied", 0) == 0 || e->code == "UnauthorizedOperation" ||
               e->code == "AuthorizationError");
}

// ---- the IAM policy ---------------------------------------------------------

struct PolicyStatement {
  std::string sid;
  std::string why;  // which command needs it
  std::vector<std::string> actions;
  std::vector<std::string> resources;
};

// The statements `probes` need: each probe's calls on its own resource.
// `account` fills ARNs the configuration names by name only ("*" unknown).
std::vector<PolicyStatement> ProbeStatements(const std::vector<serve::ProbeConfig>& probes,
                                             const std::string& serve_account) {
  std::vector<PolicyStatement> out;
  int n = 0;
  for (const serve::ProbeConfig& p : probes) {
    ++n;
    const std::string account =
        !p.account.empty() ? p.account : (!serve_account.empty() ? serve_account : "*");
    const std::string sid = "RecoupProbe" + std::to_string(n);
    const std::string why = "serve probe " + serve::ProbeSourceName(p);
    std::vector<std::string> ops = p.operations;
    if (ops.empty()) ops = serve::ProbeOperations(p.service);
    if (p.service == "kms") {
      std::vector<std::string> keyed;
      for (const std::string& op : ops) {
        if (op == "GenerateRandom") {
          out.push_back({sid + "Random", why, {"kms:GenerateRandom"}, {"*"}});
        } else {
          keyed.push_back("kms:" + op);
        }
      }
      if (!keyed.empty()) {
        const std::string key =
            p.key_id.rfind("arn:", 0) == 0
                ? p.key_id
                : "arn:aws:kms:" + p.region + ":" + account + ":key/" +
                      (p.key_id.rfind("alias/", 0) == 0 ? std::string("*") : p.key_id);
        out.push_back({sid, why, keyed, {key}});
      }
      continue;
    }
    std::vector<std::string> actions;
    actions.reserve(ops.size());
    for (const std::string& op : ops) actions.push_back(p.service + ":" + op);
    std::string arn = p.resource;
    if (p.service == "dynamodb" && arn.rfind("arn:", 0) != 0) {
      arn = "arn:aws:dynamodb:" + p.region + ":" + account + ":table/" + p.resource;
    } else if (p.service == "sqs") {
      // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
      const size_t last = p.resource.rfind('/');
      const size_t prev = last == std::string::npos ? last : p.resource.rfind('/', last - 1);
      arn = prev == std::string::npos
                ? "*"
                : "arn:aws:sqs:" + p.region + ":" + p.resource.substr(prev + 1, last - prev - 1) +
                      ":" + p.resource.substr(last + 1);
    } else if (p.service == "s3") {
      arn = "arn:aws:s3:::" + p.resource;
    } else if (p.service == "secretsmanager" && arn.rfind("arn:", 0) != 0) {
      // A secret's ARN ends in a random 6-character suffix.
      arn = "arn:aws:secretsmanager:" + p.region + ":" + account + ":secret:" + p.resource + "-*";
    }
    out.push_back({sid, why, actions, {arn}});
  }
  return out;
}

std::vector<PolicyStatement> PolicyStatements(const std::string& bucket,
                                              const serve::ServeConfig* serve_config) {
  std::vector<PolicyStatement> out;
  out.push_back({"RecoupIdentity",
                 "doctor: who am I, is there an organization",
                 {"sts:GetCallerIdentity", "organizations:DescribeOrganization"},
                 {"*"}});
  out.push_back(
      {"RecoupTrailDiscovery",
       "doctor: where CloudTrail delivers KMS events",
       {"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"},
       {"*"}});
  out.push_back({"RecoupCloudTrailLookup",
                 "ingest cloudtrail-lookup: accounts without a trail (last 90 days)",
                 {"cloudtrail:LookupEvents"},
                 {"*"}});
  if (bucket.empty()) {
    out.push_back({"RecoupReadTrailBucket",
                   "ingest s3://BUCKET/PREFIX: read CloudTrail log files (narrow with --bucket)",
                   {"s3:ListBucket", "s3:GetObject"},
                   {"*"}});
  } else {
    out.push_back({"RecoupListTrailBucket",
                   "ingest s3://" + bucket + "/...: list CloudTrail log files",
                   {"s3:ListBucket"},
                   {"arn:aws:s3:::" + bucket}});
    out.push_back({"RecoupReadTrailObjects",
                   "ingest s3://" + bucket + "/...: read CloudTrail log files",
                   {"s3:GetObject"},
                   {"arn:aws:s3:::" + bucket + "/*"}});
  }
  out.push_back(
      {"RecoupHealth",
       "health sync: what AWS Health admits (organization view for --organization)",
       {"health:DescribeEvents", "health:DescribeEventDetails", "health:DescribeAffectedEntities",
        "health:DescribeEventTypes", "health:DescribeEventsForOrganization",
        "health:DescribeEventDetailsForOrganization",
        "health:DescribeAffectedEntitiesForOrganization"},
       {"*"}});
  out.push_back({"RecoupBilling",
                 "billing sync: KMS charges per Region and month",
                 {"ce:GetCostAndUsage"},
                 {"*"}});
  out.push_back({"RecoupClaims",
                 "claims file / claims sync / claims note: the SLA credit case",
                 {"support:DescribeServices", "support:DescribeSeverityLevels",
                  "support:AddAttachmentsToSet", "support:CreateCase", "support:DescribeCases",
                  "support:DescribeCommunications", "support:AddCommunicationToCase"},
                 {"*"}});
  if (serve_config != nullptr) {
    // Exactly what the configured probes call, on their own resources.
    for (PolicyStatement& st : ProbeStatements(serve_config->probes, serve_config->account)) {
      out.push_back(std::move(st));
    }
  } else {
    out.push_back(
        {"RecoupProbes",
         "serve probes: synthetic KMS calls and read-only calls of the resources "
         "probed (pass --config for exactly the configured probes)",
         {"kms:GenerateRandom", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey",
          "dynamodb:DescribeTable", "sqs:GetQueueAttributes", "secretsmanager:DescribeSecret"},
         {"*"}});
  }
  out.push_back({"RecoupHealthQueue",
                 "serve: AWS Health events from an SQS queue fed by EventBridge",
                 {"sqs:ReceiveMessage", "sqs:DeleteMessage"},
                 {"*"}});
  return out;
}

std::string PolicyJson(const std::vector<PolicyStatement>& statements) {
  nlohmann::ordered_json doc;
  doc["Version"] = "2012-10-17";
  doc["Statement"] = nlohmann::ordered_json::array();
  for (const auto& s : statements) {
    nlohmann::ordered_json st;
    st["Sid"] = s.sid;
    st["Effect"] = "Allow";
    st["Action"] = s.actions;
    st["Resource"] = s.resources.size() == 1 ? nlohmann::ordered_json(s.resources[0])
                                             : nlohmann::ordered_json(s.resources);
    doc["Statement"].push_back(st);
  }
  return doc.dump(2);
}

// ---- the checks ---------------------------------------------------------------

struct Doctor {
  const Globals& g;
  const DoctorArgs& a;
  std::unique_ptr<AwsContext> ctx;
  std::vector<Check> checks;
  std::string account;
  bool have_identity = false;

  Check& Add(std::string name) {
    checks.push_back(Check{});
    checks.back().name = std::move(name);
    return checks.back();
  }

  void Run() {
    CheckConfig();
    if (ctx) {
      CheckCredentials();
      if (have_identity) {
        CheckOrganization();
        CheckTrails();
        CheckHealth();
        CheckSupport();
        CheckBilling();
      }
    }
    CheckStore();
  }

  void CheckConfig() {
    Check& c = Add("configuration");
    auto made = AwsContext::Create({.profile = a.profile,
                                    .region = a.region,
                                    .debug = false,
                                    .timeout_ms = int64_t{a.timeout_s} * 1000});
    if (!made.ok()) {
      c.verdict = Verdict::kFail;
      c.summary = "cannot read the AWS configuration: " + made.status().message();
      c.advice.push_back("fix the file named above, or pass --profile with an existing profile");
      return;
    }
    ctx = std::move(*made);
    c.details["profile"] = ctx->config().profile_name();
    auto region = ctx->Region();
    if (region.ok()) {
      c.verdict = Verdict::kOk;
      c.summary = "profile '" + ctx->config().profile_name() + "', Region " + *region;
      c.details["region"] = *region;
    } else {
      c.verdict = Verdict::kWarn;
      c.summary = "profile '" + ctx->config().profile_name() + "', no Region configured";
      c.advice.push_back(
          "set AWS_REGION (or region in the profile, or pass --region): needed for "
          "cloudtrail-lookup, s3:// ingest and probes; doctor uses us-east-1 meanwhile");
    }
  }

  std::string Region() const {
    auto r = ctx->Region();
    return r.ok() ? *r : "us-east-1";
  }

  void CheckCredentials() {
    Check& c = Add("credentials");
    auto creds = ctx->credentials()->Get();
    if (!creds.ok()) {
      c.verdict = Verdict::kFail;
      c.summary = "no usable AWS credentials: " + creds.status().message();
      c.advice.push_back(
          "configure credentials the way the AWS CLI takes them (aws configure, AWS_PROFILE, "
          "SSO, instance role); recoup reads the same files and variables");
      return;
    }
    c.verdict = Verdict::kOk;
    c.summary = "access key " + MaskKeyId(creds->access_key_id) + " from " +
                ctx->credentials()->Name() +
                (creds->session_token.empty() ? "" : " (temporary, with session token)");
    c.details["access_key_id"] = MaskKeyId(creds->access_key_id);
    c.details["provider"] = ctx->credentials()->Name();

    Check& id = Add("identity");
    auto sts = ctx->Client(aws::services::kSts, Region());
    if (!sts.ok()) {
      id.verdict = Verdict::kFail;
      id.summary = sts.status().message();
      return;
    }
    auto xml = (*sts)->CallQuery("GetCallerIdentity", {});
    if (!xml.ok()) {
      id.verdict = Verdict::kFail;
      const Status& st = xml.status();
      const net::TransportCause cause = net::TransportCauseOf(st);
      id.details["endpoint"] = (*sts)->endpoint().url;
      if (!aws::AwsErrorOf(st)) {
        // No answer from AWS at all: the credentials were never judged.
        const std::string host = net::TransportHostOf(st);
        id.details["cause"] = cause == net::TransportCause::kNone ? "network" : CauseName(cause);
        id.summary =
            "cannot reach the STS endpoint " + (host.empty() ? (*sts)->endpoint().url : host) +
            ": " +
            (cause == net::TransportCause::kNone ? st.message() : net::TransportCauseText(cause)) +
            "; the credentials were not checked";
        id.advice.push_back(
            "check the network, proxy and any endpoint override (AWS_ENDPOINT_URL, "
            "AWS_ENDPOINT_URL_STS, endpoint_url in the profile; now " +
            (*sts)->endpoint().source + ")");
        if (cause == net::TransportCause::kTls) {
          id.advice.push_back(
              "the endpoint's certificate is not trusted here: check the CA bundle "
              "(AWS_CA_BUNDLE) or a TLS-intercepting proxy");
        }
        return;
      }
      if (IsCredentialsRefused(st)) {
        id.details["cause"] = "credentials_refused";
        id.summary = "AWS refused these credentials: " + Explain(st);
        id.advice.push_back(
            "check that the keys are current (aws sts get-caller-identity with the same "
            "profile should work)");
      } else {
        id.details["cause"] = "aws_error";
        id.summary =
            "AWS STS answered with an error (the credentials were not judged): " + Explain(st);
        id.advice.push_back("try again later; if it persists, check the AWS Health Dashboard");
      }
      return;
    }
    account = aws::XmlTagText(*xml, "Account");
    const std::string arn = aws::XmlTagText(*xml, "Arn");
    id.verdict = Verdict::kOk;
    id.summary = "account " + account + " as " + arn;
    id.details["account"] = account;
    id.details["arn"] = arn;
    have_identity = true;
  }

  void CheckOrganization() {
    Check& c = Add("organization");
    auto org = ctx->Client(aws::services::kOrganizations, Region());
    if (!org.ok()) {
      c.verdict = Verdict::kInfo;
      c.summary = org.status().message();
      return;
    }
    auto r = (*org)->CallJson("DescribeOrganization", nlohmann::json::object());
    if (!r.ok()) {
      if (aws::IsAwsError(r.status(), "AWSOrganizationsNotInUseException")) {
        c.verdict = Verdict::kInfo;
        c.summary = "standalone account (not in an AWS Organization)";
      } else if (IsAccessDenied(r.status())) {
        c.verdict = Verdict::kInfo;
        c.summary = "cannot tell (organizations:DescribeOrganization denied)";
      } else {
        c.verdict = Verdict::kInfo;
        c.summary = "cannot tell: " + Explain(r.status());
      }
      return;
    }
    const auto& o = (*r)["Organization"];
    const std::string master = o.value("MasterAccountId", "");
    c.verdict = Verdict::kOk;
    c.details["organization_id"] = o.value("Id", "");
    c.details["management_account"] = master;
    if (master == account) {
      c.summary = "management account of organization " + o.value("Id", "") +
                  ": organization trails and the organization Health view are available";
    } else {
      c.summary =
          "member of organization " + o.value("Id", "") + " (management account " + master + ")";
      c.advice.push_back(
          "an organization trail delivers every member's KMS events to one bucket: run recoup "
          "where that bucket is readable; the organization Health view needs the management "
          "or a delegated administrator account");
    }
  }

  void CheckTrails() {
    Check& c = Add("cloudtrail");
    auto ct = ctx->Client(aws::services::kCloudTrail, Region());
    if (!ct.ok()) {
      c.verdict = Verdict::kWarn;
      c.summary = ct.status().message();
      return;
    }
    auto r = (*ct)->CallJson("DescribeTrails", {{"includeShadowTrails", true}});
    if (!r.ok()) {
      c.verdict = Verdict::kWarn;
      c.summary = "cannot list trails: " + Explain(r.status());
      if (IsAccessDenied(r.status())) {
        c.advice.push_back("allow cloudtrail:DescribeTrails (see recoup doctor --policy)");
      }
      return;
    }
    nlohmann::ordered_json trails = nlohmann::ordered_json::array();
    int delivering = 0;
    for (const auto& t : (*r)["trailList"]) {
      nlohmann::ordered_json d;
      const std::string arn = t.value("TrailARN", t.value("Name", ""));
      d["name"] = t.value("Name", "");
      d["arn"] = arn;
      d["home_region"] = t.value("HomeRegion", "");
      d["multi_region"] = t.value("IsMultiRegionTrail", false);
      d["organization_trail"] = t.value("IsOrganizationTrail", false);
      const std::string bucket = t.value("S3BucketName", "");
      const std::string prefix = t.value("S3KeyPrefix", "");
      std::string where;
      if (!bucket.empty()) {
        where = "s3://" + bucket + "/" + (prefix.empty() ? "" : prefix + "/") + "AWSLogs/";
      }
      d["delivers_to"] = where;
      bool logging = true;
      auto status = (*ct)->CallJson("GetTrailStatus", {{"Name", arn}});
      if (status.ok()) {
        logging = (*status).value("IsLogging", false);
        d["logging"] = logging;
      } else {
        d["logging"] = nullptr;
        d["status_error"] = Explain(status.status());
      }
      // KMS events are management events: the trail must record them and
      // must not exclude kms.amazonaws.com.
      bool kms = true;
      std::string why_not;
      auto sel = (*ct)->CallJson("GetEventSelectors", {{"TrailName", arn}});
      if (sel.ok()) {
        bool any_management = false;
        for (const auto& es : (*sel).value("EventSelectors", nlohmann::json::array())) {
          if (es.value("IncludeManagementEvents", false)) {
            const std::string rw = es.value("ReadWriteType", "All");
            if (rw == "WriteOnly") {
              why_not =
                  "records write-only management events: KMS Decrypt, Encrypt and "
                  "GenerateDataKey are read events and are missing";
            } else {
              any_management = true;
            }
            for (const auto& ex :
                 es.value("ExcludeManagementEventSources", nlohmann::json::array())) {
              if (ex == "kms.amazonaws.com") {
                any_management = false;
                why_not = "excludes kms.amazonaws.com from its management events";
              }
            }
          }
        }
        for (const auto& aes : (*sel).value("AdvancedEventSelectors", nlohmann::json::array())) {
          for (const auto& fs : aes.value("FieldSelectors", nlohmann::json::array())) {
            if (fs.value("Field", "") == "eventCategory") {
              for (const auto& v : fs.value("Equals", nlohmann::json::array())) {
                if (v == "Management") any_management = true;
              }
            }
            if (fs.value("Field", "") == "eventSource") {
              for (const auto& v : fs.value("NotEquals", nlohmann::json::array())) {
                if (v == "kms.amazonaws.com") {
                  any_management = false;
                  why_not = "an advanced event selector excludes kms.amazonaws.com";
                }
              }
            }
          }
        }
        kms = any_management;
        if (!kms && why_not.empty()) why_not = "records no management events";
      } else {
        d["selectors_error"] = Explain(sel.status());
      }
      d["records_kms_events"] = kms;
      if (!why_not.empty()) d["kms_problem"] = why_not;
      if (logging && kms && !where.empty()) ++delivering;
      trails.push_back(d);
    }
    c.details["trails"] = trails;
    if (trails.empty()) {
      c.verdict = Verdict::kWarn;
      c.summary = "no trail: KMS events are only in the 90-day event history";
      c.advice.push_back("run recoup ingest cloudtrail-lookup --region " + Region() +
                         " --start ... --end ... (2 requests/s: slow but complete), and "
                         "create a trail so evidence outlives 90 days");
      return;
    }
    if (delivering == 0) {
      c.verdict = Verdict::kWarn;
      c.summary = std::to_string(trails.size()) + " trail(s), none delivering KMS events to S3";
      for (const auto& t : trails) {
        if (t.contains("kms_problem")) {
          c.advice.push_back("trail " + t["name"].get<std::string>() + " " +
                             t["kms_problem"].get<std::string>());
        } else if (t["logging"] == false) {
          c.advice.push_back("trail " + t["name"].get<std::string>() + " is not logging");
        }
      }
      c.advice.push_back("meanwhile, recoup ingest cloudtrail-lookup reads the last 90 days");
      return;
    }
    c.verdict = Verdict::kOk;
    std::string first;
    for (const auto& t : trails) {
      if (t["records_kms_events"] == true && t["logging"] != false &&
          !t["delivers_to"].get<std::string>().empty()) {
        first = t["delivers_to"].get<std::string>();
        break;
      }
    }
    c.summary = std::to_string(delivering) + " trail(s) deliver KMS events; e.g. " + first;
    c.advice.push_back("recoup ingest " + first);
  }

  void CheckHealth() {
    Check& c = Add("health");
    auto h = ctx->Client(aws::services::kHealth, Region());
    if (!h.ok()) {
      c.verdict = Verdict::kWarn;
      c.summary = h.status().message();
      return;
    }
    auto r = (*h)->CallJson("DescribeEventTypes",
                            {{"filter", {{"services", {"KMS"}}}}, {"maxResults", 10}});
    if (r.ok()) {
      c.verdict = Verdict::kOk;
      c.summary = "AWS Health API usable: recoup health sync can fetch KMS events";
      return;
    }
    c.verdict = Verdict::kWarn;
    if (aws::IsAwsError(r.status(), "SubscriptionRequiredException")) {
      c.summary =
          "no Business, Enterprise On-Ramp or Enterprise Support plan: the AWS Health API is "
          "closed to this account";
      c.advice.push_back(
          "Health events still reach EventBridge on every plan: send aws.health events to a "
          "file or an SQS queue and use recoup health import FILE (or serve's SQS source); "
          "claims will show the events recoup has");
    } else if (IsAccessDenied(r.status())) {
      c.summary = "AWS Health API denied: " + Explain(r.status());
      c.advice.push_back("allow health:Describe* (see recoup doctor --policy)");
    } else {
      c.summary = "AWS Health API failed: " + Explain(r.status());
    }
  }

  void CheckSupport() {
    Check& c = Add("support");
    auto s = ctx->Client(aws::services::kSupport, Region());
    if (!s.ok()) {
      c.verdict = Verdict::kWarn;
      c.summary = s.status().message();
      return;
    }
    auto r = (*s)->CallJson("DescribeSeverityLevels", {{"language", "en"}});
    if (r.ok()) {
      c.verdict = Verdict::kOk;
      c.summary = "AWS Support API usable: recoup claims file can open SLA credit cases";
      return;
    }
    c.verdict = Verdict::kWarn;
    if (aws::IsAwsError(r.status(), "SubscriptionRequiredException")) {
      c.summary =
          "no Business, Enterprise On-Ramp or Enterprise Support plan: cases cannot be opened "
          "through the API";
      c.advice.push_back(
          "recoup claims build still prepares the whole package; file it in the Support "
          "Center console (Account and billing > Billing > SLA credit request) and record the "
          "case with recoup claims; the claim waits in 'ready' with reminders");
    } else if (IsAccessDenied(r.status())) {
      c.summary = "AWS Support API denied: " + Explain(r.status());
      c.advice.push_back("allow support:* actions listed by recoup doctor --policy");
    } else {
      c.summary = "AWS Support API failed: " + Explain(r.status());
    }
  }

  void CheckBilling() {
    Check& c = Add("billing");
    if (!a.check_billing) {
      c.verdict = Verdict::kInfo;
      c.summary =
          "Cost Explorer not checked (AWS charges $0.01 per request; use --check-billing). "
          "Without it, recoup billing import takes Cost and Usage Report files";
      return;
    }
    auto ce = ctx->Client(aws::services::kCostExplorer, Region());
    if (!ce.ok()) {
      c.verdict = Verdict::kWarn;
      c.summary = ce.status().message();
      return;
    }
    const int64_t now = SystemClock().NowMs();
    const YearMonth m = YearMonth::FromMs(now);
    const YearMonth prev = m.Plus(-1);
    nlohmann::json in = {
        {"TimePeriod", {{"Start", prev.ToString() + "-01"}, {"End", m.ToString() + "-01"}}},
        {"Granularity", "MONTHLY"},
        {"Metrics", {"UnblendedCost"}},
        {"Filter",
         {{"Dimensions", {{"Key", "SERVICE"}, {"Values", {"AWS Key Management Service"}}}}}}};
    auto r = (*ce)->CallJson("GetCostAndUsage", in);
    if (r.ok()) {
      c.verdict = Verdict::kOk;
      c.summary = "Cost Explorer usable: recoup billing sync can read KMS charges";
    } else {
      c.verdict = Verdict::kWarn;
      c.summary = "Cost Explorer failed: " + Explain(r.status());
      c.advice.push_back(
          "allow ce:GetCostAndUsage, or import Cost and Usage Report files with recoup "
          "billing import");
    }
  }

  void CheckStore() {
    Check& c = Add("store");
    c.details["path"] = g.store_path;
    auto store = storage::OpenSqliteStore(g.store_path);
    if (!store.ok()) {
      c.verdict = Verdict::kFail;
      c.summary = "cannot open the store: " + store.status().message();
      c.advice.push_back("pass --store PATH or set RECOUP_STORE to a writable place");
      return;
    }
    auto t = (*store)->Totals();
    c.verdict = Verdict::kOk;
    if (t.ok()) {
      c.summary = g.store_path + ": " + WithCommas(t->files) + " files, " +
                  WithCommas(t->accepted) + " records of evidence";
      c.details["files"] = t->files;
      c.details["records"] = t->accepted;
    } else {
      c.summary = g.store_path;
    }
  }
};

int RunDoctor(const Globals& g, const DoctorArgs& a) {
  if (a.policy) {
    std::optional<serve::ServeConfig> config;
    if (!a.config.empty()) {
      auto c = serve::LoadServeConfig(a.config);
      if (!c.ok()) return Fail(c.status().WithPrefix("--config"));
      config = std::move(*c);
    }
    const std::vector<PolicyStatement> statements =
        PolicyStatements(a.bucket, config ? &*config : nullptr);
    std::cout << PolicyJson(statements) << "\n";
    if (a.output == "text") {
      std::fprintf(stderr, "recoup: what each statement is for:\n");
      for (const auto& s : statements) {
        std::fprintf(stderr, "  %-24s %s\n", s.sid.c_str(), s.why.c_str());
      }
    }
    return kExitOk;
  }
  Doctor d{g, a, nullptr, {}, "", false};
  d.Run();
  bool failed = false;
  for (const auto& c : d.checks) failed = failed || c.verdict == Verdict::kFail;
  if (a.output == "json") {
    nlohmann::ordered_json out;
    out["ok"] = !failed;
    out["checks"] = nlohmann::ordered_json::array();
    for (const auto& c : d.checks) {
      nlohmann::ordered_json j;
      j["name"] = c.name;
      j["status"] = VerdictName(c.verdict);
      j["summary"] = c.summary;
      j["advice"] = c.advice;
      j["details"] = c.details;
      out["checks"].push_back(j);
    }
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& c : d.checks) {
      std::printf("%-5s %-14s %s\n", VerdictName(c.verdict), c.name.c_str(), c.summary.c_str());
      for (const auto& line : c.advice) std::printf("      %-14s -> %s\n", "", line.c_str());
    }
    std::printf("\n%s\n", failed ? "recoup cannot work yet: fix the 'fail' lines above."
                                 : "recoup can work with this setup; 'warn' lines say what "
                                   "is missing.");
  }
  return failed ? kExitRuntime : kExitOk;
}

}  // namespace

void RegisterDoctorCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto a = std::make_shared<DoctorArgs>();
  auto* doctor = app.add_subcommand(
      "doctor", "Check credentials, identity, Region, trails, Health and Support access");
  doctor->add_option("--profile", a->profile, "AWS profile (default: AWS_PROFILE)");
  doctor->add_option("--region", a->region, "Region (default: AWS_REGION, then the profile's)");
  doctor->add_option("--output", a->output, "text|json")->check(CLI::IsMember({"text", "json"}));
  doctor->add_flag("--policy", a->policy,
                   "Print the least-privilege IAM policy recoup needs, and exit");
  doctor->add_option("--bucket", a->bucket,
                     "With --policy: scope S3 read access to this CloudTrail bucket");
  doctor->add_option("--config", a->config,
                     "With --policy: serve's configuration; the policy then grants exactly what "
                     "its probes call, on their resources");
  doctor->add_flag("--check-billing", a->check_billing,
                   "Also call Cost Explorer once (AWS charges $0.01 per request)");
  doctor->add_option("--timeout", a->timeout_s, "Seconds to wait for each AWS answer (default 10)")
      ->check(CLI::Range(1, 600));
  reg.Add(doctor, [&g, a] { return RunDoctor(g, *a); });
}

}  // namespace recoup::cli
