#include "recoup/ingest/record_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>

#include "recoup/core/strings.h"
#include "recoup/core/time.h"
#include "recoup/validate/validate.h"

namespace recoup::ingest {

namespace dom = simdjson::dom;
using events::EventView;
using events::OutcomeClass;
using events::SourceKind;

bool SeriesLimit::Admit(const events::EventView& e) {
  const YearMonth m = YearMonth::FromMs(e.time_ms);
  std::string key;
  key.reserve(e.account.size() + e.region.size() + e.service.size() + 2);
  key.append(e.account).append("/").append(e.region).append("/").append(e.service);
  MutexLock lock(mu_);
  std::set<std::string>& seen =
      seen_[{static_cast<int>(e.source), static_cast<int64_t>(m.year) * 12 + m.month}];
  if (seen.count(key)) return true;
  if (static_cast<int64_t>(seen.size()) < max_) {
    seen.insert(std::move(key));
    return true;
  }
  ++refused_;
  return false;
}

int64_t SeriesLimit::refused() const {
  MutexLock lock(mu_);
  return refused_;
}

Result<InputFormat> ParseInputFormat(std::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "cloudtrail") return InputFormat::kCloudTrail;
  if (name == "csm") return InputFormat::kCsm;
  if (name == "jsonl") return InputFormat::kJsonl;
  if (name == "s3-access-log") return InputFormat::kS3AccessLog;
  if (name == "apigateway-access-log") return InputFormat::kApiGatewayAccessLog;
  if (name == "cloudfront-log") return InputFormat::kCloudFrontLog;
  return InvalidArgument("--format: unknown format '" + std::string(name) +
                         "' (want auto, cloudtrail, csm, jsonl, s3-access-log, "
                         "apigateway-access-log or cloudfront-log)");
}

namespace {

// The --map field names, in the order the error message lists them.
struct MappedField {
  std::string_view name;
  std::string JsonlMapping::*path;
};
constexpr MappedField kMappedFields[] = {
    {"time", &JsonlMapping::time},
    {"account", &JsonlMapping::account},
    {"region", &JsonlMapping::region},
    {"service", &JsonlMapping::service},
    {"operation", &JsonlMapping::operation},
    {"error_code", &JsonlMapping::error_code},
    {"http_status", &JsonlMapping::http_status},
    {"request_id", &JsonlMapping::request_id},
    {"resource", &JsonlMapping::resource},
    {"latency_ms", &JsonlMapping::latency_ms},
    {"custom_key_store_id", &JsonlMapping::custom_key_store},
};

std::string MappedFieldNames() {
  std::string names;
  for (const MappedField& f : kMappedFields) {
    if (!names.empty()) names += ", ";
    names += f.name;
  }
  return names;
}

}  // namespace

Result<JsonlMapping> JsonlMapping::Parse(std::string_view spec) {
  JsonlMapping m;
  for (std::string_view item : Split(spec, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      return InvalidArgument("--map: '" + std::string(item) + "' is not field=path");
    }
    const std::string_view field = item.substr(0, eq);
    const auto* known = std::find_if(std::begin(kMappedFields), std::end(kMappedFields),
                                     [field](const MappedField& f) { return f.name == field; });
    if (known == std::end(kMappedFields)) {
      return InvalidArgument("--map: unknown field '" + std::string(field) + "' (want " +
                             MappedFieldNames() + ")");
    }
    m.*known->path = std::string(item.substr(eq + 1));
  }
  return m;
}

