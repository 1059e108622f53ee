// OTLP/HTTP trace decoding: ExportTraceServiceRequest bodies (JSON or
// protobuf encoding) -> the AWS SDK calls they describe, as events.
//
// Only client spans of AWS SDK calls (`rpc.system` = "aws-api") of a service
// the SLA catalog knows are turned into events; other spans are counted and
// ignored. Attributes read (span first, then resource):
//   rpc.service ("KMS") -> service, rpc.method -> operation,
//   aws.request_id | aws.request.id -> request ID,
//   cloud.region | aws.region -> Region,
//   cloud.account.id -> account (else OtlpDecodeOptions::default_account),
//   http.response.status_code | http.status_code -> HTTP status,
//   an "exception" span event's exception.type (else aws.error.code) -> error code.
// Outcomes follow the rule of the other client-side sources: 2xx is a
// success, a call without a request ID never got an answer AWS can be held
// to (kNoResponse), otherwise the catalog classifies code and status.
// Instrumentations often leave the request ID out of failed calls (the
// JavaScript one does); a call AWS answered (an HTTP status is recorded) is
// then keyed by its span, "otel:<trace id>/<span id>", so it counts as the
// error it was and a re-sent span is not counted twice.
// Pure: no I/O, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/events/event.h"
#include "recoup/sla/catalog.h"

namespace recoup::web {

struct OtlpDecodeOptions {
  std::string default_account;            // when a span has no cloud.account.id
  const sla::Catalog* catalog = nullptr;  // required
  // JSON bodies are measured before they are parsed: nesting deeper than
  // max_json_depth, or an estimated parsed size above json_memory_budget_bytes
  // (about 48 bytes per value plus the strings' bytes), is INVALID_ARGUMENT,
  // so that a small body cannot expand into a large tree.
  int max_json_depth = 64;
  size_t json_memory_budget_bytes = 32u << 20;
  // The receiver's wall clock (epoch ms): spans that start later than this
  // plus validate::kClockSkewMs, or before the catalog's earliest SLA, are
  // rejected. Required.
  int64_t now_ms = 0;
};

// The check above, on its own: OK, or INVALID_ARGUMENT saying which limit.
Status CheckJsonShape(std::string_view body, int max_depth, size_t memory_budget_bytes);

struct OtlpDecoded {
  std::vector<events::Event> events;
  int64_t spans = 0;          // every span in the request
  int64_t ignored = 0;        // not AWS SDK calls, or services without an SLA
  int64_t rejected = 0;       // AWS SDK calls that cannot be used (no account, Region, time, or a
                              // field validate refuses)
  std::string reject_reason;  // the first rejection, for the partial-success message
};

// INVALID_ARGUMENT naming the offending place (e.g.
// "resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: not an integer")
// when the body is not a valid request.
Result<OtlpDecoded> DecodeOtlpTracesJson(std::string_view body, const OtlpDecodeOptions& options);
Result<OtlpDecoded> DecodeOtlpTracesProtobuf(std::string_view body,
                                             const OtlpDecodeOptions& options);

// The response bodies OTLP/HTTP expects (ExportTraceServiceResponse), with a
// partial success when some spans were rejected.
std::string OtlpResponseJson(const OtlpDecoded& decoded);
std::string OtlpResponseProtobuf(const OtlpDecoded& decoded);

}  // namespace recoup::web
