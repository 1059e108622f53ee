// AWS credential providers and the default provider chain.
//
// Chain order (MakeDefaultCredentialsProvider), as botocore resolves it:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
//      (+ AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION);
//   2. the selected profile (see ProfileCredentialsFactory for its own order:
//      role_arn + source_profile/credential_source, role_arn +
//      web_identity_token_file, static keys, credential_process);
//   3. web identity from AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      (+ AWS_ROLE_SESSION_NAME);
//   4. ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//      or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
//   5. EC2 instance metadata (IMDSv2, falling back to v1 when the token call
//      answers 403/404/405), unless AWS_EC2_METADATA_DISABLED=true.
// A step that is not configured answers NOT_FOUND and the chain moves on; any
// other error stops the chain (a broken configuration is not skipped). The
// first step that yields credentials is remembered.
//
// Secrets: no Status message, log line or ToString() produced here contains
// a secret key, session token or web identity token. Use
// RedactAccessKeyId()/DescribeCredentials() to show credentials.
//
// Providers are thread-safe (a mutex guards each cache).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/aws/config.h"
#include "recoup/aws/sigv4.h"
#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/net/http_client.h"

namespace recoup::aws {

// Refresh temporary credentials this long before they expire.
inline constexpr int64_t kDefaultRefreshWindowMs = 5 * 60 * 1000;

struct ExpiringCredentials {
  Credentials credentials;
  std::optional<int64_t> expiration_ms;  // nullopt: never expires
};

// "AKIA****WXYZ": the first and last four characters of an access key ID
// (only "****" for IDs shorter than 12 characters).
std::string RedactAccessKeyId(std::string_view access_key_id);
// "access_key_id=AKIA****WXYZ secret=**** session_token=****|none
// expiration=2025-01-01T00:00:00Z|never". Never contains a secret.
std::string DescribeCredentials(const ExpiringCredentials& credentials);
// Replaces every occurrence of the secret key and session token in `text`
// with "****" (for error text a peer may echo back).
void MaskSecrets(std::string& text, const Credentials& credentials);

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials for signing; cached until they are about to expire.
  Result<Credentials> Get();
  virtual Result<ExpiringCredentials> GetExpiring() = 0;
  // "environment", "profile 'dev' static keys", "IMDS", ... (no secrets).
  virtual std::string Name() const = 0;
};

// A provider that fetches and caches: Fetch() is called when nothing is
// cached, or when the cached credentials expire within the refresh window. If
// a refresh fails while the cached credentials are still valid, they are kept.
class RefreshingCredentialsProvider : public CredentialsProvider {
 public:
  Result<ExpiringCredentials> GetExpiring() final;

 protected:
  // `clock` (not owned; recoup::SystemClock() when null) gives wall time.
  explicit RefreshingCredentialsProvider(const Clock* clock,
                                         int64_t refresh_window_ms = kDefaultRefreshWindowMs);
  virtual Result<ExpiringCredentials> Fetch() = 0;
  int64_t Now() const { return clock_->NowMs(); }

 private:
  const Clock* clock_;
  int64_t refresh_window_ms_;
  Mutex mu_;
  std::optional<ExpiringCredentials> cached_ GUARDED_BY(mu_);
};

// Fixed credentials.
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  StaticCredentialsProvider(ExpiringCredentials credentials, std::string name);
  Result<ExpiringCredentials> GetExpiring() override { return credentials_; }
  std::string Name() const override { return name_; }

 private:
  ExpiringCredentials credentials_;
  std::string name_;
};

// Shared dependencies of the network-backed providers.
struct ProviderDeps {
  net::HttpClient* http = nullptr;  // not owned; needed by STS, ECS and IMDS
  const Clock* clock = nullptr;     // recoup::SystemClock() when null; not owned
};

// Reads the environment on every fetch. NOT_FOUND when AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY are both unset; INVALID_ARGUMENT when only one is.
std::unique_ptr<CredentialsProvider> MakeEnvironmentCredentialsProvider(Env env);

// Splits a command line with POSIX shlex rules (quotes, backslash escapes, no
// comments, no expansion), as botocore does for credential_process.
Result<std::vector<std::string>> ShlexSplit(std::string_view command);

// Runs `command` (split with ShlexSplit, executed directly, no shell) and
// parses its stdout: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken"?, "Expiration"?}. `clock`: as in ProviderDeps.
std::unique_ptr<CredentialsProvider> MakeProcessCredentialsProvider(std::string command,
                                                                    std::string profile_name,
                                                                    const Clock* clock);

// Parameters of an STS AssumeRole* call.
struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;  // "recoup-<unix seconds>" when empty
  std::string external_id;        // optional
  std::optional<int> duration_seconds;
  Endpoint sts_endpoint;  // from AwsConfig::ResolveEndpoint("STS", region)
};

// STS AssumeRole (StsApi::AssumeRole), SigV4-signed with the source
// provider's credentials.
std::unique_ptr<CredentialsProvider> MakeAssumeRoleCredentialsProvider(
    AssumeRoleParams params, std::shared_ptr<CredentialsProvider> source, ProviderDeps deps);

// STS AssumeRoleWithWebIdentity (StsApi::AssumeRoleWithWebIdentity,
// unsigned); the token file is read on each refresh.
std::unique_ptr<CredentialsProvider> MakeWebIdentityCredentialsProvider(AssumeRoleParams params,
                                                                        std::string token_file,
                                                                        ProviderDeps deps);

// ECS/EKS container credentials. NOT_FOUND when neither
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set.
std::unique_ptr<CredentialsProvider> MakeContainerCredentialsProvider(Env env, ProviderDeps deps);

// EC2 instance metadata (IMDSv2). Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT,
// else `ec2_metadata_service_endpoint` of the profile, else
// http://169.254.169.254. NOT_FOUND when disabled or unreachable.
std::unique_ptr<CredentialsProvider> MakeImdsCredentialsProvider(const AwsConfig& config,
                                                                 ProviderDeps deps);

// The credentials of profile `profile_name` of `config`, in this order:
// role_arn with source_profile or credential_source (Environment,
// Ec2InstanceMetadata, EcsContainer) -> AssumeRole; role_arn with
// web_identity_token_file -> AssumeRoleWithWebIdentity; aws_access_key_id +
// aws_secret_access_key (+ aws_session_token); credential_process.
// NOT_FOUND when the profile has none of these; INVALID_ARGUMENT (naming the
// file, line and key) for an incomplete or cyclic configuration. STS calls go
// to config.ResolveEndpoint("STS", region), region being config.Region() or
// us-east-1.
Result<std::unique_ptr<CredentialsProvider>> MakeProfileCredentialsProvider(
    const AwsConfig& config, const std::string& profile_name, ProviderDeps deps);

// The default chain described at the top of this file. `config` is copied.
std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsProvider(const AwsConfig& config,
                                                                    ProviderDeps deps);

}  // namespace recoup::aws
