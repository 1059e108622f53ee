#include "recoup/aws/cloudtrail_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace recoup::aws {

namespace {

using Event = LookupEvent;
// clang-format off
constexpr JsonStringField<LookupEvent> kEventStrings[] = {
    {&Event::event_id, "EventId"}, {&Event::event_name, "EventName"},
    {&Event::event_source, "EventSource"}, {&Event::username, "Username"},
    {&Event::access_key_id, "AccessKeyId"}, {&Event::cloudtrail_event, "CloudTrailEvent"}};
// clang-format on

LookupEvent ParseEvent(const nlohmann::json& e) {
  LookupEvent event = ReadJsonStrings(e, kEventStrings);
  event.event_time_ms = JsonTimeMs(e, "EventTime");
  return event;
}

}  // namespace

TokenBucket::TokenBucket(double rate_per_s, double burst, const Clock* clock)
    : rate_per_ms_(rate_per_s / 1000.0),
      burst_(burst),
      tokens_(burst),
      clock_(clock != nullptr ? clock : &SystemClock()),
      last_ms_(clock_->MonotonicMs()) {}

void TokenBucket::Acquire() {
  while (true) {
    const int64_t now = clock_->MonotonicMs();
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_ms_) * rate_per_ms_);
    last_ms_ = now;
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return;
    }
    const auto wait = static_cast<int64_t>((1.0 - tokens_) / rate_per_ms_) + 1;
    total_slept_ms_ += wait;
    clock_->SleepFor(wait);
  }
}

CloudTrailApi::CloudTrailApi(ApiClient* client, TokenBucket* bucket)
    : client_(client), own_bucket_(2.0, 2.0), bucket_(bucket != nullptr ? bucket : &own_bucket_) {}

Status CloudTrailApi::LookupEvents(
    const LookupEventsInput& input,
    const std::function<Status(const nlohmann::json&, std::vector<LookupEvent>)>& on_page) {
  using nlohmann::json;
  json in = json::object();
  if (!input.attribute_key.empty()) {
    in["LookupAttributes"] = json::array(
        {{{"AttributeKey", input.attribute_key}, {"AttributeValue", input.attribute_value}}});
  }
  if (input.start_ms > 0) in["StartTime"] = static_cast<double>(input.start_ms) / 1000.0;
  if (input.end_ms > 0) in["EndTime"] = static_cast<double>(input.end_ms) / 1000.0;
  if (input.max_results > 0) in["MaxResults"] = input.max_results;
  std::set<std::string> seen;
  while (true) {
    bucket_->Acquire();
    RECOUP_ASSIGN_OR_RETURN(json page, client_->CallJson("LookupEvents", in));
    std::vector<LookupEvent> events;
    for (const auto& e : JsonArray(page, "Events")) events.push_back(ParseEvent(e));
    RECOUP_RETURN_IF_ERROR(on_page(page, std::move(events)));
    const std::string next = JsonString(page, "NextToken");
    if (next.empty()) return Status::Ok();
    if (!seen.insert(next).second) {
      return DataLoss(
          "CloudTrail LookupEvents: the server returned a NextToken it had already "
          "given (a page loop); stopping");
    }
    in["NextToken"] = next;
  }
}

Result<std::vector<LookupEvent>> CloudTrailApi::LookupAllEvents(const LookupEventsInput& input) {
  std::vector<LookupEvent> all;
  RECOUP_RETURN_IF_ERROR(
      LookupEvents(input, [&](const nlohmann::json&, std::vector<LookupEvent> events) {
        for (auto& e : events) all.push_back(std::move(e));
        return Status::Ok();
      }));
  return all;
}

}  // namespace recoup::aws
