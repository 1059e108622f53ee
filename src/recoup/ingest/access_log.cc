#include "recoup/ingest/access_log.h"

#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <utility>

#include "recoup/core/strings.h"
#include "recoup/core/time.h"

namespace recoup::ingest {

namespace {

using events::EventView;
using events::OutcomeClass;
using events::SourceKind;

constexpr size_t kMaxLine = size_t{64} * 1024;
constexpr int64_t kEndOfYear9999Ms = 253402300800000;  // 10000-01-01T00:00:00Z

ParseOutcome Reject(std::string* error, std::string why) {
  *error = std::move(why);
  return ParseOutcome::kRejected;
}

bool IsAccount(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5": letters and
// digits in dash-separated parts, ending in a digit.
bool LooksLikeRegion(std::string_view s) {
  if (s.size() < 9 || s.size() > 25) return false;
  if (s.back() < '0' || s.back() > '9') return false;
  int dashes = 0;
  for (char c : s) {
    if (c == '-') {
      ++dashes;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return dashes >= 2;
}

// Whole-number field; nullopt for "-", empty or not a number.
std::optional<int64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

int MonthOf(std::string_view m) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i]) return i + 1;
  }
  return 0;
}

// "06/Feb/2019:00:00:38 +0000" (the common log format's time, as S3 and API
// Gateway's $context.requestTime write it) in ms since the epoch.
std::optional<int64_t> ClfTimeMs(std::string_view s) {
  // dd/Mon/yyyy:HH:MM:SS +hhmm
  if (s.size() != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
      s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-')) {
    return std::nullopt;
  }
  auto day = Number(s.substr(0, 2)), year = Number(s.substr(7, 4)), hour = Number(s.substr(12, 2)),
       minute = Number(s.substr(15, 2)), second = Number(s.substr(18, 2)),
       oh = Number(s.substr(22, 2)), om = Number(s.substr(24, 2));
  const int month = MonthOf(s.substr(3, 3));
  if (!day || !year || !hour || !minute || !second || !oh || !om || month == 0 || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60 || *oh > 23 || *om > 59 ||
      *year < 1970 || *year > 9999) {
    return std::nullopt;
  }
  const int64_t days =
      DaysFromCivil(*year, static_cast<unsigned>(month), static_cast<unsigned>(*day));
  const CivilDate check = CivilFromDays(days);
  if (check.day != *day) return std::nullopt;  // 31/Feb
  const int64_t offset_s = (*oh * 3600 + *om * 60) * (s[21] == '-' ? -1 : 1);
  const int64_t ms = (days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_s) * 1000;
  if (ms < 0 || ms >= kEndOfYear9999Ms) return std::nullopt;  // an offset past either end
  return ms;
}

// Splits an S3 access log line: fields separated by one space; a field may
// be "quoted" (no escapes inside, as S3 writes them) or [bracketed].
bool SplitS3(std::string_view line, std::vector<std::string_view>* out) {
  out->clear();
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    char close = ' ';
    size_t start = i;
    if (line[i] == '"' || line[i] == '[') {
      close = line[i] == '"' ? '"' : ']';
      start = ++i;
      const size_t end = line.find(close, i);
      if (end == std::string_view::npos) return false;
      out->push_back(line.substr(start, end - start));
      i = end + 1;
      if (i < line.size() && line[i] != ' ') return false;
      continue;
    }
    const size_t end = line.find(' ', i);
    out->push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    i = end == std::string_view::npos ? line.size() : end;
  }
  return true;
}

// The Region an S3 host name carries ("bucket.s3.us-west-2.amazonaws.com",
// "s3-us-west-2.amazonaws.com", "s3.dualstack.eu-west-1.amazonaws.com"), if any.
std::string_view S3HostRegion(std::string_view host) {
  std::vector<std::string_view> labels = Split(host, '.');
  for (size_t i = 0; i < labels.size(); ++i) {
    std::string_view l = labels[i];
    if (l.size() > 3 && l.substr(0, 3) == "s3-" && LooksLikeRegion(l.substr(3))) {
      return l.substr(3);
    }
    if (l == "s3") {
      for (size_t j = i + 1; j < labels.size() && j <= i + 2; ++j) {
        if (LooksLikeRegion(labels[j])) return labels[j];
      }
    }
  }
  return {};
}

