// Credentials from STS: AssumeRole (signed with a source provider) and
// AssumeRoleWithWebIdentity (unsigned, a token file). Both call StsApi, the
// one STS client.
#include <utility>

#include "recoup/aws/api_client.h"
#include "recoup/aws/credentials.h"
#include "recoup/aws/credentials_internal.h"
#include "recoup/aws/sts_api.h"

namespace recoup::aws {
namespace {

constexpr int64_t kStsTimeoutMs = 30000;

// "STS AssumeRole for <role> at <url> (<source>)": the prefix of every error.
std::string Describe(const std::string& action, const AssumeRoleParams& params) {
  return "STS " + action + " for " + params.role_arn + " at " + params.sts_endpoint.url + " (" +
         params.sts_endpoint.source + ")";
}

std::string SessionName(const AssumeRoleParams& params, const Clock& clock) {
  if (!params.role_session_name.empty()) return params.role_session_name;
  return "recoup-" + std::to_string(clock.NowMs() / 1000);
}

// STS answers a client error (4xx but 429) for a role that cannot be assumed:
// a configuration problem (FAILED_PRECONDITION), not a passing outage.
// PERMISSION_DENIED stays; throttling and server errors are UNAVAILABLE.
Status StsError(const Status& status, const std::string& what) {
  std::optional<AwsError> error = AwsErrorOf(status);
  if (!error || status.code() == StatusCode::kPermissionDenied) return status.WithPrefix(what);
  const int http = error->http_status;
  const StatusCode code =
      (http >= 500 || http == 429) ? StatusCode::kUnavailable : StatusCode::kFailedPrecondition;
  return Status(code, status.message()).WithPrefix(what);
}

// Runs one AssumeRole* call through StsApi; `signer` may be null (unsigned).
template <typename Call>
Result<ExpiringCredentials> CallSts(const std::string& action, const AssumeRoleParams& params,
                                    CredentialsProvider* signer, const ProviderDeps& deps,
                                    const Call& call) {
  const std::string what = Describe(action, params);
  if (deps.http == nullptr) return FailedPrecondition(what + ": no HTTP client");
  ApiClientOptions options;
  options.endpoint = params.sts_endpoint;
  options.clock = deps.clock;
  options.timeout_ms = kStsTimeoutMs;
  ApiClient client(services::kSts, deps.http, signer, std::move(options));
  StsApi sts(&client);
  Result<AssumeRoleOutput> out = call(sts);
  if (!out.ok()) return StsError(out.status(), what);
  return std::move(out->credentials);
}

class AssumeRoleProvider final : public RefreshingCredentialsProvider {
 public:
  AssumeRoleProvider(AssumeRoleParams params, std::shared_ptr<CredentialsProvider> source,
                     ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock),
        params_(std::move(params)),
        source_(std::move(source)),
        deps_(deps) {}
  std::string Name() const override {
    return "assume role " + params_.role_arn + " from " + source_->Name();
  }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    AssumeRoleInput input{.role_arn = params_.role_arn,
                          .session_name = SessionName(params_, *deps_.clock),
                          .duration_seconds = params_.duration_seconds.value_or(0),
                          .external_id = params_.external_id};
    return CallSts("AssumeRole", params_, source_.get(), deps_,
                   [&](StsApi& sts) { return sts.AssumeRole(input); });
  }

 private:
  AssumeRoleParams params_;
  std::shared_ptr<CredentialsProvider> source_;
  ProviderDeps deps_;
};

class WebIdentityProvider final : public RefreshingCredentialsProvider {
 public:
  WebIdentityProvider(AssumeRoleParams params, std::string token_file, ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock),
        params_(std::move(params)),
        token_file_(std::move(token_file)),
        deps_(deps) {}
  std::string Name() const override { return "web identity " + params_.role_arn; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    RECOUP_ASSIGN_OR_RETURN(std::string token,
                            internal::ReadTokenFile(token_file_, "web identity token file"));
    if (token.empty()) {
      return FailedPrecondition("web identity token file " + token_file_ + " is empty");
    }
    AssumeRoleWithWebIdentityInput input{.role_arn = params_.role_arn,
                                         .session_name = SessionName(params_, *deps_.clock),
                                         .duration_seconds = params_.duration_seconds.value_or(0),
                                         .web_identity_token = std::move(token)};
    return CallSts("AssumeRoleWithWebIdentity", params_, /*signer=*/nullptr, deps_,
                   [&](StsApi& sts) { return sts.AssumeRoleWithWebIdentity(input); });
  }

 private:
  AssumeRoleParams params_;
  std::string token_file_;
  ProviderDeps deps_;
};

}  // namespace

namespace internal {

Result<Endpoint> StsEndpoint(const AwsConfig& config) {
  Result<std::string> region = config.Region();
  return config.ResolveEndpoint("STS", region.ok() ? *region : "us-east-1");
}

Result<std::unique_ptr<CredentialsProvider>> MakeWebIdentityFromEnvironment(const AwsConfig& config,
                                                                            ProviderDeps deps) {
  std::optional<std::string> token_file = config.GetEnv("AWS_WEB_IDENTITY_TOKEN_FILE");
  std::optional<std::string> role = config.GetEnv("AWS_ROLE_ARN");
  if (!token_file && !role) {
    return NotFound("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set");
  }
  if (!token_file || !role) {
    return InvalidArgument("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must be set together");
  }
  AssumeRoleParams params;
  params.role_arn = *role;
  params.role_session_name = config.GetEnv("AWS_ROLE_SESSION_NAME").value_or("");
  RECOUP_ASSIGN_OR_RETURN(params.sts_endpoint, StsEndpoint(config));
  return MakeWebIdentityCredentialsProvider(std::move(params), *token_file, deps);
}

}  // namespace internal

std::unique_ptr<CredentialsProvider> MakeAssumeRoleCredentialsProvider(
    AssumeRoleParams params, std::shared_ptr<CredentialsProvider> source, ProviderDeps deps) {
  return std::make_unique<AssumeRoleProvider>(std::move(params), std::move(source),
                                              internal::WithClock(deps));
}

std::unique_ptr<CredentialsProvider> MakeWebIdentityCredentialsProvider(AssumeRoleParams params,
                                                                        std::string token_file,
                                                                        ProviderDeps deps) {
  return std::make_unique<WebIdentityProvider>(std::move(params), std::move(token_file),
                                               internal::WithClock(deps));
}

}  // namespace recoup::aws
