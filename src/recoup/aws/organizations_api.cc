#include "recoup/aws/organizations_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

Result<std::vector<OrgAccount>> OrganizationsApi::ListAccounts() {
  std::vector<OrgAccount> out;
  RECOUP_RETURN_IF_ERROR(
      client_->CallJsonPaginated("ListAccounts", nlohmann::json::object(), "NextToken", "NextToken",
                                 [&](const nlohmann::json& page) {
                                   auto it = page.find("Accounts");
                                   if (it == page.end() || !it->is_array()) return Status::Ok();
                                   for (const auto& a : *it) {
                                     out.push_back({.id = JsonString(a, "Id"),
                                                    .arn = JsonString(a, "Arn"),
                                                    .name = JsonString(a, "Name"),
                                                    .email = JsonString(a, "Email"),
                                                    .status = JsonString(a, "Status"),
                                                    .joined_method = JsonString(a, "JoinedMethod"),
                                                    .joined_ms = JsonTimeMs(a, "JoinedTimestamp")});
                                   }
                                   return Status::Ok();
                                 }));
  return out;
}

}  // namespace recoup::aws