// "arn:aws:s3:us-west-1:123456789012:accesspoint/x": Region and account.
void ArnRegionAccount(std::string_view arn, std::string_view* region, std::string_view* account) {
  std::vector<std::string_view> parts = Split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn") return;
  if (LooksLikeRegion(parts[3])) *region = parts[3];
  if (IsAccount(parts[4])) *account = parts[4];
}

// "abc123.execute-api.us-east-1.amazonaws.com" -> "us-east-1".
std::string_view ExecuteApiRegion(std::string_view host) {
  std::vector<std::string_view> labels = Split(host, '.');
  for (size_t i = 0; i + 1 < labels.size(); ++i) {
    if (labels[i] == "execute-api" && LooksLikeRegion(labels[i + 1])) return labels[i + 1];
  }
  return {};
}

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

const char* AccessLogFormatName(AccessLogFormat f) {
  switch (f) {
    case AccessLogFormat::kS3:
      return "s3-access-log";
    case AccessLogFormat::kApiGateway:
      return "apigateway-access-log";
    case AccessLogFormat::kCloudFront:
      return "cloudfront-log";
  }
  return "?";
}

struct AccessLogParser::Json {
  simdjson::dom::parser parser;
};

AccessLogParser::AccessLogParser(std::shared_ptr<const sla::Catalog> catalog,
                                 AccessLogFormat format, AccessLogOptions options)
    : catalog_(std::move(catalog)),
      format_(format),
      opt_(std::move(options)),
      json_(std::make_unique<Json>()) {}

AccessLogParser::~AccessLogParser() = default;

std::optional<AccessLogFormat> AccessLogParser::Detect(std::string_view head) {
  if (head.substr(0, 9) == "#Version:" || head.substr(0, 8) == "#Fields:") {
    const size_t nl = head.find('\n');
    const std::string_view rest = nl == std::string_view::npos ? "" : head.substr(nl + 1);
    if (head.find("x-edge-request-id") != std::string_view::npos ||
        rest.substr(0, 8) == "#Fields:") {
      return AccessLogFormat::kCloudFront;
    }
  }
  // S3: a 64-hex-digit canonical owner ID, a bucket, then "[dd/Mon/yyyy:".
  if (head.size() > 80) {
    bool hex = true;
    for (size_t i = 0; i < 64 && hex; ++i) {
      const char c = head[i];
      hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (hex && head[64] == ' ') {
      const size_t bracket = head.find(" [", 65);
      if (bracket != std::string_view::npos && bracket < 130 && head.size() > bracket + 29 &&
          ClfTimeMs(head.substr(bracket + 2, 26))) {
        return AccessLogFormat::kS3;
      }
    }
  }
  return std::nullopt;  // API Gateway lines are JSON of the user's own shape: --format
}

ParseOutcome AccessLogParser::ParseLine(std::string_view line, EventView* out, std::string* error) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (TrimBlanks(line).empty()) return ParseOutcome::kSkipped;
  if (line.size() > kMaxLine) {
    return Reject(error, "line longer than " + std::to_string(kMaxLine) + " bytes");
  }
  switch (format_) {
    case AccessLogFormat::kS3:
      return S3(line, out, error);
    case AccessLogFormat::kApiGateway:
      return ApiGateway(line, out, error);
    case AccessLogFormat::kCloudFront:
      return CloudFront(line, out, error);
  }
  return ParseOutcome::kSkipped;
}

ParseOutcome AccessLogParser::Finish(const sla::ServiceTerms& terms, EventView* out) {
  out->account = account_;
  out->region = region_;
  out->service = terms.key;
  out->operation = operation_;
  out->error_code = error_code_;
  out->request_id = request_id_;
  out->resource = resource_;
  if (out->http_status >= 200 && out->http_status < 400 && error_code_.empty()) {
    out->outcome = OutcomeClass::kSuccess;
  } else {
    out->outcome = terms.Classify(error_code_, out->http_status);
  }
  return ParseOutcome::kAccepted;
}

