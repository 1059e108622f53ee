#include "recoup/aws/sts_api.h"

#include <string>

#include "recoup/core/time.h"

namespace recoup::aws {
namespace {

// The RoleArn, RoleSessionName and DurationSeconds parameters both AssumeRole
// calls start with.
template <typename Input>
Result<QueryParams> RoleQueryParams(const char* action, const Input& input) {
  if (input.role_arn.empty() || input.session_name.empty()) {
    return InvalidArgument(std::string(action) + ": role ARN and session name are required");
  }
  QueryParams params{{"RoleArn", input.role_arn}, {"RoleSessionName", input.session_name}};
  if (input.duration_seconds > 0) {
    params.emplace_back("DurationSeconds", std::to_string(input.duration_seconds));
  }
  return params;
}

// The <Credentials> and <AssumedRoleUser> of an AssumeRole* response.
Result<AssumeRoleOutput> ParseAssumeRoleResponse(const std::string& action, std::string_view xml) {
  const std::optional<XmlElement> creds = FindXmlElement(xml, "Credentials");
  if (!creds) return DataLoss("STS " + action + ": the response has no Credentials");
  AssumeRoleOutput out;
  Credentials& c = out.credentials.credentials;
  c.access_key_id = XmlTagText(creds->inner, "AccessKeyId");
  c.secret_access_key = XmlTagText(creds->inner, "SecretAccessKey");
  c.session_token = XmlTagText(creds->inner, "SessionToken");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return DataLoss("STS " + action + ": the response's Credentials are incomplete");
  }
  const std::string expiration = XmlTagText(creds->inner, "Expiration");
  if (!expiration.empty()) {
    auto ms = ParseTimestampMs(expiration);
    if (!ms.ok()) return DataLoss("STS " + action + ": unreadable Expiration");
    out.credentials.expiration_ms = *ms;
  }
  if (const std::optional<XmlElement> user = FindXmlElement(xml, "AssumedRoleUser")) {
    out.assumed_role_arn = XmlTagText(user->inner, "Arn");
    out.assumed_role_id = XmlTagText(user->inner, "AssumedRoleId");
  }
  return out;
}

}  // namespace

Result<CallerIdentity> StsApi::GetCallerIdentity() {
  RECOUP_ASSIGN_OR_RETURN(std::string xml, client_->CallQuery("GetCallerIdentity", {}));
  CallerIdentity id{.account = XmlTagText(xml, "Account"),
                    .arn = XmlTagText(xml, "Arn"),
                    .user_id = XmlTagText(xml, "UserId")};
  if (id.account.empty() || id.arn.empty()) {
    return DataLoss("STS GetCallerIdentity: the response has no Account or Arn");
  }
  return id;
}

Result<std::string> StsApi::GetAccessKeyInfo(const std::string& access_key_id) {
  if (access_key_id.empty()) return InvalidArgument("STS GetAccessKeyInfo: no access key ID");
  RECOUP_ASSIGN_OR_RETURN(std::string xml,
                          client_->CallQuery("GetAccessKeyInfo", {{"AccessKeyId", access_key_id}}));
  std::string account = XmlTagText(xml, "Account");
  if (account.empty()) return DataLoss("STS GetAccessKeyInfo: the response has no Account");
  return account;
}

Result<AssumeRoleOutput> StsApi::AssumeRole(const AssumeRoleInput& input) {
  RECOUP_ASSIGN_OR_RETURN(QueryParams params, RoleQueryParams("AssumeRole", input));
  if (!input.external_id.empty()) params.emplace_back("ExternalId", input.external_id);
  RECOUP_ASSIGN_OR_RETURN(std::string xml, client_->CallQuery("AssumeRole", params));
  return ParseAssumeRoleResponse("AssumeRole", xml);
}

Result<AssumeRoleOutput> StsApi::AssumeRoleWithWebIdentity(
    const AssumeRoleWithWebIdentityInput& input) {
  RECOUP_ASSIGN_OR_RETURN(QueryParams params, RoleQueryParams("AssumeRoleWithWebIdentity", input));
  if (input.web_identity_token.empty()) {
    return InvalidArgument("AssumeRoleWithWebIdentity: a web identity token is required");
  }
  params.emplace_back("WebIdentityToken", input.web_identity_token);
  RECOUP_ASSIGN_OR_RETURN(std::string xml, client_->CallQuery("AssumeRoleWithWebIdentity", params));
  return ParseAssumeRoleResponse("AssumeRoleWithWebIdentity", xml);
}

}  // namespace recoup::aws
