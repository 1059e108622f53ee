// AWS STS (awsQuery protocol, XML responses): who am I, AssumeRole and
// AssumeRoleWithWebIdentity. The one STS client of recoup: the credential
// providers (credentials.h) assume roles through it too.
#pragma once

#include <cstdint>
#include <string>

#include "recoup/aws/api_client.h"
#include "recoup/aws/credentials.h"
#include "recoup/core/status.h"

namespace recoup::aws {

struct CallerIdentity {
  std::string account, arn, user_id;
};

struct AssumeRoleInput {
  std::string role_arn;      // required
  std::string session_name;  // required
  int duration_seconds = 0;  // 0: STS default (1 hour)
  std::string external_id;
};

struct AssumeRoleWithWebIdentityInput {
  std::string role_arn;            // required
  std::string session_name;        // required
  int duration_seconds = 0;        // 0: STS default (1 hour)
  std::string web_identity_token;  // required; never appears in a Status
};

struct AssumeRoleOutput {
  ExpiringCredentials credentials;
  std::string assumed_role_arn, assumed_role_id;
};

class StsApi {
 public:
  // `client` must be made for services::kSts and outlive this object.
  explicit StsApi(ApiClient* client) : client_(client) {}

  Result<CallerIdentity> GetCallerIdentity();
  // The account that owns an access key ID (sts:GetAccessKeyInfo).
  Result<std::string> GetAccessKeyInfo(const std::string& access_key_id);
  Result<AssumeRoleOutput> AssumeRole(const AssumeRoleInput& input);
  // The token is the authentication: `client` should have no credentials
  // provider (unsigned requests), as the SDKs send this call.
  Result<AssumeRoleOutput> AssumeRoleWithWebIdentity(const AssumeRoleWithWebIdentityInput& input);

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
