#include "recoup/aws/api_client.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>

#include "recoup/aws/s3_client.h"
#include "recoup/aws/sigv4.h"
#include "recoup/core/time.h"

namespace recoup::aws {
namespace {

// The payloads an AWS error Status carries: one per text field of AwsError,
// and the HTTP status. "aws.code" marks the Status as an AWS error.
constexpr char kPayloadCode[] = "aws.code";
constexpr char kPayloadHttp[] = "aws.http_status";
constexpr struct {
  const char* key;
  std::string AwsError::*field;
} kTextPayloads[] = {{kPayloadCode, &AwsError::code},
                     {"aws.message", &AwsError::message},
                     {"aws.request_id", &AwsError::request_id},
                     {"aws.service", &AwsError::service},
                     {"aws.operation", &AwsError::operation}};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

StatusCode CodeFor(const AwsError& e) {
  if (e.http_status == 403 || StartsWith(e.code, "AccessDenied") ||
      e.code == "UnrecognizedClientException" || e.code == "InvalidClientTokenId" ||
      e.code == "SignatureDoesNotMatch" || e.code == "IncompleteSignature" ||
      e.code == "ExpiredToken" || e.code == "ExpiredTokenException" ||
      e.code == "SubscriptionRequiredException" || e.code == "AWSOrganizationsNotInUseException") {
    return StatusCode::kPermissionDenied;
  }
  if (e.http_status == 404 || e.code.find("NotFound") != std::string::npos) {
    return StatusCode::kNotFound;
  }
  if (e.code == "ValidationException" || e.code == "InvalidParameterException" ||
      e.code == "InvalidParameterValue" || e.code == "InvalidParameterCombination" ||
      e.code == "InvalidRequestException" || e.code == "SerializationException" ||
      e.code == "InvalidTimeRangeException" || e.code == "InvalidLookupAttributesException") {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kUnavailable;
}

// The Status for error response `err` of call `what` ("KMS Decrypt"): the
// message names the code, message, HTTP status and request ID, and the
// payloads carry them (see AwsErrorOf).
const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// `host` is the endpoint's host (and port): named when the answer carries no
// error code or message of its own (a proxy's or load balancer's page, an
// empty body), so the user can tell which endpoint answered.
Status ErrorStatus(const std::string& what, const std::string& host, AwsError err) {
  std::string text = what + ": ";
  if (err.code.empty() && err.message.empty()) {
    const std::string reason = ReasonPhrase(err.http_status);
    text += "HTTP " + std::to_string(err.http_status) + (reason.empty() ? "" : " " + reason) +
            " from " + host + " with no AWS error in the response";
    if (!err.request_id.empty()) text += " (request ID " + err.request_id + ")";
  } else {
    text += err.code.empty() ? "error" : err.code;
    if (!err.message.empty()) text += ": " + err.message;
    text += " (HTTP " + std::to_string(err.http_status);
    if (!err.request_id.empty()) text += ", request ID " + err.request_id;
    text += ")";
  }
  Status st(CodeFor(err), text);
  if (err.code.empty()) err.code = "HTTP" + std::to_string(err.http_status);
  for (const auto& payload : kTextPayloads) st.SetPayload(payload.key, err.*payload.field);
  st.SetPayload(kPayloadHttp, std::to_string(err.http_status));
  return st;
}

}  // namespace

std::optional<AwsError> AwsErrorOf(const Status& status) {
  if (!status.GetPayload(kPayloadCode)) return std::nullopt;
  AwsError e;
  for (const auto& payload : kTextPayloads) {
    e.*payload.field = status.GetPayload(payload.key).value_or("");
  }
  e.http_status = std::atoi(status.GetPayload(kPayloadHttp).value_or("0").c_str());
  return e;
}

bool IsAwsError(const Status& status, std::string_view code) {
  auto c = status.GetPayload(kPayloadCode);
  return c && *c == code;
}

AwsError ParseAwsErrorResponse(const net::HttpResponse& response, Protocol protocol) {
  AwsError e;
  e.http_status = response.status;
  e.request_id = response.Header("x-amzn-RequestId").value_or("");
  if (e.request_id.empty()) e.request_id = response.Header("x-amz-request-id").value_or("");
  if (protocol == Protocol::kQuery || (!response.body.empty() && response.body[0] == '<')) {
    e.code = XmlTagText(response.body, "Code");
    e.message = XmlTagText(response.body, "Message");
    if (const std::string rid = XmlTagText(response.body, "RequestId"); !rid.empty()) {
      e.request_id = rid;
    }
  } else {
    try {
      const auto j = nlohmann::json::parse(response.body);
      if (j.is_object()) {
        for (const char* k : {"__type", "code", "Code"}) {
          if (auto it = j.find(k); it != j.end() && it->is_string()) {
            e.code = it->get<std::string>();
            break;
          }
        }
        for (const char* k : {"message", "Message", "errorMessage"}) {
          if (auto it = j.find(k); it != j.end() && it->is_string()) {
            e.message = it->get<std::string>();
            break;
          }
        }
      }
    } catch (const nlohmann::json::exception&) {
      // Not JSON: the header or HTTP status has to do.
    }
  }
  if (e.code.empty()) e.code = response.Header("x-amzn-ErrorType").value_or("");
  // "aws.protocoltests#FooError:http://..." -> "FooError"
  if (const size_t hash = e.code.rfind('#'); hash != std::string::npos) e.code.erase(0, hash + 1);
  if (const size_t colon = e.code.find(':'); colon != std::string::npos) e.code.resize(colon);
  return e;
}

std::string FormEncode(const QueryParams& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += UriEncode(k);
    out.push_back('=');
    out += UriEncode(v);
  }
  return out;
}

ApiClient::ApiClient(const ServiceSpec& spec, net::HttpClient* http,
                     CredentialsProvider* credentials, ApiClientOptions options)
    : spec_(spec), http_(http), credentials_(credentials), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &SystemClock();
  EndpointUrlParts parts = SplitEndpointUrl(options_.endpoint.url);
  scheme_ = std::move(parts.scheme);
  authority_ = std::move(parts.authority);
  base_path_ = std::move(parts.base_path);
}

