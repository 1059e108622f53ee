#include "recoup/web/otlp.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace recoup::web {
namespace {

namespace otlp = ::opentelemetry::proto;

OtlpDecodeOptions Opts(std::string default_account = "") {
  OtlpDecodeOptions o;
  o.default_account = std::move(default_account);
  o.catalog = sla::Catalog::Default().get();
  o.now_ms = 1792000000000;  // 2026-10-14T11:46:40Z, after every span below
  return o;
}

// 2026-10-14T09:12:00.250Z in nanoseconds.
constexpr const char* kStartNs = "1791969120250000000";
constexpr int64_t kStartMs = 1791969120250;

std::string JsonSpan(const std::string& attrs, const std::string& extra = "") {
  return R"({"resourceSpans":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"billing"}},
      {"key":"cloud.account.id","value":{"stringValue":"111122223333"}}]},
    "scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-aws-sdk"},"spans":[{
      "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
      "name":"KMS.Decrypt","kind":3,
      "startTimeUnixNano":")" +
         std::string(kStartNs) + R"(","endTimeUnixNano":"1791969120290000000",
      "attributes":[)" +
         attrs + R"(])" + extra + R"(}]}]}]})";
}

const char* kKmsAttrs = R"(
  {"key":"rpc.system","value":{"stringValue":"aws-api"}},
  {"key":"rpc.service","value":{"stringValue":"KMS"}},
  {"key":"rpc.method","value":{"stringValue":"Decrypt"}},
  {"key":"cloud.region","value":{"stringValue":"us-east-1"}})";

// What every decoded call of the span above has: the resource's account,
// the KMS service and the span's start time.
void ExpectKmsCall(const events::Event& e, const std::string& region, const std::string& operation,
                   int http_status, events::OutcomeClass outcome) {
  EXPECT_EQ(e.account, "111122223333");
  EXPECT_EQ(e.region, region);
  EXPECT_EQ(e.service, "kms");
  EXPECT_EQ(e.operation, operation);
  EXPECT_EQ(e.http_status, http_status);
  EXPECT_EQ(e.time_ms, kStartMs);
  EXPECT_EQ(e.outcome, outcome);
}

TEST(OtlpJson, SuccessfulKmsCall) {
  const std::string body = JsonSpan(std::string(kKmsAttrs) + R"(,
      {"key":"aws.request.id","value":{"stringValue":"0f6c1c5e-aaaa-bbbb-cccc-000000000001"}},
      {"key":"http.status_code","value":{"intValue":"200"}})");
  auto d = DecodeOtlpTracesJson(body, Opts());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->events.size(), 1u);
  const events::Event& e = d->events[0];
  ExpectKmsCall(e, "us-east-1", "Decrypt", 200, events::OutcomeClass::kSuccess);
  EXPECT_EQ(e.request_id, "0f6c1c5e-aaaa-bbbb-cccc-000000000001");
  EXPECT_EQ(e.latency_ms, 40);
  EXPECT_EQ(e.source, events::SourceKind::kOtel);
  EXPECT_EQ(d->spans, 1);
  EXPECT_EQ(d->rejected, 0);
  EXPECT_EQ(OtlpResponseJson(*d), "{}");
}

TEST(OtlpJson, ServerErrorFromExceptionEvent) {
  const std::string body = JsonSpan(std::string(kKmsAttrs) + R"(,
      {"key":"aws.request_id","value":{"stringValue":"req-500"}},
      {"key":"http.response.status_code","value":{"intValue":500}})",
                                    R"(,"status":{"code":2,"message":"internal"},
      "events":[{"timeUnixNano":"1791969120290000000","name":"exception","attributes":[
        {"key":"exception.type","value":{"stringValue":"KMSInternalException"}},
        {"key":"exception.message","value":{"stringValue":"boom"}}]}])");
  auto d = DecodeOtlpTracesJson(body, Opts());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].error_code, "KMSInternalException");
  EXPECT_EQ(d->events[0].http_status, 500);
  EXPECT_EQ(d->events[0].outcome, events::OutcomeClass::kServerError);
}

