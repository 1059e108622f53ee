// AWS Cost Explorer (awsJson1_1, "AWSInsightsIndexService"): GetCostAndUsage.
// Endpoint us-east-1 (ce.us-east-1.amazonaws.com). Every request is billed by
// AWS ($0.01 per paginated request at the time of writing).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

struct CostAndUsageInput {
  std::string start, end;               // "YYYY-MM-DD"; end exclusive
  std::string granularity = "MONTHLY";  // DAILY, MONTHLY, HOURLY
  std::vector<std::string> metrics;     // "UnblendedCost", "NetUnblendedCost", ...
  std::vector<std::string> group_by;    // DIMENSION keys: "REGION", "LINKED_ACCOUNT" (≤ 2)
  // Dimension filter: every (key, values) pair must hold (an "And" when
  // there are several). E.g. {"SERVICE", {"AWS Key Management Service"}}.
  std::vector<std::pair<std::string, std::vector<std::string>>> dimensions;
};

struct CostAmount {
  std::string amount;  // decimal text as AWS sent it (parse exactly)
  std::string unit;    // "USD"
};

struct CostRow {
  std::string start, end;         // the result's TimePeriod
  std::vector<std::string> keys;  // group keys in group_by order; empty for totals
  std::map<std::string, CostAmount> metrics;
  bool estimated = false;
};

class CostExplorerApi {
 public:
  // `client` must be made for services::kCostExplorer and outlive this object.
  explicit CostExplorerApi(ApiClient* client) : client_(client) {}

  // All rows of all pages (NextPageToken followed to the end). With
  // group_by, one row per group per period; without, one total per period.
  Result<std::vector<CostRow>> GetCostAndUsage(const CostAndUsageInput& input);

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
