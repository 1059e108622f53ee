// AWS Health (awsJson1_1, "AWSHealth_20160804"): account and organization
// views. The API has one global endpoint (ResolveEndpoint gives
// https://global.health.amazonaws.com, signed for us-east-1); it needs a
// Business or higher support plan (SubscriptionRequiredException otherwise),
// and the organization view needs organizational view enabled
// (health:EnableHealthServiceAccessForOrganization) and a call from the
// management account or a delegated administrator.
//
// Every Describe* call here follows nextToken to the end. DescribeEventDetails
// calls are batched by 10 ARNs (the API's limit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

struct HealthEventFilter {
  std::vector<std::string> services;               // "KMS"
  std::vector<std::string> regions;                // "us-east-1"
  std::vector<std::string> event_type_categories;  // "issue"
  std::vector<std::string> event_status_codes;     // "open", "closed", "upcoming"
  std::vector<std::string> aws_account_ids;        // organization view only
  int64_t start_from_ms = 0;                       // events starting at or after (0: any)
  int64_t start_to_ms = 0;                         // events starting before (0: any)
};

struct HealthApiEvent {
  std::string arn, service, event_type_code, event_type_category, region, availability_zone;
  std::string status_code;       // "open", "closed", "upcoming"
  std::string event_scope_code;  // "PUBLIC", "ACCOUNT_SPECIFIC", "NONE"
  int64_t start_ms = 0, end_ms = 0, last_updated_ms = 0;
};

struct HealthEventDetail {
  HealthApiEvent event;
  std::string aws_account_id;  // organization view
  std::string latest_description;
};

struct HealthDetailFailure {
  std::string event_arn, aws_account_id, error_name, error_message;
};

struct HealthEventDetails {
  std::vector<HealthEventDetail> successful;
  std::vector<HealthDetailFailure> failed;
};

struct HealthAffectedEntity {
  std::string entity_arn, event_arn, entity_value, aws_account_id, status_code;
  int64_t last_updated_ms = 0;
};

struct HealthEventType {
  std::string service, code, category;
};

// (event ARN, account) pairs for the organization calls.
struct HealthOrgEventKey {
  std::string event_arn, aws_account_id;
};

class HealthApi {
 public:
  // `client` must be made for services::kHealth and outlive this object.
  explicit HealthApi(ApiClient* client) : client_(client) {}

  Result<std::vector<HealthApiEvent>> DescribeEvents(const HealthEventFilter& filter);
  Result<HealthEventDetails> DescribeEventDetails(const std::vector<std::string>& event_arns);
  Result<std::vector<HealthAffectedEntity>> DescribeAffectedEntities(
      const std::vector<std::string>& event_arns);

  Result<std::vector<HealthApiEvent>> DescribeEventsForOrganization(
      const HealthEventFilter& filter);
  Result<std::vector<std::string>> DescribeAffectedAccountsForOrganization(
      const std::string& event_arn);
  Result<HealthEventDetails> DescribeEventDetailsForOrganization(
      const std::vector<HealthOrgEventKey>& keys);
  Result<std::vector<HealthAffectedEntity>> DescribeAffectedEntitiesForOrganization(
      const std::vector<HealthOrgEventKey>& keys);

  Result<std::vector<HealthEventType>> DescribeEventTypes(
      const std::vector<std::string>& services = {});

 private:
  ApiClient* client_;
};

// The Health wire shape of one event ({"arn":..., "startTime": epoch s, ...}).
HealthApiEvent ParseHealthApiEvent(const nlohmann::json& j);

}  // namespace recoup::aws