TEST(OtlpJson, ThrottlingAndClientErrorsAreClassifiedByTheCatalog) {
  for (const auto& [code, status, want] :
       {std::tuple{"ThrottlingException", 400, events::OutcomeClass::kThrottled},
        std::tuple{"NotFoundException", 400, events::OutcomeClass::kClientError}}) {
    const std::string body = JsonSpan(std::string(kKmsAttrs) + R"(,
        {"key":"aws.request_id","value":{"stringValue":"r"}},
        {"key":"http.status_code","value":{"intValue":)" +
                                          std::to_string(status) + R"(}})",
                                      std::string(R"(,"events":[{"name":"exception","attributes":[
          {"key":"exception.type","value":{"stringValue":")") +
                                          code + R"("}}]}])");
    auto d = DecodeOtlpTracesJson(body, Opts());
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_EQ(d->events.size(), 1u);
    EXPECT_EQ(d->events[0].outcome, want) << code;
  }
}

TEST(OtlpJson, NoRequestIdMeansNoResponse) {
  const std::string body = JsonSpan(kKmsAttrs, R"(,"status":{"code":2},
      "events":[{"name":"exception","attributes":[
        {"key":"exception.type","value":{"stringValue":"TimeoutError"}}]}])");
  auto d = DecodeOtlpTracesJson(body, Opts());
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].outcome, events::OutcomeClass::kNoResponse);
}

TEST(OtlpJson, NonAwsAndUnknownServiceSpansAreIgnored) {
  const std::string http = JsonSpan(R"({"key":"http.method","value":{"stringValue":"GET"}})");
  auto d = DecodeOtlpTracesJson(http, Opts());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->events.size(), 0u);
  EXPECT_EQ(d->ignored, 1);
  const std::string s3 = JsonSpan(R"(
      {"key":"rpc.system","value":{"stringValue":"aws-api"}},
      {"key":"rpc.service","value":{"stringValue":"EC2"}},
      {"key":"rpc.method","value":{"stringValue":"DescribeInstances"}},
      {"key":"cloud.region","value":{"stringValue":"us-east-1"}})");
  d = DecodeOtlpTracesJson(s3, Opts());  // EC2's SLA is not a request error rate
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->events.size(), 0u);
  EXPECT_EQ(d->ignored, 1);
}

TEST(OtlpJson, MissingAccountIsAPartialSuccess) {
  std::string body = JsonSpan(kKmsAttrs);
  const std::string acct = R"(,
      {"key":"cloud.account.id","value":{"stringValue":"111122223333"}})";
  body.erase(body.find(acct), acct.size());
  auto d = DecodeOtlpTracesJson(body, Opts());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->events.size(), 0u);
  EXPECT_EQ(d->rejected, 1);
  EXPECT_NE(d->reject_reason.find("cloud.account.id"), std::string::npos);
  EXPECT_NE(OtlpResponseJson(*d).find("\"rejectedSpans\":\"1\""), std::string::npos);
  // A configured default account fills in.
  d = DecodeOtlpTracesJson(body, Opts("444455556666"));
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].account, "444455556666");
}

TEST(OtlpJson, BadBodiesNameThePlace) {
  auto bad = [](const std::string& body) {
    auto d = DecodeOtlpTracesJson(body, Opts());
    EXPECT_FALSE(d.ok()) << body;
    return d.ok() ? std::string() : d.status().message();
  };
  EXPECT_EQ(bad("not json"), "body is not valid JSON");
  EXPECT_EQ(bad("[]"), "body is not a JSON object");
  EXPECT_EQ(bad(R"({"resourceSpans":{}})"), "resourceSpans: not an array");
  EXPECT_EQ(bad(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"x"}]}]}]})"),
            "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: not an unsigned integer");
  EXPECT_EQ(
      bad(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"value":{}}]}]}]}]})"),
      "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].key: missing or not a string");
  // Empty requests are valid.
  auto d = DecodeOtlpTracesJson("{}", Opts());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->spans, 0);
}

