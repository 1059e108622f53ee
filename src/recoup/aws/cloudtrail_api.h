// AWS CloudTrail LookupEvents (awsJson1_1): the last 90 days of management
// events, 50 per page. AWS allows 2 LookupEvents requests per second per
// account and Region: every CloudTrailApi paces its calls with a token
// bucket (one CloudTrailApi per account-Region; throttling answers that slip
// through are retried by the HttpClient's retry policy).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/clock.h"
#include "recoup/core/status.h"

namespace recoup::aws {

// A token bucket: `rate_per_s` tokens per second, at most `burst` saved.
// Paced by `clock` (not owned; recoup::SystemClock() when null): its
// monotonic time refills the bucket and Acquire waits with its SleepFor, so
// on a FakeClock no real time passes.
class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst, const Clock* clock = nullptr);
  // Blocks (through the clock's SleepFor) until a token is available, then
  // takes it.
  void Acquire();
  int64_t total_slept_ms() const { return total_slept_ms_; }

 private:
  double rate_per_ms_, burst_, tokens_;
  const Clock* clock_;
  int64_t last_ms_;
  int64_t total_slept_ms_ = 0;
};

struct LookupEventsInput {
  // LookupAttributes: AWS accepts one; e.g. {"EventSource", "kms.amazonaws.com"}.
  std::string attribute_key, attribute_value;
  int64_t start_ms = 0, end_ms = 0;  // 0: AWS defaults
  int max_results = 50;
};

struct LookupEvent {
  std::string event_id, event_name, event_source, username, access_key_id;
  int64_t event_time_ms = 0;
  std::string cloudtrail_event;  // the full record, as a JSON string
};

class CloudTrailApi {
 public:
  // `client` must be made for services::kCloudTrail; `bucket` paces calls
  // (nullptr: a 2/s bucket on recoup::SystemClock()).
  explicit CloudTrailApi(ApiClient* client, TokenBucket* bucket = nullptr);

  // Calls `on_page` with each raw page ({"Events": [...], "NextToken": ...})
  // and the page's events, following NextToken to the end.
  Status LookupEvents(const LookupEventsInput& input,
                      const std::function<Status(const nlohmann::json& page,
                                                 std::vector<LookupEvent> events)>& on_page);
  // Every event of every page.
  Result<std::vector<LookupEvent>> LookupAllEvents(const LookupEventsInput& input);

 private:
  ApiClient* client_;
  TokenBucket own_bucket_;
  TokenBucket* bucket_;
};

}  // namespace recoup::aws
