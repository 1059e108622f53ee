#include "recoup/demo/records.h"

#include <array>
#include <cstdio>

#include "recoup/demo/generator.h"
#include "recoup/demo/text.h"

namespace recoup::demo {
namespace {

// ---------------------------------------------------------------------------
// CloudTrail: the parts every record shares.

void AppendIdentity(std::string& j, const Actor& a, const Session& s) {
  j += s.identity;
  if (!a.invoked_by.empty()) {
    j += ',';
    Kv(j, "invokedBy", a.invoked_by);
  }
  j += "},";
}

struct EventHead {
  std::string_view version, source, name, source_ip, user_agent;
  int64_t sec_ms = 0;
};

// From the opening brace through "userAgent".
void AppendEventHead(std::string& j, const Cell& cell, const Actor& a, const Session& s,
                     const EventHead& h) {
  j += "{\"eventVersion\":\"";
  j += h.version;
  j += "\",";
  AppendIdentity(j, a, s);
  KvList(j, {{"eventTime", Iso(h.sec_ms)},
             {"eventSource", h.source},
             {"eventName", h.name},
             {"awsRegion", cell.region},
             {"sourceIPAddress", h.source_ip},
             {"userAgent", h.user_agent}});
}

// "requestID":...,"eventID":...,"readOnly":true,
void AppendIds(std::string& j, std::string_view request_id, std::string_view event_id) {
  KvList(j, {{"requestID", request_id}, {"eventID", event_id}});
  j += ",\"readOnly\":true,";
}

// One element of "resources".
void AppendResource(std::string& j, const Cell& cell, std::string_view type, std::string_view arn) {
  j += '{';
  Kv(j, "accountId", cell.account);
  j += ",\"type\":\"";
  j += type;
  j += "\",";
  Kv(j, "ARN", arn);
  j += '}';
}

// From "eventType" through the closing brace.
void AppendTail(std::string& j, const Cell& cell, const Actor& a, std::string_view host,
                bool with_tls) {
  j += "\"eventType\":\"AwsApiCall\",\"managementEvent\":true,";
  Kv(j, "recipientAccountId", cell.account);
  if (!a.vpc_endpoint.empty()) {
    j += ',';
    KvList(j, {{"vpcEndpointId", a.vpc_endpoint}, {"vpcEndpointAccountId", cell.account}});
  }
  j += ",\"eventCategory\":\"Management\"";
  if (with_tls) {
    j += ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",";
    Kv(j, "clientProvidedHostHeader", host);
    j += '}';
  }
  j += '}';
}

// ---------------------------------------------------------------------------
// KMS records.

// The encryption context an actor sends, as a JSON object.
std::string Context(const Cell& cell, const Actor& a, int64_t ms, Rng& rng) {
  std::string j = "{";
  switch (a.ctx) {
    case Ctx::kMerchant: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "m-%06u", static_cast<unsigned>(rng.Range(1, 4800)));
      Kv(j, "merchant_id", buf);
      j += ",\"purpose\":\"card-vault\"";
      break;
    }
    case Ctx::kSettlement:
      Kv(j, "settlement_batch", Iso(ms).substr(0, 13));
      break;
    case Ctx::kSecret:
      KvList(j, {{"SecretARN", cell.secret_arn}, {"SecretVersionId", cell.secret_version}});
      break;
    case Ctx::kS3:
      Kv(j, "aws:s3:arn",
         "arn:aws:s3:::" + cell.bucket + "/" + DatePath(ms) + "/" + RandomChars(rng, kHex, 12) +
             ".json");
      break;
    case Ctx::kDataset: {
      static constexpr std::array<const char*, 4> kSets = {"orders", "payments", "sessions",
                                                           "inventory"};
      Kv(j, "dataset", kSets[rng.Below(kSets.size())]);
      j += ',';
      Kv(j, "partition", "dt=" + DateDash(ms));
      break;
    }
    case Ctx::kLedger: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "j-%05u", static_cast<unsigned>(rng.Range(1, 99999)));
      j += "\"ledger\":\"au-settlement\",";
      Kv(j, "journal", buf);
      break;
    }
    case Ctx::kReport: {
      static constexpr std::array<const char*, 3> kReports = {"daily-revenue", "churn", "cohort"};
      Kv(j, "report", kReports[rng.Below(kReports.size())]);
      break;
    }
  }
  j += '}';
  return j;
}

