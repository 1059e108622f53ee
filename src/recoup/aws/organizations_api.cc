#include "recoup/aws/organizations_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {
namespace {

using Account = OrgAccount;
// clang-format off
constexpr JsonStringField<Account> kAccountStrings[] = {
    {&Account::id, "Id"}, {&Account::arn, "Arn"}, {&Account::name, "Name"},
    {&Account::email, "Email"}, {&Account::status, "Status"},
    {&Account::joined_method, "JoinedMethod"}};
// clang-format on

}  // namespace

Result<std::vector<OrgAccount>> OrganizationsApi::ListAccounts() {
  std::vector<OrgAccount> out;
  RECOUP_RETURN_IF_ERROR(
      client_->CallJsonPaginated("ListAccounts", nlohmann::json::object(), "NextToken", "NextToken",
                                 [&](const nlohmann::json& page) {
                                   for (const auto& a : JsonArray(page, "Accounts")) {
                                     OrgAccount account = ReadJsonStrings(a, kAccountStrings);
                                     account.joined_ms = JsonTimeMs(a, "JoinedTimestamp");
                                     out.push_back(std::move(account));
                                   }
                                   return Status::Ok();
                                 }));
  return out;
}

}  // namespace recoup::aws