// Fields (0-based): 0 owner, 1 bucket, 2 time, 3 remote IP, 4 requester,
// 5 request ID, 6 operation, 7 key, 8 request URI, 9 HTTP status, 10 error
// code, 11 bytes sent, 12 object size, 13 total time, 14 turn-around time,
// 15 referer, 16 user agent, 17 version ID, 18 host ID, 19 signature version,
// 20 cipher suite, 21 authentication type, 22 host header, 23 TLS version,
// 24 access point ARN, 25 ACL required (later fields ignored).
ParseOutcome AccessLogParser::S3(std::string_view line, EventView* out, std::string* error) {
  const sla::ServiceTerms* terms = catalog_->Find("s3");
  if (terms == nullptr) return ParseOutcome::kSkipped;
  if (!SplitS3(line, &fields_)) return Reject(error, "unterminated quoted or bracketed field");
  if (fields_.size() < 18) {
    return Reject(error, "S3 access log line has " + std::to_string(fields_.size()) +
                             " fields, want at least 18");
  }
  const std::string_view op = fields_[6];
  // Lifecycle transitions/expirations and the per-key entries of a
  // multi-object delete are S3's own bookkeeping, not requests.
  if (op.substr(0, 3) == "S3." || op.substr(0, 6) == "BATCH.") return ParseOutcome::kSkipped;
  auto t = ClfTimeMs(fields_[2]);
  if (!t) return Reject(error, "field 'time': not [dd/Mon/yyyy:HH:MM:SS +hhmm]");
  auto status = Number(fields_[9]);
  if (!status || *status < 100 || *status > 599) {
    return Reject(error, "field 'http_status': '" + std::string(fields_[9].substr(0, 16)) +
                             "' is not an HTTP status");
  }
  const std::string_view rid = fields_[5];
  if (rid.empty() || rid == "-" || rid.size() > 128 || HasControl(rid)) {
    return Reject(error, "field 'request_id': missing or malformed");
  }
  std::string_view region, account;
  if (fields_.size() > 24 && fields_[24] != "-") ArnRegionAccount(fields_[24], &region, &account);
  if (region.empty() && fields_.size() > 22) region = S3HostRegion(fields_[22]);
  if (region.empty()) region = opt_.region;
  if (account.empty()) account = opt_.account;
  if (region.empty()) {
    return Reject(error, "field 'host_header': names no Region (pass --region)");
  }
  if (!IsAccount(account)) {
    return Reject(error, "S3 access logs name the bucket owner by canonical ID: pass --account");
  }
  const std::string_view bucket = fields_[1];
  if (bucket.empty() || bucket.size() > 63 || HasControl(bucket)) {
    return Reject(error, "field 'bucket': missing or malformed");
  }
  account_.assign(account);
  region_.assign(region);
  operation_.assign(op.substr(0, 128));
  error_code_.assign(fields_[10] == "-" ? std::string_view() : fields_[10].substr(0, 128));
  request_id_.assign(rid);
  resource_ = "arn:aws:s3:::";
  resource_.append(bucket);
  out->time_ms = *t;
  out->http_status = static_cast<int>(*status);
  auto total = Number(fields_[13]);
  out->latency_ms = total ? *total : -1;
  out->source = SourceKind::kJsonl;
  return Finish(*terms, out);
}