HttpRequest ApiClient::CanonicalRequest(std::string_view operation, std::string body) const {
  HttpRequest request;
  request.method = "POST";
  request.path = base_path_.empty() ? "/" : base_path_ + "/";
  request.headers.emplace_back("Host", authority_);
  switch (spec_.protocol) {
    case Protocol::kJson10:
      request.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
      request.headers.emplace_back("X-Amz-Target",
                                   std::string(spec_.target_prefix) + "." + std::string(operation));
      break;
    case Protocol::kJson11:
      request.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
      request.headers.emplace_back("X-Amz-Target",
                                   std::string(spec_.target_prefix) + "." + std::string(operation));
      break;
    case Protocol::kQuery:
      request.headers.emplace_back("Content-Type",
                                   "application/x-www-form-urlencoded; charset=utf-8");
      break;
  }
  request.body = std::move(body);
  return request;
}

net::HttpRequest ApiClient::ToWire(HttpRequest request) const {
  net::HttpRequest wire;
  wire.method = request.method;
  wire.url = scheme_ + "://" + authority_ + request.path;
  wire.headers = std::move(request.headers);
  wire.body = std::move(request.body);
  return wire;
}

Result<net::HttpRequest> ApiClient::BuildRequest(std::string_view operation, std::string body,
                                                 const Credentials& credentials,
                                                 int64_t timestamp_ms) const {
  HttpRequest request = CanonicalRequest(operation, std::move(body));
  SigningOptions signing;
  signing.region = options_.endpoint.signing_region;
  signing.service = std::string(spec_.signing_name);
  signing.timestamp_ms = timestamp_ms;
  RECOUP_ASSIGN_OR_RETURN(SigningResult signed_info, Sign(credentials, signing, request));
  (void)signed_info;
  return ToWire(std::move(request));
}

Result<net::HttpRequest> ApiClient::BuildRestRequest(std::string_view method, std::string_view path,
                                                     std::string_view query,
                                                     const Credentials& credentials,
                                                     int64_t timestamp_ms) const {
  HttpRequest request;
  request.method = std::string(method);
  request.path = base_path_ + std::string(path);
  request.query = std::string(query);
  request.headers.emplace_back("Host", authority_);
  SigningOptions signing;
  if (spec_.signing_name == "s3") {
    signing = SigningOptions::ForS3(options_.endpoint.signing_region, timestamp_ms);
  } else {
    signing.region = options_.endpoint.signing_region;
    signing.service = std::string(spec_.signing_name);
    signing.timestamp_ms = timestamp_ms;
  }
  RECOUP_ASSIGN_OR_RETURN(SigningResult signed_info, Sign(credentials, signing, request));
  (void)signed_info;
  net::HttpRequest wire;
  wire.method = request.method;
  wire.url =
      scheme_ + "://" + authority_ + request.path + (query.empty() ? "" : "?") + std::string(query);
  wire.headers = std::move(request.headers);
  return wire;
}