namespace {

// The fields any supported shape may carry, collected in one pass.
struct Fields {
  // CloudTrail
  std::string_view event_time, event_source, event_name, aws_region, recipient_account,
      identity_account, error_code, request_id, event_type, custom_key_store, resource_arn;
  bool shared_event = false;
  bool has_cloudtrail_event = false;
  bool has_detail = false;
  std::string_view cloudtrail_event;  // LookupEvents: the record as a string
  // CSM
  std::string_view csm_type, csm_service, csm_api, csm_region, csm_request_id, csm_exception,
      csm_sdk_exception, csm_access_key;
  int64_t csm_timestamp = -1, csm_status = 0, csm_latency = -1;
  bool has_csm_timestamp = false;
  bool has_request_id = false, has_csm_request_id = false;  // present (even if empty)
  bool is_csm = false;
  // The first field of the wrong JSON type ("requestID: a number where a
  // string is expected"); a record with one is rejected, never reinterpreted.
  std::string type_error;
};

const char* TypeName(dom::element v) {
  switch (v.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "another type";
}

void TypeError(Fields* f, std::string_view name, dom::element v, const char* want) {
  if (!f->type_error.empty()) return;
  f->type_error.assign(name);
  f->type_error += ": ";
  f->type_error += TypeName(v);
  f->type_error += " where ";
  f->type_error += want;
  f->type_error += " is expected";
}

// A string field; null reads as absent; any other type is a type error.
std::string_view Str(dom::element v, std::string_view name, Fields* f) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return s;
  if (!v.is_null()) TypeError(f, name, v, "a string");
  return {};
}

// An integer field (a JSON integer, or a number with no fraction within
// int64); false, with a type error, otherwise (null reads as absent).
bool Int(dom::element v, std::string_view name, Fields* f, int64_t* out) {
  int64_t i;
  if (v.get_int64().get(i) == simdjson::SUCCESS) {
    *out = i;
    return true;
  }
  double d;
  if (v.is_double() && v.get_double().get(d) == simdjson::SUCCESS && d > -9e18 && d < 9e18 &&
      d == static_cast<double>(static_cast<int64_t>(d))) {
    *out = static_cast<int64_t>(d);
    return true;
  }
  if (v.is_null()) return false;
  if (v.is_number()) {
    if (f->type_error.empty()) f->type_error = std::string(name) + ": not an integer within int64";
    return false;
  }
  TypeError(f, name, v, "an integer");
  return false;
}

void ReadIdentity(dom::element v, Fields* f) {
  dom::object o;
  if (v.get_object().get(o) != simdjson::SUCCESS) return;
  dom::element e;
  if (o["accountId"].get(e) == simdjson::SUCCESS) {
    f->identity_account = Str(e, "userIdentity.accountId", f);
  }
}

void ReadAdditional(dom::element v, Fields* f) {
  dom::object o;
  if (v.get_object().get(o) != simdjson::SUCCESS) return;
  dom::element e;
  if (o["customKeyStoreId"].get(e) == simdjson::SUCCESS) {
    f->custom_key_store = Str(e, "additionalEventData.customKeyStoreId", f);
  }
}

void ReadResources(dom::element v, Fields* f) {
  dom::array a;
  if (v.get_array().get(a) != simdjson::SUCCESS) return;
  for (dom::element el : a) {
    dom::object o;
    if (el.get_object().get(o) != simdjson::SUCCESS) continue;
    dom::element e;
    if (o["ARN"].get(e) == simdjson::SUCCESS) {
      f->resource_arn = Str(e, "resources[].ARN", f);
      return;
    }
  }
}

// One pass over a record's top-level fields.
void Collect(dom::object obj, Fields* f) {
  for (dom::key_value_pair field : obj) {
    const std::string_view k = field.key;
    const dom::element v = field.value;
    if (k.empty()) continue;
    switch (k[0]) {
      case 'e':
        if (k == "eventTime")
          f->event_time = Str(v, k, f);
        else if (k == "eventSource")
          f->event_source = Str(v, k, f);
        else if (k == "eventName")
          f->event_name = Str(v, k, f);
        else if (k == "errorCode")
          f->error_code = Str(v, k, f);
        else if (k == "eventType")
          f->event_type = Str(v, k, f);
        break;
      case 'a':
        if (k == "awsRegion")
          f->aws_region = Str(v, k, f);
        else if (k == "additionalEventData")
          ReadAdditional(v, f);
        break;
      case 'r':
        if (k == "recipientAccountId")
          f->recipient_account = Str(v, k, f);
        else if (k == "requestID") {
          f->request_id = Str(v, k, f);
          f->has_request_id = !v.is_null();
        } else if (k == "resources")
          ReadResources(v, f);
        break;
      case 'u':
        if (k == "userIdentity") ReadIdentity(v, f);
        break;
      case 's':
        if (k == "sharedEventID") f->shared_event = true;
        break;
      case 'C':
        if (k == "CloudTrailEvent") {
          f->has_cloudtrail_event = true;
          f->cloudtrail_event = Str(v, k, f);
        }
        break;
      case 'd':
        if (k == "detail") {
          dom::object d;
          if (v.get_object().get(d) == simdjson::SUCCESS) {
            f->has_detail = true;
            Collect(d, f);
          }
        }
        break;
      case 'T':
        if (k == "Type") {
          f->csm_type = Str(v, k, f);
          f->is_csm = true;
        } else if (k == "Timestamp") {
          f->has_csm_timestamp = Int(v, k, f, &f->csm_timestamp);
        }
        break;
      case 'S':
        if (k == "Service")
          f->csm_service = Str(v, k, f);
        else if (k == "SdkException")
          f->csm_sdk_exception = Str(v, k, f);
        break;
      case 'A':
        if (k == "Api")
          f->csm_api = Str(v, k, f);
        else if (k == "AwsException")
          f->csm_exception = Str(v, k, f);
        else if (k == "AttemptLatency") {
          Int(v, k, f, &f->csm_latency);
        } else if (k == "AccessKey") {
          f->csm_access_key = Str(v, k, f);
        }
        break;
      case 'R':
        if (k == "Region") f->csm_region = Str(v, k, f);
        break;
      case 'X':
        if (k == "XAmznRequestId") {
          f->csm_request_id = Str(v, k, f);
          f->has_csm_request_id = !v.is_null();
        }
        break;
      case 'H':
        if (k == "HttpStatusCode") Int(v, k, f, &f->csm_status);
        break;
      default:
        break;
    }
  }
}

std::string Where(const RawRecord& rec) {
  if (rec.line <= 0) return "record " + std::to_string(rec.index + 1);
  return "line " + std::to_string(rec.line) + " (record " + std::to_string(rec.index + 1) + ")";
}

// Rejects the record: *error is "<where>: <why>".
ParseOutcome Reject(const RawRecord& rec, std::string_view why, std::string* error) {
  *error = Where(rec) + ": ";
  error->append(why);
  return ParseOutcome::kRejected;
}

std::string ToPointer(const std::string& dotted) {
  std::string p = "/";
  for (char c : dotted) {
    if (c == '.')
      p.push_back('/');
    else if (c == '~')
      p += "~0";
    else if (c == '/')
      p += "~1";
    else
      p.push_back(c);
  }
  return p;
}

// A JSON-lines field at a dotted path. Strings are taken as they are;
// numbers (in decimal) only where `numbers` (HTTP status, latency); null or
// absence leaves `slot` empty. kRejected, naming the field, for any other type.
ParseOutcome JsonlString(dom::element doc, const std::string& path, const RawRecord& rec,
                         std::string* slot, std::string* error, bool numbers = false) {
  dom::element v;
  if (doc.at_pointer(ToPointer(path)).get(v) != simdjson::SUCCESS) return ParseOutcome::kAccepted;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    slot->assign(s);
    return ParseOutcome::kAccepted;
  }
  if (v.is_null()) return ParseOutcome::kAccepted;
  int64_t n;
  if (numbers && v.get_int64().get(n) == simdjson::SUCCESS) {
    *slot = std::to_string(n);
    return ParseOutcome::kAccepted;
  }
  Fields f;
  TypeError(&f, path, v, numbers ? "a string or an integer" : "a string");
  return Reject(rec, f.type_error, error);
}