ParseOutcome AccessLogParser::ApiGateway(std::string_view line, EventView* out,
                                         std::string* error) {
  const sla::ServiceTerms* terms = catalog_->Find("apigateway");
  if (terms == nullptr) return ParseOutcome::kSkipped;
  simdjson::dom::parser& parser = json_->parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(line.data(), line.size()).get(doc); e != simdjson::SUCCESS) {
    return Reject(error, std::string("invalid JSON: ") + simdjson::error_message(e));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return Reject(error, "not a JSON object");
  // A $context variable by its name: a flat key ("error.responseType"), the
  // nested form ({"error": {"responseType": ...}}), string or number.
  std::string scratch[9];
  auto get = [&](std::initializer_list<const char*> names, std::string* into,
                 const char** which) -> bool {
    for (const char* name : names) {
      simdjson::dom::element v;
      if (obj[name].get(v) != simdjson::SUCCESS) {
        const std::string_view n(name);
        const size_t dot = n.find('.');
        if (dot == std::string_view::npos) continue;
        simdjson::dom::element parent;
        if (obj[n.substr(0, dot)].get(parent) != simdjson::SUCCESS) continue;
        if (parent[n.substr(dot + 1)].get(v) != simdjson::SUCCESS) continue;
      }
      std::string_view s;
      int64_t i = 0;
      if (v.get_string().get(s) == simdjson::SUCCESS) {
        into->assign(s);
      } else if (v.get_int64().get(i) == simdjson::SUCCESS) {
        *into = std::to_string(i);
      } else if (v.is_null()) {
        into->clear();
      } else {
        *which = name;
        return false;
      }
      if (*into == "-") into->clear();
      return true;
    }
    into->clear();
    return true;
  };
  const char* bad = nullptr;
  std::string& rid = scratch[0];
  std::string& status_s = scratch[1];
  std::string& integ = scratch[2];
  std::string& type = scratch[3];
  std::string& epoch = scratch[4];
  std::string& clf = scratch[5];
  std::string& api = scratch[6];
  std::string& acct = scratch[7];
  std::string& domain = scratch[8];
  if (!get({"requestId"}, &rid, &bad) || !get({"status"}, &status_s, &bad) ||
      !get({"integrationStatus", "integration.status"}, &integ, &bad) ||
      !get({"error.responseType", "errorResponseType", "responseType"}, &type, &bad) ||
      !get({"requestTimeEpoch"}, &epoch, &bad) || !get({"requestTime"}, &clf, &bad) ||
      !get({"apiId"}, &api, &bad) || !get({"accountId"}, &acct, &bad) ||
      !get({"domainName"}, &domain, &bad)) {
    return Reject(error, std::string("field '") + bad + "': not a string or number");
  }
  if (rid.empty() || rid.size() > 128 || HasControl(rid)) {
    return Reject(error, "field 'requestId': missing or malformed");
  }
  auto status = Number(status_s);
  if (!status || *status < 100 || *status > 599) {
    return Reject(error, "field 'status': missing or not an HTTP status");
  }
  std::optional<int64_t> t;
  if (!epoch.empty()) {
    auto e = Number(epoch);
    // $context.requestTimeEpoch is in milliseconds.
    if (e && *e >= 0 && *e < kEndOfYear9999Ms) t = *e;
  } else if (!clf.empty()) {
    t = ClfTimeMs(clf);
  }
  if (!t) return Reject(error, "field 'requestTimeEpoch' or 'requestTime': missing or invalid");
  std::string_view region = ExecuteApiRegion(domain);
  if (region.empty()) region = opt_.region;
  if (region.empty()) return Reject(error, "field 'domainName': names no Region (pass --region)");
  std::string_view account = acct;
  if (account.empty()) account = opt_.account;
  if (!IsAccount(account)) {
    return Reject(error,
                  "field 'accountId': missing or not a 12-digit account (or pass --account)");
  }
  account_.assign(account);
  region_.assign(region);
  operation_ = "Invoke";
  request_id_ = rid;
  resource_ = api.substr(0, 64);
  error_code_.clear();
  out->http_status = static_cast<int>(*status);
  if (*status >= 500) {
    // An Error is an API Gateway internal service error: a failure of the
    // integration (the customer's back end) or of an authorizer is not one.
    auto integration = Number(integ);
    if (!type.empty() && type != "DEFAULT_5XX") {
      error_code_ = type.substr(0, 64);  // INTEGRATION_FAILURE, AUTHORIZER_FAILURE, ...
    } else if (integration && *integration >= 500) {
      error_code_ = "INTEGRATION_FAILURE";
    } else {
      error_code_ = "InternalFailure";
    }
  } else if (*status == 429) {
    error_code_ = "TooManyRequestsException";
  }
  out->time_ms = *t;
  out->latency_ms = -1;
  out->source = SourceKind::kJsonl;
  return Finish(*terms, out);
}

