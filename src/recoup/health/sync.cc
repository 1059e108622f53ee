#include "recoup/health/sync.h"

#include <map>
#include <string>
#include <utility>

#include "recoup/health/health_event.h"

namespace recoup::health {

namespace {

// An API event is stored only if it passes the validation layer.
void Keep(health::HealthEvent e, ApiSyncResult* out) {
  if (Status st = ValidateHealthEvent(e); !st.ok()) {
    ++out->rejected;
    if (out->first_rejection.empty())
      out->first_rejection = e.arn.substr(0, 200) + ": " + st.message();
    return;
  }
  out->events.push_back(std::move(e));
}

}  // namespace

Result<ApiSyncResult> FetchFromApi(aws::HealthApi& api, const aws::HealthEventFilter& filter,
                                   bool organization) {
  ApiSyncResult out;
  if (!organization) {
    RECOUP_ASSIGN_OR_RETURN(auto events, api.DescribeEvents(filter));
    std::vector<std::string> arns;
    arns.reserve(events.size());
    for (const auto& e : events) arns.push_back(e.arn);
    RECOUP_ASSIGN_OR_RETURN(auto details, api.DescribeEventDetails(arns));
    RECOUP_ASSIGN_OR_RETURN(auto affected, api.DescribeAffectedEntities(arns));
    std::map<std::string, std::string> descriptions;
    for (const auto& d : details.successful) descriptions[d.event.arn] = d.latest_description;
    out.details_unavailable += static_cast<int64_t>(details.failed.size());
    std::map<std::string, std::vector<std::string>> accounts;
    for (const auto& en : affected) {
      ++out.affected_entities;
      if (!en.aws_account_id.empty()) accounts[en.event_arn].push_back(en.aws_account_id);
    }
    for (const auto& e : events) {
      Keep(FromApiEvent(e, descriptions[e.arn], accounts[e.arn], "health-api"), &out);
    }
    return out;
  }
  RECOUP_ASSIGN_OR_RETURN(auto events, api.DescribeEventsForOrganization(filter));
  for (const auto& e : events) {
    RECOUP_ASSIGN_OR_RETURN(auto accounts, api.DescribeAffectedAccountsForOrganization(e.arn));
    std::vector<aws::HealthOrgEventKey> keys;
    keys.reserve(accounts.size());
    for (const std::string& acct : accounts) keys.push_back({e.arn, acct});
    if (keys.empty()) keys.push_back({e.arn, ""});
    std::string description;
    RECOUP_ASSIGN_OR_RETURN(auto details, api.DescribeEventDetailsForOrganization({keys.front()}));
    for (const auto& d : details.successful) {
      if (!d.latest_description.empty()) description = d.latest_description;
    }
    out.details_unavailable += static_cast<int64_t>(details.failed.size());
    if (!accounts.empty()) {
      RECOUP_ASSIGN_OR_RETURN(auto affected, api.DescribeAffectedEntitiesForOrganization(keys));
      out.affected_entities += static_cast<int64_t>(affected.size());
    }
    Keep(FromApiEvent(e, description, accounts, "health-org-api"), &out);
  }
  return out;
}

}  // namespace recoup::health
