#include "recoup/web/otlp.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "recoup/core/strings.h"
#include "recoup/validate/validate.h"

namespace recoup::web {

namespace {

namespace otlp = ::opentelemetry::proto;

// Attribute values as text: strings as they are, integers in decimal,
// booleans "true"/"false", doubles only when integral (HTTP status sent as a
// double by some SDKs). Arrays, lists and bytes are not needed and dropped.
using Attrs = std::vector<std::pair<std::string, std::string>>;

const std::string* Find(const Attrs& a, std::string_view key) {
  for (const auto& [k, v] : a) {
    if (k == key) return &v;
  }
  return nullptr;
}

struct SpanEventIn {
  std::string name;
  Attrs attrs;
};

struct SpanIn {
  std::string trace_id, span_id;  // lower-case hex
  uint64_t start_ns = 0, end_ns = 0;
  int status_code = 0;  // 0 unset, 1 ok, 2 error
  Attrs attrs;
  std::vector<SpanEventIn> events;
};

std::string IntText(int64_t v) { return std::to_string(v); }

std::optional<std::string> DoubleText(double d) {
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
  return std::to_string(static_cast<int64_t>(d));
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// First non-empty value among `keys`, span attributes before resource ones.
std::string Lookup(const SpanIn& s, const Attrs& resource,
                   std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (const std::string* v = Find(s.attrs, k); v && !v->empty()) return *v;
  }
  for (std::string_view k : keys) {
    if (const std::string* v = Find(resource, k); v && !v->empty()) return *v;
  }
  return {};
}

void Reject(OtlpDecoded* out, const std::string& why) {
  ++out->rejected;
  if (out->reject_reason.empty()) out->reject_reason = why;
}

// Turns one span into an event, or counts it as ignored or rejected.
// Fills in who called what, where and when; returns why the span cannot be
// an event (empty when it can).
std::string Place(const SpanIn& s, const Attrs& resource, const OtlpDecodeOptions& opt,
                  events::Event* e) {
  e->operation = Lookup(s, resource, {"rpc.method"});
  if (e->operation.empty()) return ": AWS SDK span without rpc.method";
  e->account = Lookup(s, resource, {"cloud.account.id", "aws.account.id"});
  if (e->account.empty()) e->account = opt.default_account;
  if (e->account.empty()) {
    return ": no cloud.account.id on the span or resource, and no default account "
           "is configured";
  }
  if (Status st = validate::AccountId("cloud.account.id", e->account); !st.ok()) {
    return ": " + st.message();
  }
  e->region = Lookup(s, resource, {"cloud.region", "aws.region"});
  if (e->region.empty()) return ": no cloud.region (or aws.region) on the span or resource";
  if (Status st = validate::Region("cloud.region", e->region); !st.ok()) {
    return ": " + st.message();
  }
  // Nanoseconds since the epoch, within the SLA's history and not ahead of
  // the receiver's clock by more than the skew bound.
  if (s.start_ns == 0) return ": startTimeUnixNano missing";
  e->time_ms = static_cast<int64_t>(s.start_ns / 1000000ULL);
  const validate::TimeBounds bounds = validate::TimeBounds::For(*opt.catalog, opt.now_ms);
  if (Status st = validate::Time("startTimeUnixNano", e->time_ms, bounds, e->service); !st.ok()) {
    return ": " + st.message();
  }
  if (s.end_ns >= s.start_ns)
    e->latency_ms = static_cast<int64_t>((s.end_ns - s.start_ns) / 1000000ULL);
  return "";
}

// The AWS error code: the first exception event's type, else aws.error.code.
std::string ErrorCodeOf(const SpanIn& s, const Attrs& resource) {
  std::string code;
  for (const SpanEventIn& ev : s.events) {
    if (ev.name != "exception") continue;
    if (const std::string* t = Find(ev.attrs, "exception.type"); t && !t->empty()) {
      code = *t;
      break;
    }
  }
  if (code.empty()) code = Lookup(s, resource, {"aws.error.code"});
  return std::string(events::NormalizeErrorCode(code));
}

// The answer AWS gave, from the request ID, status and error code.
void SetOutcome(const SpanIn& s, const sla::ServiceTerms& terms, events::Event* e) {
  if (e->request_id.empty() && e->http_status >= 300 && !s.trace_id.empty() && !s.span_id.empty()) {
    // AWS answered (there is a status) but the instrumentation did not record
    // the request ID, as the JavaScript SDK instrumentation does for failed
    // calls: key the call by its span, so it counts as what it was and a
    // re-sent span is not counted twice.
    e->request_id = "otel:" + s.trace_id + "/" + s.span_id;
  }
  if (e->http_status >= 200 && e->http_status < 300) {
    e->outcome = events::OutcomeClass::kSuccess;
    e->error_code.clear();
  } else if (e->request_id.empty()) {
    const bool failed = e->http_status != 0 || !e->error_code.empty() || s.status_code == 2;
    e->outcome = failed ? events::OutcomeClass::kNoResponse : events::OutcomeClass::kSuccess;
  } else {
    if (e->error_code.empty() && e->http_status == 0 && s.status_code == 2) {
      // Answered (it has a request ID) but the SDK reported neither code nor status.
      e->error_code = "UnknownError";
    }
    e->outcome = terms.Classify(e->error_code, e->http_status);
  }
}

// The resource a span names, as the OpenTelemetry conventions for AWS SDK
// spans give it: an S3 bucket (aws.s3.bucket), a DynamoDB table (one
// aws.dynamodb.table_names value sent as a string; arrays are not read), an
// SQS queue URL (aws.sqs.queue.url), a Lambda function (faas.invoked_name),
// as ARNs where the convention gives a name. Empty: none.
std::string ResourceOf(const SpanIn& s, const Attrs& resource, const events::Event& e) {
  if (std::string b = Lookup(s, resource, {"aws.s3.bucket"}); !b.empty()) {
    return "arn:aws:s3:::" + b;
  }
  if (std::string t = Lookup(s, resource, {"aws.dynamodb.table_names"}); !t.empty()) {
    return "arn:aws:dynamodb:" + e.region + ":" + e.account + ":table/" + t;
  }
  if (std::string q = Lookup(s, resource, {"aws.sqs.queue.url"}); !q.empty()) return q;
  if (std::string f = Lookup(s, resource, {"faas.invoked_name"}); !f.empty()) {
    return "arn:aws:lambda:" + e.region + ":" + e.account + ":function:" + f;
  }
  return {};
}

void MapSpan(const SpanIn& s, const Attrs& resource, const OtlpDecodeOptions& opt,
             const std::string& where, OtlpDecoded* out) {
  ++out->spans;
  if (Lookup(s, resource, {"rpc.system"}) != "aws-api") {
    ++out->ignored;
    return;
  }
  const std::string service = AsciiLower(Lookup(s, resource, {"rpc.service"}));
  const sla::ServiceTerms* terms = opt.catalog->FindByName(service);
  if (terms == nullptr) {
    ++out->ignored;
    return;
  }
  events::Event e;
  e.source = events::SourceKind::kOtel;
  e.service = terms->key;
  if (std::string why = Place(s, resource, opt, &e); !why.empty()) {
    Reject(out, where + why);
    return;
  }
  e.request_id = Lookup(s, resource, {"aws.request_id", "aws.request.id"});
  e.resource = ResourceOf(s, resource, e);
  const std::string status = Lookup(s, resource, {"http.response.status_code", "http.status_code"});
  if (!status.empty()) {
    auto st = ParseInt(status);
    if (!st || *st < 100 || *st > 999) {
      Reject(out, where + ": http.response.status_code: not an HTTP status");
      return;
    }
    e.http_status = static_cast<int>(*st);
  }
  e.error_code = ErrorCodeOf(s, resource);
  SetOutcome(s, *terms, &e);
  // Every field as it will be stored (the request ID of a call without one
  // is derived from the span above).
  constexpr validate::FieldNames kNames{.time = "startTimeUnixNano",
                                        .account = "cloud.account.id",
                                        .region = "cloud.region",
                                        .service = "rpc.service",
                                        .operation = "rpc.method",
                                        .error_code = "exception.type",
                                        .request_id = "aws.request_id",
                                        .resource = "resource",
                                        .http_status = "http.response.status_code",
                                        .latency_ms = "span duration"};
  const validate::TimeBounds bounds = validate::TimeBounds::For(*opt.catalog, opt.now_ms);
  if (Status st = validate::EventFields(e.View(), kNames, bounds, *opt.catalog); !st.ok()) {
    Reject(out, where + ": " + st.message());
    return;
  }
  out->events.push_back(std::move(e));
}

// ---- JSON ----

using json = nlohmann::json;

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgument(where + ": " + what);
}

// Integers in OTLP/JSON are numbers or decimal strings (int64/fixed64).
Result<uint64_t> JsonU64(const json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < 0) return Bad(where, "negative");
    return static_cast<uint64_t>(i);
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    uint64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (!s.empty() && ec == std::errc() && p == s.data() + s.size()) return out;
  }
  return Bad(where, "not an unsigned integer");
}