// A decimal integer field; kRejected naming it if not one.
ParseOutcome JsonlInt(const std::string& text, const std::string& path, const RawRecord& rec,
                      int64_t* out, std::string* error) {
  if (text.empty()) return ParseOutcome::kAccepted;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Reject(rec, "field '" + path + "' is not an integer", error);
  }
  *out = v;
  return ParseOutcome::kAccepted;
}

// A JSON-lines record's time: an ISO 8601 string, or epoch seconds or
// milliseconds (told apart by size), years 1970-9999. kAccepted or kRejected.
ParseOutcome ReadJsonlTime(dom::element doc, const std::string& path, const RawRecord& rec,
                           int64_t* time_ms, std::string* error) {
  dom::element v;
  if (doc.at_pointer(ToPointer(path)).get(v) != simdjson::SUCCESS) {
    return Reject(rec, "missing field '" + path + "' (time)", error);
  }
  std::string_view s;
  int64_t n;
  double d;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    auto t = ParseTimestampMs(s);
    if (!t.ok()) return Reject(rec, "field '" + path + "': " + t.status().message(), error);
    *time_ms = *t;
    return ParseOutcome::kAccepted;
  }
  if (v.get_double().get(d) != simdjson::SUCCESS && v.get_int64().get(n) != simdjson::SUCCESS) {
    return Reject(rec, "field '" + path + "' is not a timestamp", error);
  }
  if (v.get_int64().get(n) == simdjson::SUCCESS) d = static_cast<double>(n);
  constexpr double kMaxMs = 253402300800000.0;  // 10000-01-01
  const double ms = d > 1e11 ? d : d * 1000;
  if (!(ms >= 0 && ms < kMaxMs)) {
    return Reject(rec, "field '" + path + "' is not a timestamp between 1970 and 9999", error);
  }
  *time_ms = static_cast<int64_t>(ms);
  return ParseOutcome::kAccepted;
}

}  // namespace

