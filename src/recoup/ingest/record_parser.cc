#include "recoup/ingest/record_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "recoup/core/strings.h"
#include "recoup/core/time.h"

namespace recoup::ingest {

namespace dom = simdjson::dom;
using events::EventView;
using events::OutcomeClass;
using events::SourceKind;

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
  bool is_csm = false;
};

std::string_view Str(dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

bool Int(dom::element v, int64_t* out) {
  int64_t i;
  if (v.get_int64().get(i) == simdjson::SUCCESS) {
    *out = i;
    return true;
  }
  double d;
  if (v.get_double().get(d) == simdjson::SUCCESS && d > -9e18 && d < 9e18) {
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

void ReadIdentity(dom::element v, Fields* f) {
  dom::object o;
  if (v.get_object().get(o) != simdjson::SUCCESS) return;
  dom::element e;
  if (o["accountId"].get(e) == simdjson::SUCCESS) f->identity_account = Str(e);
}

void ReadAdditional(dom::element v, Fields* f) {
  dom::object o;
  if (v.get_object().get(o) != simdjson::SUCCESS) return;
  dom::element e;
  if (o["customKeyStoreId"].get(e) == simdjson::SUCCESS) f->custom_key_store = Str(e);
}

void ReadResources(dom::element v, Fields* f) {
  dom::array a;
  if (v.get_array().get(a) != simdjson::SUCCESS) return;
  for (dom::element el : a) {
    dom::object o;
    if (el.get_object().get(o) != simdjson::SUCCESS) continue;
    dom::element e;
    if (o["ARN"].get(e) == simdjson::SUCCESS) {
      f->resource_arn = Str(e);
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
          f->event_time = Str(v);
        else if (k == "eventSource")
          f->event_source = Str(v);
        else if (k == "eventName")
          f->event_name = Str(v);
        else if (k == "errorCode")
          f->error_code = Str(v);
        else if (k == "eventType")
          f->event_type = Str(v);
        break;
      case 'a':
        if (k == "awsRegion")
          f->aws_region = Str(v);
        else if (k == "additionalEventData")
          ReadAdditional(v, f);
        break;
      case 'r':
        if (k == "recipientAccountId")
          f->recipient_account = Str(v);
        else if (k == "requestID")
          f->request_id = Str(v);
        else if (k == "resources")
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
          f->cloudtrail_event = Str(v);
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
          f->csm_type = Str(v);
          f->is_csm = true;
        } else if (k == "Timestamp") {
          Int(v, &f->csm_timestamp);
        }
        break;
      case 'S':
        if (k == "Service")
          f->csm_service = Str(v);
        else if (k == "SdkException")
          f->csm_sdk_exception = Str(v);
        break;
      case 'A':
        if (k == "Api")
          f->csm_api = Str(v);
        else if (k == "AwsException")
          f->csm_exception = Str(v);
        else if (k == "AttemptLatency") {
          Int(v, &f->csm_latency);
        } else if (k == "AccessKey") {
          f->csm_access_key = Str(v);
        }
        break;
      case 'R':
        if (k == "Region") f->csm_region = Str(v);
        break;
      case 'X':
        if (k == "XAmznRequestId") f->csm_request_id = Str(v);
        break;
      case 'H':
        if (k == "HttpStatusCode") Int(v, &f->csm_status);
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

// A JSON-lines field at a dotted path, as a string (numbers in decimal);
// false if absent or of another type.
bool JsonlString(dom::element doc, const std::string& path, std::string* slot) {
  dom::element v;
  if (doc.at_pointer(ToPointer(path)).get(v) != simdjson::SUCCESS) return false;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    slot->assign(s);
    return true;
  }
  int64_t n;
  if (v.get_int64().get(n) == simdjson::SUCCESS) {
    *slot = std::to_string(n);
    return true;
  }
  return false;
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

struct RecordParser::Impl {
  std::shared_ptr<const sla::Catalog> catalog;
  ParserOptions opt;
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
    return ParseOutcome::kAccepted;
  }

  ParseOutcome FromCsm(const Fields& f, const RawRecord& rec, EventView* out, std::string* error) {
    if (f.csm_type != "ApiCallAttempt") return ParseOutcome::kSkipped;  // ApiCall summaries
    if (f.csm_service.empty()) {
      return Reject(rec, "CSM record without Service", error);
    }
    service_buf = AsciiLower(f.csm_service);
    const sla::ServiceTerms* terms = Terms(service_buf);
    if (terms == nullptr) return ParseOutcome::kSkipped;
    if (f.csm_timestamp < 0) {
      return Reject(rec, "CSM record without Timestamp", error);
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
    return ParseOutcome::kAccepted;
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
    JsonlString(doc, m.account, &account);
    if (account.empty()) account = opt.default_account;
    if (account.empty()) {
      return Reject(rec, "missing field '" + m.account + "' (account; or pass --account)", error);
    }
    if (!JsonlString(doc, m.region, &region) || region.empty()) {
      return Reject(rec, "missing field '" + m.region + "' (region)", error);
    }
    if (!JsonlString(doc, m.service, &service) || service.empty()) {
      return Reject(rec, "missing field '" + m.service + "' (service)", error);
    }
    service = AsciiLower(events::ServiceFromEventSource(service));
    const sla::ServiceTerms* terms = Terms(service);
    if (terms == nullptr) return ParseOutcome::kSkipped;
    JsonlString(doc, m.operation, &op);
    JsonlString(doc, m.error_code, &code);
    JsonlString(doc, m.request_id, &rid);
    JsonlString(doc, m.resource, &res);
    std::string status_s, latency_s, cks;
    JsonlString(doc, m.http_status, &status_s);
    JsonlString(doc, m.latency_ms, &latency_s);
    JsonlString(doc, m.custom_key_store, &cks);
    int status = 0;
    if (!status_s.empty()) {
      char* end = nullptr;
      status = static_cast<int>(std::strtol(status_s.c_str(), &end, 10));
      if (end == status_s.c_str() || *end != 0 || status < 0 || status > 999) {
        return Reject(rec, "field '" + m.http_status + "' is not an HTTP status", error);
      }
    }
    out->time_ms = time_ms;
    out->account = account;
    out->region = region;
    out->service = terms->key;
    out->operation = op;
    out->error_code = events::NormalizeErrorCode(code);
    out->request_id = rid;
    out->resource = res;
    out->http_status = status;
    out->latency_ms = latency_s.empty() ? -1 : std::strtoll(latency_s.c_str(), nullptr, 10);
    out->source = SourceKind::kJsonl;
    out->outcome = !cks.empty() ? OutcomeClass::kCustomKeyStore
                                : Outcome(*terms, out->error_code, status, out->request_id);
    return ParseOutcome::kAccepted;
  }
};

RecordParser::RecordParser(std::shared_ptr<const sla::Catalog> catalog, ParserOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->catalog = std::move(catalog);
  impl_->opt = std::move(options);
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