// "requestParameters":{...} of a KMS operation, without the braces.
void AppendKmsParameters(std::string& j, const Cell& cell, const KmsCall& c, Rng& rng) {
  const Actor& a = *c.actor;
  const std::string_view op = c.op;
  const bool omit_key = op == "Decrypt" && c.key_ref.rfind("alias/", 0) != 0 &&
                        (!a.invoked_by.empty() || rng.Chance(60, 100));
  if (op == "Decrypt") {
    j += "\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",";
    if (!omit_key) {
      Kv(j, "keyId", c.key_ref);
      j += ',';
    }
    j += "\"encryptionContext\":" + Context(cell, a, c.ms, rng);
  } else if (op == "Encrypt") {
    Kv(j, "keyId", c.key_ref);
    j += ",\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"encryptionContext\":" +
         Context(cell, a, c.ms, rng);
  } else if (op == "GenerateDataKey" || op == "GenerateDataKeyWithoutPlaintext") {
    Kv(j, "keyId", c.key_ref);
    j += ",\"encryptionContext\":" + Context(cell, a, c.ms, rng) + ",\"keySpec\":\"AES_256\"";
  } else if (op == "ReEncrypt") {
    j += "\"sourceEncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"sourceEncryptionContext\":" +
         Context(cell, a, c.ms, rng) + ",";
    Kv(j, "destinationKeyId", c.dest != nullptr ? c.dest->arn : c.key_ref);
    j += ",\"destinationEncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\","
         "\"destinationEncryptionContext\":" +
         Context(cell, a, c.ms, rng);
  } else if (op == "Sign") {
    Kv(j, "keyId", c.key_ref);
    j += ",\"messageType\":\"DIGEST\",\"signingAlgorithm\":\"RSASSA_PSS_SHA_256\"";
  } else {  // DescribeKey
    Kv(j, "keyId", c.key_ref);
  }
}

// ---------------------------------------------------------------------------
// Other services' records.

// The role session name each SDK gives an AssumeRole call.
std::string StsSessionName(const Actor& a, int64_t ms, Rng& rng) {
  if (a.user_agent.rfind("Boto3", 0) == 0) {
    return "botocore-session-" + std::to_string(ms / 1000);
  }
  if (a.user_agent.rfind("aws-sdk-js", 0) == 0) return "aws-sdk-js-" + std::to_string(ms);
  if (a.user_agent.rfind("aws-sdk-java", 0) == 0) return "aws-sdk-java-" + std::to_string(ms);
  return "aws-go-sdk-" + std::to_string(ms) + std::to_string(rng.Range(100000, 999999));
}

void AppendAssumeRole(std::string& j, const Cell& cell, const Actor& a, const Session& s,
                      int64_t ms, Rng& rng) {
  const int64_t sec_ms = ms / 1000 * 1000;
  const std::string target = cell.account_name + "-reporting-readonly";
  const std::string role_arn = "arn:aws:iam::" + cell.account + ":role/" + target;
  const std::string session = StsSessionName(a, ms, rng);
  Rng cred(rng.Next());
  AppendEventHead(j, cell, a, s,
                  {"1.08", "sts.amazonaws.com", "AssumeRole", a.ips[0], a.user_agent, sec_ms});
  j += ",\"requestParameters\":{";
  KvList(j, {{"roleArn", role_arn}, {"roleSessionName", session}});
  j += ",\"durationSeconds\":3600},\"responseElements\":{\"credentials\":{";
  const std::string access_key = "ASIA" + RandomChars(cred, kBase32, 16);
  const std::string token = "IQoJb3JpZ2luX2VjE" + RandomChars(cred, kBase64, 380);
  KvList(j, {{"accessKeyId", access_key},
             {"sessionToken", token},
             {"expiration", StsExpiration(sec_ms + kHourMs)}});
  j += "},\"assumedRoleUser\":{";
  const std::string target_id = "AROA" + RandomChars(cred, kBase32, 17);
  KvList(j, {{"assumedRoleId", target_id + ":" + session},
             {"arn", "arn:aws:sts::" + cell.account + ":assumed-role/" + target + "/" + session}});
  j += "}},";
  const std::string request_id = Uuid(rng);
  AppendIds(j, request_id, Uuid(rng));
  j += "\"resources\":[";
  AppendResource(j, cell, "AWS::IAM::Role", role_arn);
  j += "],";
}

