#include "recoup/aws/health_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

namespace {

using nlohmann::json;

constexpr size_t kDetailBatch = 10;

json EpochRange(int64_t from_ms, int64_t to_ms) {
  json r = json::object();
  if (from_ms > 0) r["from"] = static_cast<double>(from_ms) / 1000.0;
  if (to_ms > 0) r["to"] = static_cast<double>(to_ms) / 1000.0;
  return r;
}

json FilterJson(const HealthEventFilter& f, bool organization) {
  json j = json::object();
  if (!f.services.empty()) j["services"] = f.services;
  if (!f.regions.empty()) j["regions"] = f.regions;
  if (!f.event_type_categories.empty()) j["eventTypeCategories"] = f.event_type_categories;
  if (!f.event_status_codes.empty()) j["eventStatusCodes"] = f.event_status_codes;
  if (organization && !f.aws_account_ids.empty()) j["awsAccountIds"] = f.aws_account_ids;
  if (f.start_from_ms > 0 || f.start_to_ms > 0) {
    // The account filter takes a list of ranges, the organization filter one range.
    json range = EpochRange(f.start_from_ms, f.start_to_ms);
    if (organization) {
      j["startTime"] = std::move(range);
    } else {
      j["startTimes"] = json::array({std::move(range)});
    }
  }
  return j;
}

using Event = HealthApiEvent;
// clang-format off
constexpr JsonStringField<Event> kEventStrings[] = {
    {&Event::arn, "arn"}, {&Event::service, "service"}, {&Event::event_type_code, "eventTypeCode"},
    {&Event::event_type_category, "eventTypeCategory"}, {&Event::region, "region"},
    {&Event::availability_zone, "availabilityZone"}, {&Event::status_code, "statusCode"},
    {&Event::event_scope_code, "eventScopeCode"}};
// clang-format on

using Entity = HealthAffectedEntity;
// clang-format off
constexpr JsonStringField<Entity> kEntityStrings[] = {
    {&Entity::entity_arn, "entityArn"}, {&Entity::event_arn, "eventArn"},
    {&Entity::entity_value, "entityValue"}, {&Entity::aws_account_id, "awsAccountId"},
    {&Entity::status_code, "statusCode"}};
// clang-format on

HealthAffectedEntity ParseEntity(const json& e) {
  HealthAffectedEntity entity = ReadJsonStrings(e, kEntityStrings);
  entity.last_updated_ms = JsonTimeMs(e, "lastUpdatedTime");
  return entity;
}

void ParseDetails(const json& page, HealthEventDetails& out) {
  for (const auto& s : JsonArray(page, "successfulSet")) {
    HealthEventDetail d;
    if (auto it = s.find("event"); it != s.end()) d.event = ParseHealthApiEvent(*it);
    d.aws_account_id = JsonString(s, "awsAccountId");
    if (auto it = s.find("eventDescription"); it != s.end()) {
      d.latest_description = JsonString(*it, "latestDescription");
    }
    out.successful.push_back(std::move(d));
  }
  for (const auto& f : JsonArray(page, "failedSet")) {
    out.failed.push_back({.event_arn = JsonString(f, "eventArn"),
                          .aws_account_id = JsonString(f, "awsAccountId"),
                          .error_name = JsonString(f, "errorName"),
                          .error_message = JsonString(f, "errorMessage")});
  }
}

}  // namespace

HealthApiEvent ParseHealthApiEvent(const json& j) {
  HealthApiEvent event = ReadJsonStrings(j, kEventStrings);
  event.start_ms = JsonTimeMs(j, "startTime");
  event.end_ms = JsonTimeMs(j, "endTime");
  event.last_updated_ms = JsonTimeMs(j, "lastUpdatedTime");
  return event;
}

namespace {

// Every event of a DescribeEvents* call (all pages).
Result<std::vector<HealthApiEvent>> CollectEvents(ApiClient* client, const char* operation,
                                                  const HealthEventFilter& filter,
                                                  bool organization) {
  std::vector<HealthApiEvent> out;
  json in = {{"filter", FilterJson(filter, organization)}, {"maxResults", 100}};
  RECOUP_RETURN_IF_ERROR(
      client->CallJsonPaginated(operation, in, "nextToken", "nextToken", [&](const json& page) {
        for (const auto& e : JsonArray(page, "events")) out.push_back(ParseHealthApiEvent(e));
        return Status::Ok();
      }));
  return out;
}

// Appends every entity of a DescribeAffectedEntities* call (all pages).
Status CollectEntities(ApiClient* client, const char* operation, const json& in,
                       std::vector<HealthAffectedEntity>& out) {
  return client->CallJsonPaginated(operation, in, "nextToken", "nextToken", [&](const json& page) {
    for (const auto& e : JsonArray(page, "entities")) out.push_back(ParseEntity(e));
    return Status::Ok();
  });
}

}  // namespace

