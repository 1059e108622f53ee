// One client for every AWS API recoup calls besides S3: the awsJson1_0 /
// awsJson1_1 protocols (KMS, Health, Support, Cost Explorer, Organizations,
// CloudTrail, SQS) and the awsQuery protocol (STS), SigV4-signed.
//
// Errors: an AWS error response becomes a Status whose message names the
// service, the operation, AWS's error code and message, the HTTP status and
// the request ID, and which carries them as payloads: AwsErrorOf(status)
// gives them back typed. 403 and AccessDenied* are PERMISSION_DENIED, 404 /
// ResourceNotFound* NOT_FOUND, validation errors INVALID_ARGUMENT,
// anything else UNAVAILABLE. Messages never contain secrets (the secret key
// and session token are masked if a server ever echoes them).
//
// Retries belong to the HttpClient given (net::RetryingClient): the client
// tells it whether the operation is idempotent. One ApiClient may be used
// from one thread at a time; the credentials provider may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/aws/xml.h"  // XmlTagText, XmlBlocks for query-protocol responses
#include "recoup/core/clock.h"
#include "recoup/core/status.h"
#include "recoup/net/http_client.h"

namespace recoup::aws {

enum class Protocol { kJson10, kJson11, kQuery };

// What an SDK knows about a service: its SDK service id (for endpoint
// resolution: AWS_ENDPOINT_URL_<ID>, [services] sections), SigV4 signing
// name, protocol, JSON target prefix and API version (query protocol).
struct ServiceSpec {
  std::string_view service_id;
  std::string_view signing_name;
  Protocol protocol;
  std::string_view target_prefix;
  std::string_view api_version;
};

namespace services {
inline constexpr ServiceSpec kKms{"KMS", "kms", Protocol::kJson11, "TrentService", "2014-11-01"};
inline constexpr ServiceSpec kHealth{"Health", "health", Protocol::kJson11, "AWSHealth_20160804",
                                     "2016-08-04"};
inline constexpr ServiceSpec kSupport{"Support", "support", Protocol::kJson11,
                                      "AWSSupport_20130415", "2013-04-15"};
inline constexpr ServiceSpec kCostExplorer{"Cost Explorer", "ce", Protocol::kJson11,
                                           "AWSInsightsIndexService", "2017-10-25"};
inline constexpr ServiceSpec kOrganizations{"Organizations", "organizations", Protocol::kJson11,
                                            "AWSOrganizationsV20161128", "2016-11-28"};
inline constexpr ServiceSpec kCloudTrail{"CloudTrail", "cloudtrail", Protocol::kJson11,
                                         "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
                                         "2013-11-01"};
inline constexpr ServiceSpec kSqs{"SQS", "sqs", Protocol::kJson10, "AmazonSQS", "2012-11-05"};
inline constexpr ServiceSpec kDynamoDb{"DynamoDB", "dynamodb", Protocol::kJson10,
                                       "DynamoDB_20120810", "2012-08-10"};
inline constexpr ServiceSpec kSecretsManager{"Secrets Manager", "secretsmanager", Protocol::kJson11,
                                             "secretsmanager", "2017-10-17"};
// A REST service (BuildRestRequest): the protocol names how its errors read
// (XML).
inline constexpr ServiceSpec kS3{"S3", "s3", Protocol::kQuery, "", "2006-03-01"};
inline constexpr ServiceSpec kSts{"STS", "sts", Protocol::kQuery, "", "2011-06-15"};
inline constexpr ServiceSpec kBilling{"Billing", "billing", Protocol::kJson10, "AWSBilling",
                                      "2023-09-07"};
}  // namespace services

// An AWS error response, typed.
struct AwsError {
  std::string service;    // "KMS"
  std::string operation;  // "Decrypt"
  std::string code;       // "KMSInternalException", "SubscriptionRequiredException"
  std::string message;
  std::string request_id;
  int http_status = 0;
};
// The AWS error behind a Status made by ApiClient, if it is one.
std::optional<AwsError> AwsErrorOf(const Status& status);
// True if `status` is an AWS error with this code.
bool IsAwsError(const Status& status, std::string_view code);

// Parses an error response of either protocol. `code` is empty when the body
// and headers carry none.
AwsError ParseAwsErrorResponse(const net::HttpResponse& response, Protocol protocol);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct ApiClientOptions {
  Endpoint endpoint;             // from AwsConfig::ResolveEndpoint(spec.service_id, region)
  const Clock* clock = nullptr;  // recoup::SystemClock() when null; not owned
  int64_t timeout_ms = 60000;
};

class ApiClient {
 public:
  // `http` and `credentials` must outlive the client. `credentials` may be
  // null: requests then go unsigned (STS AssumeRoleWithWebIdentity is
  // authenticated by its token, not by SigV4). Non-idempotent calls are sent
  // with RequestOptions::idempotent = false (see net/retry.h).
  ApiClient(const ServiceSpec& spec, net::HttpClient* http, CredentialsProvider* credentials,
            ApiClientOptions options);