Result<int64_t> JsonI64(const json& v, const std::string& where) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Bad(where, "out of range");
    }
    return static_cast<int64_t>(u);
  }
  if (v.is_string()) {
    if (auto i = ParseInt(v.get_ref<const std::string&>())) return *i;
  }
  return Bad(where, "not an integer");
}

const json* Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status JsonAttrs(const json& obj, const char* key, const std::string& where, Attrs* out) {
  const json* arr = Member(obj, key);
  if (arr == nullptr) return Status::Ok();
  if (!arr->is_array()) return Bad(where + "." + key, "not an array");
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& kv = (*arr)[i];
    const std::string w = where + "." + key + "[" + std::to_string(i) + "]";
    if (!kv.is_object()) return Bad(w, "not an object");
    const json* k = Member(kv, "key");
    if (k == nullptr || !k->is_string()) return Bad(w + ".key", "missing or not a string");
    std::string text;
    if (const json* v = Member(kv, "value")) {
      if (!v->is_object()) return Bad(w + ".value", "not an object");
      if (const json* s = Member(*v, "stringValue")) {
        if (!s->is_string()) return Bad(w + ".value.stringValue", "not a string");
        text = s->get<std::string>();
      } else if (const json* n = Member(*v, "intValue")) {
        RECOUP_ASSIGN_OR_RETURN(int64_t i, JsonI64(*n, w + ".value.intValue"));
        text = IntText(i);
      } else if (const json* b = Member(*v, "boolValue")) {
        if (!b->is_boolean()) return Bad(w + ".value.boolValue", "not a boolean");
        text = b->get<bool>() ? "true" : "false";
      } else if (const json* d = Member(*v, "doubleValue")) {
        if (!d->is_number()) return Bad(w + ".value.doubleValue", "not a number");
        text = DoubleText(d->get<double>()).value_or("");
      }
    }
    out->emplace_back(k->get<std::string>(), std::move(text));
  }
  return Status::Ok();
}

