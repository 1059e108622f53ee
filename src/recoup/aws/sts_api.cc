#include "recoup/aws/sts_api.h"

#include <string>

#include "recoup/core/time.h"

namespace recoup::aws {

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

Result<AssumeRoleOutput> StsApi::AssumeRole(const AssumeRoleInput& input) {
  if (input.role_arn.empty() || input.session_name.empty()) {
    return InvalidArgument("AssumeRole: role ARN and session name are required");
  }
  QueryParams params{{"RoleArn", input.role_arn}, {"RoleSessionName", input.session_name}};
  if (input.duration_seconds > 0) {
    params.emplace_back("DurationSeconds", std::to_string(input.duration_seconds));
  }
  if (!input.external_id.empty()) params.emplace_back("ExternalId", input.external_id);
  RECOUP_ASSIGN_OR_RETURN(std::string xml, client_->CallQuery("AssumeRole", params));
  const auto creds_blocks = XmlBlocks(xml, "Credentials");
  if (creds_blocks.empty()) return DataLoss("STS AssumeRole: the response has no Credentials");
  const std::string_view creds = creds_blocks.front();
  AssumeRoleOutput out;
  out.credentials.credentials.access_key_id = XmlTagText(creds, "AccessKeyId");
  out.credentials.credentials.secret_access_key = XmlTagText(creds, "SecretAccessKey");
  out.credentials.credentials.session_token = XmlTagText(creds, "SessionToken");
  if (out.credentials.credentials.access_key_id.empty() ||
      out.credentials.credentials.secret_access_key.empty()) {
    return DataLoss("STS AssumeRole: the response's Credentials are incomplete");
  }
  const std::string expiration = XmlTagText(creds, "Expiration");
  if (!expiration.empty()) {
    auto ms = ParseTimestampMs(expiration);
    if (!ms.ok()) return DataLoss("STS AssumeRole: unreadable Expiration");
    out.credentials.expiration_ms = *ms;
  }
  const auto user = XmlBlocks(xml, "AssumedRoleUser");
  if (!user.empty()) {
    out.assumed_role_arn = XmlTagText(user.front(), "Arn");
    out.assumed_role_id = XmlTagText(user.front(), "AssumedRoleId");
  }
  return out;
}

}  // namespace recoup::aws