void AppendListBuckets(std::string& j, const Cell& cell, const Actor& a, const Session& s,
                       int64_t ms, std::string_view host, Rng& rng) {
  const std::string user_agent = "[" + a.user_agent + "]";
  AppendEventHead(
      j, cell, a, s,
      {"1.09", "s3.amazonaws.com", "ListBuckets", a.ips[0], user_agent, ms / 1000 * 1000});
  j += ",\"requestParameters\":{";
  Kv(j, "Host", host);
  j += "},\"responseElements\":null,\"additionalEventData\":{\"SignatureVersion\":\"SigV4\","
       "\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,"
       "\"AuthenticationMethod\":\"AuthHeader\",";
  Kv(j, "x-amz-id-2", RandomChars(rng, kBase64, 76));
  j += ",\"bytesTransferredOut\":" + std::to_string(rng.Range(1800, 2600)) + "},";
  const std::string request_id = RandomChars(rng, "0123456789ABCDEF", 16);
  AppendIds(j, request_id, Uuid(rng));
}

void AppendGetSecretValue(std::string& j, const Cell& cell, const Actor& a, const Session& s,
                          int64_t ms, Rng& rng) {
  AppendEventHead(j, cell, a, s,
                  {"1.11", "secretsmanager.amazonaws.com", "GetSecretValue", a.ips[0], a.user_agent,
                   ms / 1000 * 1000});
  j += ",\"requestParameters\":{";
  Kv(j, "secretId", cell.secret_name);
  j += "},\"responseElements\":null,";
  const std::string request_id = Uuid(rng);
  AppendIds(j, request_id, Uuid(rng));
}

// ---------------------------------------------------------------------------
// CSM datagrams.

// From the opening brace through "Timestamp".
void AppendCsmHead(std::string& j, std::string_view type, std::string_view op, int64_t timestamp) {
  j += "{\"Version\":1,";
  Kv(j, "ClientId", kCsmClientId);
  j += ",\"Type\":\"";
  j += type;
  j += "\",\"Service\":\"KMS\",";
  Kv(j, "Api", op);
  j += ",\"Timestamp\":" + std::to_string(timestamp);
}

std::string SdkMessage(std::string_view exception, std::string_view fqdn) {
  const char* what = exception == "ConnectTimeoutError" ? "Connect" : "Read";
  return std::string(what) + " timeout on endpoint URL: \"https://" + std::string(fqdn) + "/\"";
}

// How an attempt ended: the HTTP status (and the request ID, when given) and
// the AWS exception, or the SDK's exception. `prefix` is "" for an attempt,
// "Final" for a call.
void AppendCsmResult(std::string& j, const std::string& prefix, const CsmAttempt& at,
                     const std::string* request_id, std::string_view fqdn) {
  if (!at.sdk_exception.empty()) {
    j += ',';
    KvList(j, {{prefix + "SdkException", at.sdk_exception},
               {prefix + "SdkExceptionMessage", SdkMessage(at.sdk_exception, fqdn)}});
    return;
  }
  j += ",\"" + prefix + "HttpStatusCode\":" + std::to_string(at.outcome.http);
  if (request_id != nullptr) {
    j += ',';
    Kv(j, "XAmznRequestId", *request_id);
  }
  if (!at.outcome.code.empty()) {
    j += ',';
    KvList(j, {{prefix + "AwsException", at.outcome.code},
               {prefix + "AwsExceptionMessage", at.outcome.message}});
  }
}

std::string KmsFqdn(const Cell& cell) { return "kms." + cell.region + ".amazonaws.com"; }

}  // namespace

std::string IdentityJson(const Cell& cell, const Actor& a, const Session& s) {
  const std::string& acct = cell.account;
  std::string j;
  j += "\"userIdentity\":{\"type\":\"AssumedRole\",";
  KvList(j, {{"principalId", s.principal_id},
             {"arn", "arn:aws:sts::" + acct + ":assumed-role/" + a.role + "/" + s.session_name},
             {"accountId", acct},
             {"accessKeyId", s.access_key}});
  j += ",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",";
  KvList(j, {{"principalId", s.role_id},
             {"arn", "arn:aws:iam::" + acct + ":role/" + a.role},
             {"accountId", acct},
             {"userName", a.role}});
  j += "},\"webIdFederationData\":{},\"attributes\":{";
  Kv(j, "creationDate", s.creation);
  j += ",\"mfaAuthenticated\":\"false\"}";
  if (a.host == Host::kEc2) j += ",\"ec2RoleDelivery\":\"2.0\"";
  j += '}';
  return j;
}

