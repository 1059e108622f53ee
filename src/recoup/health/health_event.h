// AWS Health events as recoup keeps them (health::HealthEvent), from any of
// their shapes: the Health API (account and organization views), aws.health
// EventBridge events (as delivered to a target, as PutEvents entries, or as
// the body of an SQS message), in files holding one event, an array, or JSON
// lines. Pure: no files, clocks or network.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/aws/health_api.h"
#include "recoup/core/status.h"
#include "recoup/health/record.h"

namespace recoup::health {

// One EventBridge aws.health event (envelope with "detail", or a PutEvents
// entry with "Detail" as a string). INVALID_ARGUMENT naming the field when
// it is not one or lacks eventArn/service/eventTypeCode/startTime.
Result<health::HealthEvent> ParseEventBridgeEvent(std::string_view json_text);

struct ParsedFile {
  std::vector<health::HealthEvent> events;
  std::vector<std::string> errors;  // "FILE:LINE: what", one per bad record
};

// Every event in `bytes` (a single JSON event, a JSON array of events, or
// JSON lines). Bad records are reported by `name`:line and skipped; good
// ones are kept.
ParsedFile ParseEventFile(std::string_view bytes, const std::string& name);

// The stored form of a Health API event. `description` and `accounts` come
// from DescribeEventDetails / DescribeAffectedAccountsForOrganization.
health::HealthEvent FromApiEvent(const aws::HealthApiEvent& e, std::string description,
                                 std::vector<std::string> accounts, std::string source);

// The validation layer (validate.h) applied to a Health event before it is
// stored: the ARN, the Region ("global" or an AWS Region), every affected
// account, the service and type codes as bounded text, the times within
// epoch years 1970..9999 and the end not before the start. INVALID_ARGUMENT
// naming the field otherwise.
Status ValidateHealthEvent(const health::HealthEvent& e);

// True if [event start, event end) meets [start_ms, end_ms); an event with no
// end (still open) runs forever.
bool Overlaps(const health::HealthEvent& e, int64_t start_ms, int64_t end_ms);

// Health names services "KMS", "EC2"...; recoup's catalog uses "kms".
std::string HealthServiceName(std::string_view recoup_service);

}  // namespace recoup::health