// Trace and span IDs are hex strings in OTLP/JSON.
Status JsonId(const json& sp, const char* key, size_t bytes, const std::string& where,
              std::string* out) {
  const json* v = Member(sp, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Bad(where + "." + key, "not a string");
  const std::string& h = v->get_ref<const std::string&>();
  if (h.empty()) return Status::Ok();
  if (h.size() != bytes * 2)
    return Bad(where + "." + key, "not " + std::to_string(bytes) + " bytes of hex");
  for (char c : h) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return Bad(where + "." + key, "not hex");
  }
  *out = AsciiLower(h);
  return Status::Ok();
}

Status JsonSpan(const json& sp, const std::string& where, SpanIn* out) {
  if (!sp.is_object()) return Bad(where, "not an object");
  RECOUP_RETURN_IF_ERROR(JsonId(sp, "traceId", 16, where, &out->trace_id));
  RECOUP_RETURN_IF_ERROR(JsonId(sp, "spanId", 8, where, &out->span_id));
  if (const json* v = Member(sp, "startTimeUnixNano")) {
    RECOUP_ASSIGN_OR_RETURN(out->start_ns, JsonU64(*v, where + ".startTimeUnixNano"));
  }
  if (const json* v = Member(sp, "endTimeUnixNano")) {
    RECOUP_ASSIGN_OR_RETURN(out->end_ns, JsonU64(*v, where + ".endTimeUnixNano"));
  }
  if (const json* st = Member(sp, "status")) {
    if (!st->is_object()) return Bad(where + ".status", "not an object");
    if (const json* c = Member(*st, "code")) {
      // Enums are integers in OTLP/JSON; accept the names too.
      if (c->is_string()) {
        const std::string& n = c->get_ref<const std::string&>();
        out->status_code = n == "STATUS_CODE_ERROR" ? 2 : n == "STATUS_CODE_OK" ? 1 : 0;
      } else {
        RECOUP_ASSIGN_OR_RETURN(int64_t code, JsonI64(*c, where + ".status.code"));
        out->status_code = static_cast<int>(std::clamp<int64_t>(code, 0, 3));
      }
    }
  }
  RECOUP_RETURN_IF_ERROR(JsonAttrs(sp, "attributes", where, &out->attrs));
  if (const json* evs = Member(sp, "events")) {
    if (!evs->is_array()) return Bad(where + ".events", "not an array");
    for (size_t i = 0; i < evs->size(); ++i) {
      const json& ev = (*evs)[i];
      const std::string w = where + ".events[" + std::to_string(i) + "]";
      if (!ev.is_object()) return Bad(w, "not an object");
      SpanEventIn e;
      if (const json* n = Member(ev, "name")) {
        if (!n->is_string()) return Bad(w + ".name", "not a string");
        e.name = n->get<std::string>();
      }
      RECOUP_RETURN_IF_ERROR(JsonAttrs(ev, "attributes", w, &e.attrs));
      out->events.push_back(std::move(e));
    }
  }
  return Status::Ok();
}