ParseOutcome AccessLogParser::CloudFront(std::string_view line, EventView* out,
                                         std::string* error) {
  if (line.front() == '#') {
    if (line.substr(0, 8) == "#Fields:") {
      cloudfront_columns_.clear();
      for (std::string_view f : Split(TrimBlanks(line.substr(8)), ' ')) {
        if (!f.empty()) cloudfront_columns_.emplace_back(f);
      }
    }
    return ParseOutcome::kSkipped;
  }
  const sla::ServiceTerms* terms = catalog_->Find("cloudfront");
  if (terms == nullptr) return ParseOutcome::kSkipped;
  if (cloudfront_columns_.empty()) return Reject(error, "a log line before any #Fields line");
  fields_ = Split(line, '\t');
  if (fields_.size() != cloudfront_columns_.size()) {
    return Reject(error, "line has " + std::to_string(fields_.size()) + " fields, #Fields names " +
                             std::to_string(cloudfront_columns_.size()));
  }
  auto col = [&](std::string_view name) -> std::string_view {
    for (size_t i = 0; i < cloudfront_columns_.size(); ++i) {
      if (cloudfront_columns_[i] == name) return fields_[i] == "-" ? "" : fields_[i];
    }
    return {};
  };
  const std::string_view date = col("date"), time = col("time");
  auto t = ParseTimestampMs(std::string(date) + "T" + std::string(time) + "Z");
  if (date.size() != 10 || time.size() != 8 || !t.ok() || *t < 0 || *t >= kEndOfYear9999Ms) {
    return Reject(error, "field 'date'/'time': not YYYY-MM-DD and HH:MM:SS");
  }
  auto status = Number(col("sc-status"));
  if (!status || *status > 599) return Reject(error, "field 'sc-status': not an HTTP status");
  const std::string_view rid = col("x-edge-request-id");
  if (rid.empty() || rid.size() > 128 || HasControl(rid)) {
    return Reject(error, "field 'x-edge-request-id': missing or malformed");
  }
  if (!IsAccount(opt_.account)) {
    return Reject(error, "CloudFront logs carry no account ID: pass --account");
  }
  account_ = opt_.account;
  // CloudFront's SLA is account-wide; its API and charges are in us-east-1.
  region_ = opt_.region.empty() ? "us-east-1" : opt_.region;
  operation_.assign(col("cs-method").substr(0, 16));
  request_id_.assign(rid);
  std::string_view host = col("x-host-header");
  if (host.empty()) host = col("cs(Host)");
  resource_.assign(host.substr(0, 253));
  error_code_.clear();
  out->http_status = static_cast<int>(*status);
  if (*status == 0) {
    // The viewer went away before an answer: not CloudFront's error.
    error_code_ = "ClientClosedRequest";
  } else if (*status >= 500) {
    // Only CloudFront's own failures count. The edge says whose a 5xx was:
    // "CapacityExceeded" is the edge's own; "LimitExceeded" is a limit the
    // customer hit (throttling); an "Origin..." detailed type, or "Error"
    // with the generic detailed type (which a cached origin error also has),
    // is not provably CloudFront's.
    const std::string_view result = col("x-edge-result-type");
    const std::string_view detail = col("x-edge-detailed-result-type");
    if (result == "CapacityExceeded") {
      error_code_ = "ServiceUnavailable";
    } else if (result == "LimitExceeded") {
      error_code_ = "Throttling";
    } else if (detail.substr(0, 6) == "Origin" || detail == "AbortedOrigin" ||
               detail == "SlowReaderOriginError") {
      error_code_ = "OriginError";
    } else {
      error_code_ = "UnattributedError";
    }
  }
  out->time_ms = *t;
  out->latency_ms = -1;
  out->source = SourceKind::kJsonl;
  return Finish(*terms, out);
}

}  // namespace recoup::ingest