Result<std::vector<HealthApiEvent>> HealthApi::DescribeEvents(const HealthEventFilter& filter) {
  return CollectEvents(client_, "DescribeEvents", filter, /*organization=*/false);
}

Result<HealthEventDetails> HealthApi::DescribeEventDetails(
    const std::vector<std::string>& event_arns) {
  HealthEventDetails out;
  for (size_t i = 0; i < event_arns.size(); i += kDetailBatch) {
    const size_t end = std::min(event_arns.size(), i + kDetailBatch);
    json arns = json::array();
    for (size_t k = i; k < end; ++k) arns.push_back(event_arns[k]);
    RECOUP_ASSIGN_OR_RETURN(json page,
                            client_->CallJson("DescribeEventDetails", {{"eventArns", arns}}));
    ParseDetails(page, out);
  }
  return out;
}

Result<std::vector<HealthAffectedEntity>> HealthApi::DescribeAffectedEntities(
    const std::vector<std::string>& event_arns) {
  std::vector<HealthAffectedEntity> out;
  for (size_t i = 0; i < event_arns.size(); i += kDetailBatch) {
    const size_t end = std::min(event_arns.size(), i + kDetailBatch);
    json arns = json::array();
    for (size_t k = i; k < end; ++k) arns.push_back(event_arns[k]);
    json in = {{"filter", {{"eventArns", arns}}}};
    RECOUP_RETURN_IF_ERROR(CollectEntities(client_, "DescribeAffectedEntities", in, out));
  }
  return out;
}

Result<std::vector<HealthApiEvent>> HealthApi::DescribeEventsForOrganization(
    const HealthEventFilter& filter) {
  return CollectEvents(client_, "DescribeEventsForOrganization", filter, /*organization=*/true);
}

Result<std::vector<std::string>> HealthApi::DescribeAffectedAccountsForOrganization(
    const std::string& event_arn) {
  std::vector<std::string> out;
  RECOUP_RETURN_IF_ERROR(client_->CallJsonPaginated(
      "DescribeAffectedAccountsForOrganization", {{"eventArn", event_arn}}, "nextToken",
      "nextToken", [&](const json& page) {
        for (const auto& a : JsonArray(page, "affectedAccounts")) {
          if (a.is_string()) out.push_back(a.get<std::string>());
        }
        return Status::Ok();
      }));
  return out;
}

namespace {
json OrgKeys(const std::vector<HealthOrgEventKey>& keys, size_t begin, size_t end) {
  json list = json::array();
  for (size_t k = begin; k < end; ++k) {
    json item = {{"eventArn", keys[k].event_arn}};
    if (!keys[k].aws_account_id.empty()) item["awsAccountId"] = keys[k].aws_account_id;
    list.push_back(std::move(item));
  }
  return list;
}
}  // namespace

Result<HealthEventDetails> HealthApi::DescribeEventDetailsForOrganization(
    const std::vector<HealthOrgEventKey>& keys) {
  HealthEventDetails out;
  for (size_t i = 0; i < keys.size(); i += kDetailBatch) {
    const size_t end = std::min(keys.size(), i + kDetailBatch);
    RECOUP_ASSIGN_OR_RETURN(
        json page, client_->CallJson("DescribeEventDetailsForOrganization",
                                     {{"organizationEventDetailFilters", OrgKeys(keys, i, end)}}));
    ParseDetails(page, out);
  }
  return out;
}

Result<std::vector<HealthAffectedEntity>> HealthApi::DescribeAffectedEntitiesForOrganization(
    const std::vector<HealthOrgEventKey>& keys) {
  std::vector<HealthAffectedEntity> out;
  for (size_t i = 0; i < keys.size(); i += kDetailBatch) {
    const size_t end = std::min(keys.size(), i + kDetailBatch);
    json in = {{"organizationEntityFilters", OrgKeys(keys, i, end)}};
    RECOUP_RETURN_IF_ERROR(
        CollectEntities(client_, "DescribeAffectedEntitiesForOrganization", in, out));
  }
  return out;
}

Result<std::vector<HealthEventType>> HealthApi::DescribeEventTypes(
    const std::vector<std::string>& services) {
  json in = json::object();
  if (!services.empty()) in["filter"] = {{"services", services}};
  std::vector<HealthEventType> out;
  RECOUP_RETURN_IF_ERROR(client_->CallJsonPaginated(
      "DescribeEventTypes", in, "nextToken", "nextToken", [&](const json& page) {
        for (const auto& t : JsonArray(page, "eventTypes")) {
          out.push_back({.service = JsonString(t, "service"),
                         .code = JsonString(t, "code"),
                         .category = JsonString(t, "category")});
        }
        return Status::Ok();
      }));
  return out;
}

}  // namespace recoup::aws