std::string KmsRecordJson(const Cell& cell, const KmsCall& c, Rng& rng) {
  const Actor& a = *c.actor;
  const Outcome& o = *c.outcome;
  std::string j;
  j.reserve(1700);
  const std::string& source_ip = a.ips[rng.Below(a.ips.size())];
  AppendEventHead(j, cell, a, *c.session,
                  {"1.11", "kms.amazonaws.com", c.op, source_ip, a.user_agent, c.ms / 1000 * 1000});
  if (!o.code.empty()) {
    j += ',';
    Kv(j, "errorCode", o.code);
    if (!o.message.empty()) {
      j += ',';
      Kv(j, "errorMessage", o.message);
    }
  }
  j += ",\"requestParameters\":{";
  AppendKmsParameters(j, cell, c, rng);
  j += "},\"responseElements\":null,";
  if (c.key != nullptr && c.key->kind == KeyKind::kXks) {
    j += "\"additionalEventData\":{";
    KvList(j, {{"customKeyStoreId", c.key->custom_key_store_id}, {"xksKeyId", c.key->xks_key_id}});
    j += "},";
  }
  AppendIds(j, c.request_id, Uuid(rng));
  if (c.key != nullptr) {
    j += "\"resources\":[";
    AppendResource(j, cell, "AWS::KMS::Key", c.key->arn);
    if (c.dest != nullptr && c.dest != c.key) {
      j += ',';
      AppendResource(j, cell, "AWS::KMS::Key", c.dest->arn);
    }
    j += "],";
  }
  AppendTail(j, cell, a, KmsFqdn(cell), a.invoked_by.empty());
  return j;
}

std::string OtherServiceRecordJson(const Cell& cell, const Actor& a, const Session& s, int64_t ms,
                                   Rng& rng) {
  const uint64_t r = rng.Below(100);
  std::string j;
  j.reserve(2000);
  std::string host;
  if (r < 40) {
    host = "sts." + cell.region + ".amazonaws.com";
    AppendAssumeRole(j, cell, a, s, ms, rng);
  } else if (r < 60) {
    host = "s3." + cell.region + ".amazonaws.com";
    AppendListBuckets(j, cell, a, s, ms, host, rng);
  } else {
    host = "secretsmanager." + cell.region + ".amazonaws.com";
    AppendGetSecretValue(j, cell, a, s, ms, rng);
  }
  AppendTail(j, cell, a, host, true);
  return j;
}

std::string CsmAttemptJson(const Cell& cell, const Actor& a, const Session& s, std::string_view op,
                           const CsmAttempt& at) {
  const std::string fqdn = KmsFqdn(cell);
  std::string j;
  j.reserve(1200);
  AppendCsmHead(j, "ApiCallAttempt", op, at.ms);
  j += ",\"AttemptLatency\":" + std::to_string(at.latency) + ",";
  KvList(j, {{"Fqdn", fqdn},
             {"UserAgent", a.user_agent},
             {"AccessKey", s.access_key},
             {"Region", cell.region},
             {"SessionToken", s.token}});
  AppendCsmResult(j, "", at, &at.request_id, fqdn);
  j += '}';
  return j;
}

std::string CsmApiCallJson(const Cell& cell, const Actor& a, std::string_view op, int64_t start,
                           int64_t end, int attempts, const CsmAttempt& last, bool exceeded) {
  std::string j;
  j.reserve(600);
  AppendCsmHead(j, "ApiCall", op, start);
  j += ",\"AttemptCount\":" + std::to_string(attempts) + ",";
  KvList(j, {{"Region", cell.region}, {"UserAgent", a.user_agent}});
  AppendCsmResult(j, "Final", last, nullptr, KmsFqdn(cell));
  j += ",\"Latency\":" + std::to_string(end - start) +
       ",\"MaxRetriesExceeded\":" + (exceeded ? "1" : "0") + "}";
  return j;
}

}  // namespace recoup::demo