// The names each shape gives the event's fields, for validation messages.
constexpr validate::FieldNames kCloudTrailNames{.time = "eventTime",
                                                .account = "recipientAccountId",
                                                .region = "awsRegion",
                                                .service = "eventSource",
                                                .operation = "eventName",
                                                .error_code = "errorCode",
                                                .request_id = "requestID",
                                                .resource = "resources[].ARN"};
constexpr validate::FieldNames kCsmNames{.time = "Timestamp",
                                         .account = "account (--account or AccessKey mapping)",
                                         .region = "Region",
                                         .service = "Service",
                                         .operation = "Api",
                                         .error_code = "AwsException",
                                         .request_id = "XAmznRequestId",
                                         .resource = "resource",
                                         .http_status = "HttpStatusCode",
                                         .latency_ms = "AttemptLatency"};

struct RecordParser::Impl {
  std::shared_ptr<const sla::Catalog> catalog;
  ParserOptions opt;
  const Clock* clock = nullptr;
  validate::TimeBounds bounds;
  validate::FieldNames jsonl_names;

  // Validates a record's event before it is kept. "Now" is read again only
  // when an event is later than the bound last read, so the clock costs
  // nothing on the usual path and a long-lived parser (serve) moves with time.
  ParseOutcome Check(const RawRecord& rec, const EventView& ev, const validate::FieldNames& names,
                     std::string* error) {
    if (ev.time_ms > bounds.latest_ms) {
      bounds = validate::TimeBounds::For(*catalog, clock->NowMs());
    }
    Status st = validate::EventFields(ev, names, bounds, *catalog);
    if (!st.ok()) return Reject(rec, st.message(), error);
    if (opt.series_limit && !opt.series_limit->Admit(ev)) {
      return Reject(
          rec,
          "series bound reached: more than " + std::to_string(opt.series_limit->max_series()) +
              " (account, Region, service) series of this source in " +
              YearMonth::FromMs(ev.time_ms).ToString() + " (--max-series-per-source-month)",
          error);
    }
    return ParseOutcome::kAccepted;
  }
  dom::parser parser;
  dom::parser doc_parser;  // whole documents, kept apart from per-record capacity
  dom::parser inner_parser;
  std::string inner_buf;
  std::string service_buf, account_buf, scratch[8];
  const sla::ServiceTerms* last_terms = nullptr;
  std::string last_service;
  std::string last_access_key;  // of the last CSM record

  const sla::ServiceTerms* Terms(std::string_view service) {
    if (last_terms != nullptr && service == last_service) return last_terms;
    const sla::ServiceTerms* t = catalog->FindByName(service);
    if (t != nullptr) {
      last_terms = t;
      last_service.assign(service);
    }
    return t;
  }

  ParseOutcome ParseElement(simdjson::dom::element el, const RawRecord& rec, EventView* out,
                            std::string* error);

