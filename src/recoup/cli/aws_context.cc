#include "recoup/cli/aws_context.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "recoup/cli/common.h"
#include "recoup/net/retry.h"

namespace recoup::cli {

Result<std::unique_ptr<AwsContext>> AwsContext::Create(const AwsContextOptions& options) {
  std::unique_ptr<AwsContext> ctx(new AwsContext());
  aws::AwsConfig::Options co;
  if (!options.profile.empty()) co.profile = options.profile;
  RECOUP_ASSIGN_OR_RETURN(ctx->config_, aws::AwsConfig::Load(co));
  ctx->region_ = options.region;
  ctx->timeout_ms_ = options.timeout_ms;
  if (ctx->region_.empty()) {
    auto r = ctx->config_.Region();
    if (r.ok()) ctx->region_ = *r;
  }
  ctx->credentials_http_ = net::MakeCurlHttpClient();
  if (options.profile_credentials_only && !options.profile.empty()) {
    RECOUP_ASSIGN_OR_RETURN(
        auto profile, aws::MakeProfileCredentialsProvider(
                          ctx->config_, options.profile,
                          aws::ProviderDeps{.http = ctx->credentials_http_.get(), .clock = {}}));
    ctx->credentials_ = std::move(profile);
  } else {
    ctx->credentials_ = aws::MakeDefaultCredentialsProvider(
        ctx->config_, aws::ProviderDeps{.http = ctx->credentials_http_.get(), .clock = {}});
  }
  ctx->raw_http_ = net::MakeCurlHttpClient();
  net::RetryHooks hooks;
  const char* env = std::getenv("RECOUP_DEBUG");
  if (options.debug || (env != nullptr && *env != 0 && std::string(env) != "0")) {
    hooks.debug_log = [](const std::string& line) {
      std::fprintf(stderr, "recoup: debug: %s\n", line.c_str());
    };
  }
  ctx->retrying_ =
      std::make_shared<net::RetryingClient>(ctx->raw_http_.get(), net::RetryPolicy{}, hooks);
  return ctx;
}

Result<std::string> AwsContext::Region() const {
  if (region_.empty()) {
    return InvalidArgument(
        "no AWS Region: pass --region, or set AWS_REGION, or region in the profile");
  }
  return region_;
}

Status AwsContext::AssumeRole(const std::string& role_arn, const std::string& external_id) {
  aws::AssumeRoleParams p;
  p.role_arn = role_arn;
  p.external_id = external_id;
  RECOUP_ASSIGN_OR_RETURN(p.sts_endpoint,
                          config_.ResolveEndpoint("STS", region_.empty() ? "us-east-1" : region_));
  credentials_ = std::shared_ptr<aws::CredentialsProvider>(aws::MakeAssumeRoleCredentialsProvider(
      std::move(p), credentials_, aws::ProviderDeps{.http = credentials_http_.get(), .clock = {}}));
  return Status::Ok();
}

Result<std::unique_ptr<aws::ApiClient>> AwsContext::Client(const aws::ServiceSpec& spec,
                                                           const std::string& region) const {
  std::string r = region;
  if (r.empty()) {
    RECOUP_ASSIGN_OR_RETURN(r, Region());
  }
  aws::ApiClientOptions o;
  if (timeout_ms_ > 0) o.timeout_ms = timeout_ms_;
  RECOUP_ASSIGN_OR_RETURN(o.endpoint, config_.ResolveEndpoint(spec.service_id, r));
  return std::make_unique<aws::ApiClient>(spec, retrying_.get(), credentials_.get(), std::move(o));
}

Result<std::unique_ptr<AwsContext>> ContextFor(const std::string& profile,
                                               const std::string& region) {
  AwsContextOptions o;
  o.profile = profile;
  o.region = region;
  return AwsContext::Create(o);
}

int FailAws(const Status& st) {
  if (aws::AwsErrorOf(st)) {
    std::string msg = st.message();
    if (aws::IsAwsError(st, "SubscriptionRequiredException")) {
      msg += " (this API needs a Business, Enterprise On-Ramp or Enterprise support plan)";
    }
    std::fprintf(stderr, "recoup: %s\n", msg.c_str());
    return kExitRuntime;
  }
  return Fail(st);
}

}  // namespace recoup::cli
