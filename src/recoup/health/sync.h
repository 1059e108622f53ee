// Reads AWS Health's KMS events through the Health API, with their latest
// descriptions and affected accounts, in the account view or (from the
// organization's management or delegated administrator account) the
// organization view. Shared by `recoup health sync` and `recoup serve`.
#pragma once

#include <cstdint>
#include <vector>

#include "recoup/aws/health_api.h"
#include "recoup/core/status.h"
#include "recoup/storage/store.h"

namespace recoup::health {

struct ApiSyncResult {
  std::vector<health::HealthEvent> events;  // source "health-api" or "health-org-api"
  int64_t affected_entities = 0;
  int64_t details_unavailable = 0;  // events whose details AWS did not return
  int64_t rejected = 0;             // events the validation layer refused (not stored)
  std::string first_rejection;      // why the first was refused
};

// Errors are the API's (typed AWS errors: aws::AwsErrorOf).
Result<ApiSyncResult> FetchFromApi(aws::HealthApi& api, const aws::HealthEventFilter& filter,
                                   bool organization);

}  // namespace recoup::health