  ParseOutcome FromCloudTrail(const Fields& f, const RawRecord& rec, EventView* out,
                              std::string* error) {
    // Service events, Insights and network activity are not API calls.
    if (!f.type_error.empty()) return Reject(rec, f.type_error, error);
    if (!f.event_type.empty() && f.event_type != "AwsApiCall") return ParseOutcome::kSkipped;
    if (f.event_time.empty()) {
      return Reject(rec, "missing eventTime", error);
    }
    if (f.event_source.empty()) {
      return Reject(rec, "missing eventSource", error);
    }
    const std::string_view service = events::ServiceFromEventSource(f.event_source);
    const sla::ServiceTerms* terms = Terms(service);
    if (terms == nullptr) return ParseOutcome::kSkipped;
    auto t = ParseTimestampMs(f.event_time);
    if (!t.ok()) {
      return Reject(rec, "eventTime: " + t.status().message(), error);
    }
    if (f.aws_region.empty()) {
      return Reject(rec, "missing awsRegion", error);
    }
    std::string_view account = f.recipient_account;
    if (account.empty()) account = f.identity_account;
    if (account.empty()) account = opt.default_account;
    if (account.empty()) {
      return Reject(rec, "missing recipientAccountId (pass --account)", error);
    }
    // With cross-account key use, the key owner receives a copy of the
    // caller's event; the request is the caller's, counted from its copy.
    if (f.shared_event && !f.identity_account.empty() && f.identity_account != account) {
      return ParseOutcome::kSkipped;
    }
    if (f.has_request_id && f.request_id.empty()) {
      return Reject(rec, "requestID: empty (a request ID, when present, is never empty)", error);
    }
    out->time_ms = *t;
    out->account = account;
    out->region = f.aws_region;
    out->service = terms->key;
    out->operation = f.event_name;
    out->error_code = events::NormalizeErrorCode(f.error_code);
    out->request_id = f.request_id;
    out->resource = f.resource_arn;
    out->http_status = 0;
    out->latency_ms = -1;
    out->source = SourceKind::kCloudTrail;
    if (!f.custom_key_store.empty()) {
      out->outcome = OutcomeClass::kCustomKeyStore;
    } else {
      out->outcome = terms->Classify(out->error_code, 0);
    }
    return Check(rec, *out, kCloudTrailNames, error);
  }

  ParseOutcome FromCsm(const Fields& f, const RawRecord& rec, EventView* out, std::string* error) {
    if (!f.type_error.empty()) return Reject(rec, f.type_error, error);
    if (f.csm_type != "ApiCallAttempt") return ParseOutcome::kSkipped;  // ApiCall summaries
    if (f.csm_service.empty()) {
      return Reject(rec, "CSM record without Service", error);
    }
    service_buf = AsciiLower(f.csm_service);
    const sla::ServiceTerms* terms = Terms(service_buf);
    if (terms == nullptr) return ParseOutcome::kSkipped;
    if (!f.has_csm_timestamp) {
      return Reject(rec, "CSM record without Timestamp", error);
    }
    if (f.has_csm_request_id && f.csm_request_id.empty()) {
      return Reject(rec, "XAmznRequestId: empty (a request ID, when present, is never empty)",
                    error);
    }
    if (f.csm_region.empty()) {
      return Reject(rec, "CSM record without Region", error);
    }
    std::string_view account;
    last_access_key.assign(f.csm_access_key);
    if (!f.csm_access_key.empty()) {
      auto it = opt.access_key_accounts.find(std::string(f.csm_access_key));
      if (it != opt.access_key_accounts.end()) account = it->second;
    }
    if (account.empty()) account = opt.default_account;
    if (account.empty() && !opt.keep_unattributed) {
      return Reject(rec, "CSM records carry no account ID: pass --account ID", error);
    }
    out->time_ms = f.csm_timestamp;
    out->account = account;
    out->region = f.csm_region;
    out->service = terms->key;
    out->operation = f.csm_api;
    out->error_code = events::NormalizeErrorCode(f.csm_exception);
    out->request_id = f.csm_request_id;
    out->resource = {};
    out->http_status = static_cast<int>(f.csm_status);
    out->latency_ms = f.csm_latency;
    out->source = SourceKind::kCsm;
    out->outcome =
        Outcome(*terms,
                out->error_code.empty() && !f.csm_sdk_exception.empty() ? f.csm_sdk_exception
                                                                        : out->error_code,
                out->http_status, out->request_id);
    if (out->error_code.empty() && !f.csm_sdk_exception.empty()) {
      out->error_code = f.csm_sdk_exception;
    }
    if (out->account.empty()) {
      // Kept until its access key's account is known: every other field is
      // checked now (the account is checked when it is attributed).
      EventView pending = *out;
      pending.account = "000000000000";
      return Check(rec, pending, kCsmNames, error);
    }
    return Check(rec, *out, kCsmNames, error);
  }

  // Client-side sources: a call answered with 2xx is a success; a call with no
  // request ID never got an answer AWS can be held to.
  static OutcomeClass Outcome(const sla::ServiceTerms& terms, std::string_view code, int status,
                              std::string_view request_id) {
    if (status >= 200 && status < 300) return OutcomeClass::kSuccess;
    if (request_id.empty()) {
      return (status == 0 && code.empty()) ? OutcomeClass::kSuccess : OutcomeClass::kNoResponse;
    }
    return terms.Classify(code, status);
  }