// ---- protobuf ----

std::string AnyText(const otlp::common::v1::AnyValue& v) {
  using V = otlp::common::v1::AnyValue;
  switch (v.value_case()) {
    case V::kStringValue:
      return v.string_value();
    case V::kIntValue:
      return IntText(v.int_value());
    case V::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case V::kDoubleValue:
      return DoubleText(v.double_value()).value_or("");
    default:
      return {};
  }
}

std::string HexOf(const std::string& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Attrs ProtoAttrs(const google::protobuf::RepeatedPtrField<otlp::common::v1::KeyValue>& kvs) {
  Attrs out;
  out.reserve(static_cast<size_t>(kvs.size()));
  for (const auto& kv : kvs) out.emplace_back(kv.key(), AnyText(kv.value()));
  return out;
}

}  // namespace

Status CheckJsonShape(std::string_view body, int max_depth, size_t memory_budget_bytes) {
  // One pass over the bytes, outside strings: the nesting depth and the
  // number of values (each opening bracket, string and scalar start is one).
  constexpr size_t kBytesPerValue = 48;  // a json node and its container slot
  int depth = 0;
  size_t values = 0, string_bytes = 0;
  bool in_string = false, escaped = false, in_scalar = false;
  for (const char c : body) {
    if (in_string) {
      ++string_bytes;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '[':
      case '{':
        if (++depth > max_depth) {
          return InvalidArgument("JSON nesting deeper than " + std::to_string(max_depth) +
                                 " levels");
        }
        ++values;
        in_scalar = false;
        break;
      case ']':
      case '}':
        --depth;
        in_scalar = false;
        break;
      case '"':
        in_string = true;
        ++values;
        in_scalar = false;
        break;
      case ',':
      case ':':
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        in_scalar = false;
        break;
      default:
        if (!in_scalar) ++values;
        in_scalar = true;
    }
    if (values * kBytesPerValue + string_bytes > memory_budget_bytes) {
      return InvalidArgument("JSON body would take more than " +
                             std::to_string(memory_budget_bytes) +
                             " bytes once parsed (too many values)");
    }
  }
  return Status::Ok();
}