  // awsJson protocols: POST / with X-Amz-Target "<prefix>.<operation>".
  Result<nlohmann::json> CallJson(std::string_view operation, const nlohmann::json& input,
                                  bool idempotent = true);
  // awsQuery protocol: POST / form "Action=<action>&Version=<v>&..."; the
  // response XML body.
  Result<std::string> CallQuery(std::string_view action, const QueryParams& params,
                                bool idempotent = true);

  // Calls a paginated operation until the response carries no `token_out`
  // (or an empty one): each response is given to `on_page`, and the next
  // request is `input` with `token_in` set to the previous `token_out`.
  // A token repeated twice in a row is DATA_LOSS (a server loop), not an
  // endless run.
  Status CallJsonPaginated(std::string_view operation, const nlohmann::json& input,
                           std::string_view token_in, std::string_view token_out,
                           const std::function<Status(const nlohmann::json&)>& on_page);

  // The signed wire request (exposed for tests).
  Result<net::HttpRequest> BuildRequest(std::string_view operation, std::string body,
                                        const Credentials& credentials, int64_t timestamp_ms) const;
  // The same request unsigned.
  net::HttpRequest BuildUnsignedRequest(std::string_view operation, std::string body) const;
  // A signed REST request without a body: `method` on the endpoint's base
  // path + `path` (already percent-encoded) with the raw `query`; S3 signed
  // by its own conventions (path-style), every other service as SigV4 wants.
  Result<net::HttpRequest> BuildRestRequest(std::string_view method, std::string_view path,
                                            std::string_view query, const Credentials& credentials,
                                            int64_t timestamp_ms) const;

  const ServiceSpec& spec() const { return spec_; }
  const Endpoint& endpoint() const { return options_.endpoint; }

 private:
  Result<net::HttpResponse> Send(std::string_view operation, std::string body, bool idempotent);
  // The request in canonical form, before signing.
  HttpRequest CanonicalRequest(std::string_view operation, std::string body) const;
  net::HttpRequest ToWire(HttpRequest request) const;

  ServiceSpec spec_;
  net::HttpClient* http_;
  CredentialsProvider* credentials_;
  ApiClientOptions options_;
  std::string scheme_, authority_, base_path_;
};

// application/x-www-form-urlencoded encoding as the SDKs send query requests.
std::string FormEncode(const QueryParams& params);

// Standard base64 (RFC 4648, padded) as the JSON protocols carry blobs.
std::string Base64Encode(std::string_view bytes);
// INVALID_ARGUMENT on characters outside the alphabet or bad padding.
Result<std::string> Base64Decode(std::string_view text);

// Reading awsJson responses leniently: a missing or mistyped member gives the
// empty value.
std::string JsonString(const nlohmann::json& j, std::string_view key);
bool JsonBool(const nlohmann::json& j, std::string_view key);
// The array member `key`, or an empty array.
const nlohmann::json& JsonArray(const nlohmann::json& j, std::string_view key);
// awsJson timestamps are epoch seconds (possibly fractional); some services
// send ISO 8601 strings. 0 when missing or unreadable.
int64_t JsonTimeMs(const nlohmann::json& j, std::string_view key);

// A std::string member of T and the awsJson key it is read from.
template <typename T>
struct JsonStringField {
  std::string T::*member;
  std::string_view key;
};
// A T whose listed members are JsonString(j, key) (the others
// value-initialised): the string members of a response structure read as one
// table.
template <typename T, size_t N>
T ReadJsonStrings(const nlohmann::json& j, const JsonStringField<T> (&fields)[N]) {
  T out{};
  for (const JsonStringField<T>& field : fields) out.*field.member = JsonString(j, field.key);
  return out;
}

}  // namespace recoup::aws