  ParseOutcome FromJsonl(const RawRecord& rec, EventView* out, std::string* error) {
    dom::element doc;
    if (auto e = parser.parse(rec.json.data(), rec.json.size(), false).get(doc);
        e != simdjson::SUCCESS) {
      return Reject(rec, std::string("invalid JSON: ") + simdjson::error_message(e), error);
    }
    const JsonlMapping& m = opt.mapping;
    std::string& time_s = scratch[0];
    std::string& account = scratch[1];
    std::string& region = scratch[2];
    std::string& service = scratch[3];
    std::string& op = scratch[4];
    std::string& code = scratch[5];
    std::string& rid = scratch[6];
    std::string& res = scratch[7];
    for (std::string* s : {&time_s, &account, &region, &service, &op, &code, &rid, &res})
      s->clear();
    int64_t time_ms = 0;
    if (ReadJsonlTime(doc, m.time, rec, &time_ms, error) == ParseOutcome::kRejected) {
      return ParseOutcome::kRejected;
    }
    auto reject = ParseOutcome::kRejected;
    if (JsonlString(doc, m.account, rec, &account, error) == reject) return reject;
    if (account.empty()) account = opt.default_account;
    if (account.empty()) {
      return Reject(rec, "missing field '" + m.account + "' (account; or pass --account)", error);
    }
    if (JsonlString(doc, m.region, rec, &region, error) == reject) return reject;
    if (region.empty()) return Reject(rec, "missing field '" + m.region + "' (region)", error);
    if (JsonlString(doc, m.service, rec, &service, error) == reject) return reject;
    if (service.empty()) return Reject(rec, "missing field '" + m.service + "' (service)", error);
    service = AsciiLower(events::ServiceFromEventSource(service));
    const sla::ServiceTerms* terms = Terms(service);
    if (terms == nullptr) return ParseOutcome::kSkipped;
    std::string status_s, latency_s, cks;
    for (auto [path, slot] : {std::pair{&m.operation, &op},
                              {&m.error_code, &code},
                              {&m.request_id, &rid},
                              {&m.resource, &res},
                              {&m.custom_key_store, &cks}}) {
      if (JsonlString(doc, *path, rec, slot, error) == reject) return reject;
    }
    if (JsonlString(doc, m.http_status, rec, &status_s, error, true) == reject) return reject;
    if (JsonlString(doc, m.latency_ms, rec, &latency_s, error, true) == reject) return reject;
    dom::element rid_v;
    if (rid.empty() && doc.at_pointer(ToPointer(m.request_id)).get(rid_v) == simdjson::SUCCESS &&
        rid_v.is_string()) {
      return Reject(rec, m.request_id + ": empty (a request ID, when present, is never empty)",
                    error);
    }
    int64_t status64 = 0, latency = -1;
    if (JsonlInt(status_s, m.http_status, rec, &status64, error) == reject) return reject;
    if (JsonlInt(latency_s, m.latency_ms, rec, &latency, error) == reject) return reject;
    if (status64 < 0 || status64 > 999) {
      return Reject(rec, "field '" + m.http_status + "' is not an HTTP status", error);
    }
    const int status = static_cast<int>(status64);
    out->time_ms = time_ms;
    out->account = account;
    out->region = region;
    out->service = terms->key;
    out->operation = op;
    out->error_code = events::NormalizeErrorCode(code);
    out->request_id = rid;
    out->resource = res;
    out->http_status = status;
    out->latency_ms = latency;
    out->source = SourceKind::kJsonl;
    out->outcome = !cks.empty() ? OutcomeClass::kCustomKeyStore
                                : Outcome(*terms, out->error_code, status, out->request_id);
    return Check(rec, *out, jsonl_names, error);
  }
};

RecordParser::RecordParser(std::shared_ptr<const sla::Catalog> catalog, ParserOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->catalog = std::move(catalog);
  impl_->opt = std::move(options);
  impl_->clock = impl_->opt.clock != nullptr ? impl_->opt.clock : &SystemClock();
  impl_->bounds = validate::TimeBounds::For(*impl_->catalog, impl_->clock->NowMs());
  const JsonlMapping& m = impl_->opt.mapping;
  impl_->jsonl_names = validate::FieldNames{.time = m.time,
                                            .account = m.account,
                                            .region = m.region,
                                            .service = m.service,
                                            .operation = m.operation,
                                            .error_code = m.error_code,
                                            .request_id = m.request_id,
                                            .resource = m.resource,
                                            .http_status = m.http_status,
                                            .latency_ms = m.latency_ms};
}