Result<OtlpDecoded> DecodeOtlpTracesJson(std::string_view body, const OtlpDecodeOptions& options) {
  if (options.catalog == nullptr) return InvalidArgument("OTLP decoding needs a catalog");
  RECOUP_RETURN_IF_ERROR(
      CheckJsonShape(body, options.max_json_depth, options.json_memory_budget_bytes));
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("body is not valid JSON");
  if (!doc.is_object()) return InvalidArgument("body is not a JSON object");
  OtlpDecoded out;
  const json* rss = Member(doc, "resourceSpans");
  if (rss == nullptr) return out;  // an empty request is valid
  if (!rss->is_array()) return Bad("resourceSpans", "not an array");
  for (size_t r = 0; r < rss->size(); ++r) {
    const json& rs = (*rss)[r];
    const std::string wr = "resourceSpans[" + std::to_string(r) + "]";
    if (!rs.is_object()) return Bad(wr, "not an object");
    Attrs resource;
    if (const json* res = Member(rs, "resource")) {
      if (!res->is_object()) return Bad(wr + ".resource", "not an object");
      RECOUP_RETURN_IF_ERROR(JsonAttrs(*res, "attributes", wr + ".resource", &resource));
    }
    const json* sss = Member(rs, "scopeSpans");
    if (sss == nullptr) continue;
    if (!sss->is_array()) return Bad(wr + ".scopeSpans", "not an array");
    for (size_t s = 0; s < sss->size(); ++s) {
      const json& ss = (*sss)[s];
      const std::string ws = wr + ".scopeSpans[" + std::to_string(s) + "]";
      if (!ss.is_object()) return Bad(ws, "not an object");
      const json* spans = Member(ss, "spans");
      if (spans == nullptr) continue;
      if (!spans->is_array()) return Bad(ws + ".spans", "not an array");
      for (size_t i = 0; i < spans->size(); ++i) {
        const std::string w = ws + ".spans[" + std::to_string(i) + "]";
        SpanIn span;
        RECOUP_RETURN_IF_ERROR(JsonSpan((*spans)[i], w, &span));
        MapSpan(span, resource, options, w, &out);
      }
    }
  }
  return out;
}

Result<OtlpDecoded> DecodeOtlpTracesProtobuf(std::string_view body,
                                             const OtlpDecodeOptions& options) {
  if (options.catalog == nullptr) return InvalidArgument("OTLP decoding needs a catalog");
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return InvalidArgument("body too large");
  }
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  if (!req.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return InvalidArgument("body is not a valid protobuf ExportTraceServiceRequest");
  }
  OtlpDecoded out;
  for (int r = 0; r < req.resource_spans_size(); ++r) {
    const auto& rs = req.resource_spans(r);
    const Attrs resource = ProtoAttrs(rs.resource().attributes());
    for (int s = 0; s < rs.scope_spans_size(); ++s) {
      const auto& ss = rs.scope_spans(s);
      for (int i = 0; i < ss.spans_size(); ++i) {
        const auto& sp = ss.spans(i);
        SpanIn span;
        if (sp.trace_id().size() == 16 && sp.span_id().size() == 8) {
          span.trace_id = HexOf(sp.trace_id());
          span.span_id = HexOf(sp.span_id());
        }
        span.start_ns = sp.start_time_unix_nano();
        span.end_ns = sp.end_time_unix_nano();
        span.status_code = static_cast<int>(sp.status().code());
        span.attrs = ProtoAttrs(sp.attributes());
        for (const auto& ev : sp.events()) {
          span.events.push_back(SpanEventIn{ev.name(), ProtoAttrs(ev.attributes())});
        }
        MapSpan(span, resource, options,
                "resourceSpans[" + std::to_string(r) + "].scopeSpans[" + std::to_string(s) +
                    "].spans[" + std::to_string(i) + "]",
                &out);
      }
    }
  }
  return out;
}

std::string OtlpResponseJson(const OtlpDecoded& decoded) {
  if (decoded.rejected == 0) return "{}";
  json j;
  j["partialSuccess"] = {{"rejectedSpans", std::to_string(decoded.rejected)},
                         {"errorMessage", decoded.reject_reason}};
  return j.dump();
}

std::string OtlpResponseProtobuf(const OtlpDecoded& decoded) {
  otlp::collector::trace::v1::ExportTraceServiceResponse resp;
  if (decoded.rejected != 0) {
    resp.mutable_partial_success()->set_rejected_spans(decoded.rejected);
    resp.mutable_partial_success()->set_error_message(decoded.reject_reason);
  }
  return resp.SerializeAsString();
}

}  // namespace recoup::web
