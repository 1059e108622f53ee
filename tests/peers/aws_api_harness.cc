// A small command-line front end to recoup's typed AWS wrappers, for the
// integration tests (tests/integration/test_aws_apis.py) to drive them against
// real peers (moto, recorded_server.py). Prints one JSON document; errors as
// {"error": {"code", "status", "message", "http_status", "request_id"}} with
// exit code 1. Credentials, Region and endpoints come from the environment as
// for recoup itself. Never prints secrets (KMS plaintexts are shown as their
// length and a comparison result only).
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recoup/aws/cloudtrail_api.h"
#include "recoup/aws/cost_explorer_api.h"
#include "recoup/aws/health_api.h"
#include "recoup/aws/kms_api.h"
#include "recoup/aws/organizations_api.h"
#include "recoup/aws/sqs_api.h"
#include "recoup/aws/sts_api.h"
#include "recoup/aws/support_api.h"
#include "recoup/cli/aws_context.h"

namespace {

using nlohmann::json;
using recoup::Result;
using recoup::Status;
namespace aws = recoup::aws;

int Error(const Status& st) {
  json e = {
      {"code", "local"}, {"status", recoup::StatusCodeName(st.code())}, {"message", st.message()}};
  if (auto a = aws::AwsErrorOf(st)) {
    e["code"] = a->code;
    e["http_status"] = a->http_status;
    e["request_id"] = a->request_id;
  }
  std::printf("%s\n", json{{"error", e}}.dump(2).c_str());
  return 1;
}

std::string Arg(const std::vector<std::string>& args, size_t i) {
  return i < args.size() ? args[i] : std::string();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "usage: aws_api_harness COMMAND [ARGS...]\n");
    return 2;
  }
  const std::string cmd = args[0];
  recoup::cli::AwsContextOptions o;
  auto ctx = recoup::cli::AwsContext::Create(o);
  if (!ctx.ok()) return Error(ctx.status());
  auto client_for = [&](const aws::ServiceSpec& spec, const std::string& region = "") {
    return (*ctx)->Client(spec, region);
  };
  json out;
  if (cmd == "sts-identity") {
    auto c = client_for(aws::services::kSts);
    if (!c.ok()) return Error(c.status());
    auto id = aws::StsApi(c->get()).GetCallerIdentity();
    if (!id.ok()) return Error(id.status());
    out = {{"account", id->account}, {"arn", id->arn}, {"user_id", id->user_id}};
  } else if (cmd == "sts-assume-role") {
    auto c = client_for(aws::services::kSts);
    if (!c.ok()) return Error(c.status());
    aws::AssumeRoleInput in;
    in.role_arn = Arg(args, 1);
    in.session_name = "recoup-it";
    in.duration_seconds = 900;
    auto r = aws::StsApi(c->get()).AssumeRole(in);
    if (!r.ok()) return Error(r.status());
    out = {{"access_key_id_prefix", r->credentials.credentials.access_key_id.substr(0, 4)},
           {"has_secret", !r->credentials.credentials.secret_access_key.empty()},
           {"has_session_token", !r->credentials.credentials.session_token.empty()},
           {"expiration_ms", r->credentials.expiration_ms.value_or(0)},
           {"assumed_role_arn", r->assumed_role_arn}};
  } else if (cmd == "kms") {
    // kms KEY_ID: Encrypt, Decrypt, GenerateDataKey, GenerateRandom, DescribeKey.
    auto c = client_for(aws::services::kKms);
    if (!c.ok()) return Error(c.status());
    aws::KmsApi kms(c->get());
    const std::string key = Arg(args, 1);
    const std::string plaintext("recoup \x00\x01\xff binary", 17);
    auto enc = kms.Encrypt(key, plaintext, {{"purpose", "it"}});
    if (!enc.ok()) return Error(enc.status());
    auto dec = kms.Decrypt(enc->ciphertext, "", {{"purpose", "it"}});
    if (!dec.ok()) return Error(dec.status());
    auto dk = kms.GenerateDataKey(key);
    if (!dk.ok()) return Error(dk.status());
    auto rnd = kms.GenerateRandom(24);
    if (!rnd.ok()) return Error(rnd.status());
    auto md = kms.DescribeKey(key);
    if (!md.ok()) return Error(md.status());
    auto wrong = kms.Decrypt(enc->ciphertext, "", {{"purpose", "other"}});
    out = {{"roundtrip_equal", dec->plaintext == plaintext},
           {"ciphertext_bytes", enc->ciphertext.size()},
           {"encrypt_key_id", enc->key_id},
           {"data_key_bytes", dk->plaintext.size()},
           {"data_key_ciphertext_bytes", dk->ciphertext.size()},
           {"random_bytes", rnd->size()},
           {"key_arn", md->arn},
           {"key_state", md->key_state},
           {"enabled", md->enabled},
           {"creation_ms", md->creation_ms},
           {"wrong_context_error",
            wrong.ok() ? "" : aws::AwsErrorOf(wrong.status()).value_or(aws::AwsError{}).code}};
  } else if (cmd == "kms-describe") {
    auto c = client_for(aws::services::kKms);
    if (!c.ok()) return Error(c.status());
    auto md = aws::KmsApi(c->get()).DescribeKey(Arg(args, 1));
    if (!md.ok()) return Error(md.status());
    out = {{"key_arn", md->arn}};
  } else if (cmd == "orgs-list") {
    auto c = client_for(aws::services::kOrganizations, "us-east-1");
    if (!c.ok()) return Error(c.status());
    auto accounts = aws::OrganizationsApi(c->get()).ListAccounts();
    if (!accounts.ok()) return Error(accounts.status());
    out = json::array();
    for (const auto& a : *accounts) {
      out.push_back({{"id", a.id},
                     {"name", a.name},
                     {"email", a.email},
                     {"status", a.status},
                     {"joined_ms", a.joined_ms}});
    }
  } else if (cmd == "ce") {
    // ce START END: KMS cost per Region and account.
    auto c = client_for(aws::services::kCostExplorer, "us-east-1");
    if (!c.ok()) return Error(c.status());
    aws::CostAndUsageInput in;
    in.start = Arg(args, 1);
    in.end = Arg(args, 2);
    in.metrics = {"UnblendedCost"};
    in.group_by = {"REGION", "LINKED_ACCOUNT"};
    in.dimensions = {{"SERVICE", {"AWS Key Management Service"}}};
    auto rows = aws::CostExplorerApi(c->get()).GetCostAndUsage(in);
    if (!rows.ok()) return Error(rows.status());
    out = json::array();
    for (const auto& r : *rows) {
      json m = json::object();
      for (const auto& [k, v] : r.metrics) m[k] = v.amount;
      out.push_back({{"start", r.start}, {"keys", r.keys}, {"metrics", m}});
    }
  } else if (cmd == "sqs-drain") {
    // sqs-drain QUEUE_URL: receive until empty, deleting each message.
    auto c = client_for(aws::services::kSqs);
    if (!c.ok()) return Error(c.status());
    aws::SqsApi sqs(c->get());
    out = json::array();
    while (true) {
      aws::ReceiveMessageInput in;
      in.queue_url = Arg(args, 1);
      in.max_messages = 10;
      auto msgs = sqs.ReceiveMessage(in);
      if (!msgs.ok()) return Error(msgs.status());
      if (msgs->empty()) break;
      for (const auto& m : *msgs) {
        out.push_back({{"id", m.message_id}, {"body", m.body}});
        Status st = sqs.DeleteMessage(in.queue_url, m.receipt_handle);
        if (!st.ok()) return Error(st);
      }
    }
  } else if (cmd == "support") {
    // support: DescribeServices, DescribeSeverityLevels, CreateCase, DescribeCases.
    auto c = client_for(aws::services::kSupport, "us-east-1");
    if (!c.ok()) return Error(c.status());
    aws::SupportApi support(c->get());
    auto services = support.DescribeServices();
    auto severities = support.DescribeSeverityLevels();
    aws::CreateCaseInput in;
    in.subject = "SLA Credit Request: AWS KMS us-east-1 2026-10";
    in.communication_body = "Integration test case body";
    in.service_code = "key-management-service";
    in.category_code = "general-guidance";
    in.severity_code = "low";
    in.issue_type = "customer-service";
    in.language = "en";
    in.cc_email_addresses = {"finops@example.com"};
    auto id = support.CreateCase(in);
    if (!id.ok()) return Error(id.status());
    aws::DescribeCasesInput dc;
    dc.case_ids = {*id};
    dc.include_communications = true;
    auto cases = support.DescribeCases(dc);
    if (!cases.ok()) return Error(cases.status());
    out = {{"case_id", *id},
           {"services_ok", services.ok()},
           {"services", services.ok() ? services->size() : 0},
           {"severities", severities.ok() ? severities->size() : 0},
           {"cases", json::array()}};
    for (const auto& sc : *cases) {
      out["cases"].push_back({{"case_id", sc.case_id},
                              {"subject", sc.subject},
                              {"status", sc.status},
                              {"severity_code", sc.severity_code},
                              {"service_code", sc.service_code}});
    }
  } else if (cmd == "support-recorded") {
    // support-recorded CASE_ID: the calls moto lacks.
    auto c = client_for(aws::services::kSupport, "us-east-1");
    if (!c.ok()) return Error(c.status());
    aws::SupportApi support(c->get());
    auto services = support.DescribeServices({"key-management-service"});
    if (!services.ok()) return Error(services.status());
    auto severities = support.DescribeSeverityLevels();
    if (!severities.ok()) return Error(severities.status());
    auto set = support.AddAttachmentsToSet(
        {{"requests.csv", "time,request_id\n"}, {"mup.txt", std::string("\x00\x01", 2)}});
    if (!set.ok()) return Error(set.status());
    aws::AddCommunicationInput add;
    add.case_id = Arg(args, 1);
    add.communication_body = "Evidence attached";
    add.attachment_set_id = set->attachment_set_id;
    auto added = support.AddCommunicationToCase(add);
    if (!added.ok()) return Error(added.status());
    aws::DescribeCommunicationsInput dc;
    dc.case_id = Arg(args, 1);
    auto comms = support.DescribeCommunications(dc);
    if (!comms.ok()) return Error(comms.status());
    out = {{"services", services->size()},
           {"service_code", services->empty() ? "" : (*services)[0].code},
           {"severities", severities->size()},
           {"attachment_set_id", set->attachment_set_id},
           {"added", *added},
           {"communications", comms->size()},
           {"last_attachments", comms->empty() ? 0 : comms->back().attachments.size()}};
  } else if (cmd == "health-types") {
    auto c = client_for(aws::services::kHealth, "us-east-1");
    if (!c.ok()) return Error(c.status());
    auto types = aws::HealthApi(c->get()).DescribeEventTypes();
    if (!types.ok()) return Error(types.status());
    out = json::array();
    for (const auto& t : *types) out.push_back({{"service", t.service}, {"code", t.code}});
  } else {
    std::fprintf(stderr, "aws_api_harness: unknown command %s\n", cmd.c_str());
    return 2;
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