RecordParser::~RecordParser() = default;

ParseOutcome RecordParser::Parse(const RawRecord& rec, EventView* out, std::string* error) {
  Impl& im = *impl_;
  if (im.opt.format == InputFormat::kJsonl) return im.FromJsonl(rec, out, error);
  // The DOM parser validates the whole record (not just the fields read) and
  // dispatches to the best SIMD kernel the CPU has at run time.
  dom::element doc;
  auto err = im.parser.parse(rec.json.data(), rec.json.size(), false).get(doc);
  if (err != simdjson::SUCCESS) {
    return Reject(rec, std::string("invalid JSON: ") + simdjson::error_message(err), error);
  }
  return im.ParseElement(doc, rec, out, error);
}

std::string_view RecordParser::csm_access_key() const { return impl_->last_access_key; }

bool RecordParser::ParseDocument(const char* data, size_t len, size_t capacity,
                                 const RecordFn& fn) {
  Impl& im = *impl_;
  if (im.opt.format == InputFormat::kJsonl || len + simdjson::SIMDJSON_PADDING > capacity) {
    return false;
  }
  dom::element root;
  if (im.doc_parser.parse(data, len, false).get(root) != simdjson::SUCCESS) return false;
  EventView ev;
  std::string err;
  RawRecord rec;  // line 0: records are named by index
  auto one = [&](dom::element el) {
    err.clear();
    const ParseOutcome o = im.ParseElement(el, rec, &ev, &err);
    fn(o, ev, err);
    ++rec.index;
  };
  dom::array arr;
  if (root.get_array().get(arr) == simdjson::SUCCESS) {
    for (dom::element el : arr) one(el);
    return true;
  }
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return false;
  for (const char* key : {"Records", "Events"}) {
    dom::element v;
    if (obj[key].get(v) == simdjson::SUCCESS && v.get_array().get(arr) == simdjson::SUCCESS) {
      for (dom::element el : arr) one(el);
      return true;
    }
  }
  one(root);
  return true;
}

ParseOutcome RecordParser::Impl::ParseElement(simdjson::dom::element doc, const RawRecord& rec,
                                              EventView* out, std::string* error) {
  Impl& im = *this;
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Reject(rec, "not a JSON object", error);
  }
  Fields f;
  Collect(obj, &f);
  if (f.has_cloudtrail_event) {
    // LookupEvents: the record is a JSON string inside the result.
    im.inner_buf.assign(f.cloudtrail_event);
    im.inner_buf.append(simdjson::SIMDJSON_PADDING, ' ');
    dom::element inner;
    dom::object iobj;
    Fields g;
    auto e =
        im.inner_parser.parse(im.inner_buf.data(), f.cloudtrail_event.size(), false).get(inner);
    if (e == simdjson::SUCCESS) e = inner.get_object().get(iobj);
    if (e == simdjson::SUCCESS) Collect(iobj, &g);
    if (e != simdjson::SUCCESS) {
      return Reject(
          rec, std::string("CloudTrailEvent: invalid JSON: ") + simdjson::error_message(e), error);
    }
    if (im.opt.format == InputFormat::kCsm) {
      return Reject(rec, "a CloudTrail record where --format csm was given", error);
    }
    return im.FromCloudTrail(g, rec, out, error);
  }
  const bool looks_cloudtrail = !f.event_source.empty() || !f.event_time.empty();
  if (f.is_csm && !looks_cloudtrail) {
    if (im.opt.format == InputFormat::kCloudTrail) {
      return Reject(rec, "a CSM record where --format cloudtrail was given", error);
    }
    return im.FromCsm(f, rec, out, error);
  }
  if (looks_cloudtrail || im.opt.format == InputFormat::kCloudTrail) {
    if (im.opt.format == InputFormat::kCsm) {
      return Reject(rec, "a CloudTrail record where --format csm was given", error);
    }
    return im.FromCloudTrail(f, rec, out, error);
  }
  if (f.has_detail) return ParseOutcome::kSkipped;  // EventBridge event of another kind
  if (im.opt.format == InputFormat::kCsm) {
    return Reject(rec, "not a CSM record (no Type field)", error);
  }
  return Reject(rec,
                "not a CloudTrail record, LookupEvents result, EventBridge event or CSM record "
                "(for application logs use --format jsonl)",
                error);
}

}  // namespace recoup::ingest