net::HttpRequest ApiClient::BuildUnsignedRequest(std::string_view operation,
                                                 std::string body) const {
  return ToWire(CanonicalRequest(operation, std::move(body)));
}

Result<net::HttpResponse> ApiClient::Send(std::string_view operation, std::string body,
                                          bool idempotent) {
  const std::string what = std::string(spec_.service_id) + " " + std::string(operation);
  Credentials creds;
  net::HttpRequest wire;
  if (credentials_ == nullptr) {
    wire = BuildUnsignedRequest(operation, std::move(body));
  } else {
    Result<Credentials> got = credentials_->Get();
    if (!got.ok()) return got.status().WithPrefix(what);
    creds = std::move(*got);
    Result<net::HttpRequest> built =
        BuildRequest(operation, std::move(body), creds, options_.clock->NowMs());
    if (!built.ok()) return built.status().WithPrefix(what);
    wire = std::move(*built);
  }
  net::RequestOptions ro;
  ro.timeout_ms = options_.timeout_ms;
  ro.idempotent = idempotent;
  auto response = http_->Send(wire, ro);
  if (!response.ok()) return response.status().WithPrefix(what);
  if (response->status / 100 == 2) return std::move(*response);
  AwsError err = ParseAwsErrorResponse(*response, spec_.protocol);
  err.service = std::string(spec_.service_id);
  err.operation = std::string(operation);
  MaskSecrets(err.message, creds);
  if (err.message.size() > 1000) err.message.resize(1000);
  return ErrorStatus(what, authority_, std::move(err));
}

Result<nlohmann::json> ApiClient::CallJson(std::string_view operation, const nlohmann::json& input,
                                           bool idempotent) {
  if (spec_.protocol == Protocol::kQuery) {
    return Internal(std::string(spec_.service_id) + " speaks the query protocol: use CallQuery");
  }
  const std::string body = input.is_null() ? "{}" : input.dump();
  RECOUP_ASSIGN_OR_RETURN(net::HttpResponse response, Send(operation, body, idempotent));
  if (response.body.empty()) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(response.body);
  } catch (const nlohmann::json::exception& e) {
    return DataLoss(std::string(spec_.service_id) + " " + std::string(operation) +
                    ": response is not JSON: " + e.what());
  }
}

Result<std::string> ApiClient::CallQuery(std::string_view action, const QueryParams& params,
                                         bool idempotent) {
  if (spec_.protocol != Protocol::kQuery) {
    return Internal(std::string(spec_.service_id) + " speaks JSON: use CallJson");
  }
  QueryParams all;
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", std::string(spec_.api_version));
  all.insert(all.end(), params.begin(), params.end());
  RECOUP_ASSIGN_OR_RETURN(net::HttpResponse response, Send(action, FormEncode(all), idempotent));
  return std::move(response.body);
}

Status ApiClient::CallJsonPaginated(std::string_view operation, const nlohmann::json& input,
                                    std::string_view token_in, std::string_view token_out,
                                    const std::function<Status(const nlohmann::json&)>& on_page) {
  nlohmann::json request = input.is_null() ? nlohmann::json::object() : input;
  std::set<std::string> seen;
  while (true) {
    RECOUP_ASSIGN_OR_RETURN(nlohmann::json page, CallJson(operation, request));
    RECOUP_RETURN_IF_ERROR(on_page(page));
    const std::string next = JsonString(page, token_out);
    if (next.empty()) return Status::Ok();
    if (!seen.insert(next).second) {
      return DataLoss(std::string(spec_.service_id) + " " + std::string(operation) +
                      ": the server returned a " + std::string(token_out) +
                      " it had already given (a page loop); stopping");
    }
    request[std::string(token_in)] = next;
  }
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    const uint32_t v =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return InvalidArgument("base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return InvalidArgument("base64: data after padding");
      v[k] = value(c);
      if (v[k] < 0) return InvalidArgument("base64: invalid character");
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

std::string JsonString(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

bool JsonBool(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const nlohmann::json& JsonArray(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return kEmpty;
  return *it;
}

int64_t JsonTimeMs(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number()) return static_cast<int64_t>(std::llround(it->get<double>() * 1000.0));
  if (it->is_string()) {
    auto ms = ParseTimestampMs(it->get<std::string>());
    return ms.ok() ? *ms : 0;
  }
  return 0;
}

}  // namespace recoup::aws