void Attr(otlp::trace::v1::Span* s, const std::string& k, const std::string& v) {
  auto* kv = s->add_attributes();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

// Every field is validated as it will be stored: a span that fails is a
// rejected span naming the field, never a silently trimmed one.
TEST(OtlpJson, HostileFieldsAreRejectedSpans) {
  auto reject_reason = [](const std::string& body, OtlpDecodeOptions o) {
    auto d = DecodeOtlpTracesJson(body, o);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    if (!d.ok()) return std::string();
    EXPECT_EQ(d->events.size(), 0u) << body;
    EXPECT_EQ(d->rejected, 1) << body;
    return d->reject_reason;
  };
  std::string traversal = kKmsAttrs;
  traversal.replace(traversal.find("\"us-east-1\""), 11, "\"/../../x\"");
  EXPECT_NE(reject_reason(JsonSpan(traversal), Opts()).find("cloud.region: '/../../x'"),
            std::string::npos);
  const std::string long_id = std::string(kKmsAttrs) +
                              R"(,{"key":"aws.request.id","value":{"stringValue":")" +
                              std::string(300, 'a') + R"("}})";
  EXPECT_NE(reject_reason(JsonSpan(long_id), Opts()).find("aws.request_id: longer than 256"),
            std::string::npos);
  const std::string bad_status =
      std::string(kKmsAttrs) + R"(,{"key":"http.status_code","value":{"intValue":"5000"}})";
  EXPECT_NE(reject_reason(JsonSpan(bad_status), Opts()).find("http.response.status_code"),
            std::string::npos);
  // A span from the future (after now + 15 minutes of skew) or before the
  // first SLA (2019-01-16).
  OtlpDecodeOptions early = Opts();
  early.now_ms = kStartMs - 16 * 60 * 1000;
  EXPECT_NE(reject_reason(JsonSpan(kKmsAttrs), early).find("startTimeUnixNano: "),
            std::string::npos);
  OtlpDecodeOptions skew = Opts();
  skew.now_ms = kStartMs - 15 * 60 * 1000;
  auto ok = DecodeOtlpTracesJson(JsonSpan(kKmsAttrs), skew);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->events.size(), 1u);
  std::string old = JsonSpan(kKmsAttrs);
  old.replace(old.find(kStartNs), std::strlen(kStartNs), "1400000000000000000");
  EXPECT_NE(reject_reason(old, Opts()).find("is before 2019-01-16"), std::string::npos);
}

TEST(OtlpProtobuf, DecodesTheSameAsJson) {
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* ra = rs->mutable_resource()->add_attributes();
  ra->set_key("cloud.account.id");
  ra->mutable_value()->set_string_value("111122223333");
  auto* span = rs->add_scope_spans()->add_spans();
  span->set_start_time_unix_nano(1791969120250000000ULL);
  span->set_end_time_unix_nano(1791969120290000000ULL);
  Attr(span, "rpc.system", "aws-api");
  Attr(span, "rpc.service", "KMS");
  Attr(span, "rpc.method", "GenerateDataKey");
  Attr(span, "cloud.region", "eu-west-1");
  Attr(span, "aws.request_id", "req-1");
  auto* st = span->add_attributes();
  st->set_key("http.status_code");
  st->mutable_value()->set_int_value(503);
  auto* ev = span->add_events();
  ev->set_name("exception");
  auto* et = ev->add_attributes();
  et->set_key("exception.type");
  et->mutable_value()->set_string_value("com.amazonaws.kms#KMSInternalException");
  span->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);

  auto d = DecodeOtlpTracesProtobuf(req.SerializeAsString(), Opts());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->events.size(), 1u);
  const events::Event& e = d->events[0];
  ExpectKmsCall(e, "eu-west-1", "GenerateDataKey", 503, events::OutcomeClass::kServerError);
  EXPECT_EQ(e.error_code, "KMSInternalException");

  otlp::collector::trace::v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(OtlpResponseProtobuf(*d)));
  EXPECT_FALSE(resp.has_partial_success());
}

TEST(OtlpProtobuf, GarbageIsRejected) {
  auto d = DecodeOtlpTracesProtobuf(std::string("\x0a\xff\xff\xff\xff\x0f", 6), Opts());
  EXPECT_FALSE(d.ok());
}

TEST(CheckJsonShape, BoundsDepthAndParsedSize) {
  EXPECT_TRUE(CheckJsonShape(R"({"a":[{"b":"[[[["}]})", 3, 1 << 20).ok());
  EXPECT_FALSE(CheckJsonShape("[[[[", 3, 1 << 20).ok());
  EXPECT_TRUE(CheckJsonShape(R"("\"[[[[")", 3, 1 << 20).ok());  // brackets in a string
  const std::string many = "[" + std::string(100000, '1') + "]";
  std::string values = "[";
  for (int i = 0; i < 10000; ++i) values += "1,";
  values += "1]";
  EXPECT_TRUE(CheckJsonShape(values, 64, 10002 * 48).ok());
  const Status st = CheckJsonShape(values, 64, 10000 * 48);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("once parsed"), std::string::npos) << st.message();
  EXPECT_TRUE(CheckJsonShape(many, 64, 1 << 20).ok());  // one long number is one value
}

TEST(DecodeOtlpTracesJson, RefusesDeepNestingWithoutParsing) {
  OtlpDecodeOptions o;
  o.catalog = sla::Catalog::Default().get();
  auto r = DecodeOtlpTracesJson(std::string(100000, '['), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting deeper than 64"), std::string::npos);
}

}  // namespace
}  // namespace recoup::web
