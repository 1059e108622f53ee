// ECS/EKS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
// _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE].
#include <string>
#include <utility>

#include "recoup/aws/credentials.h"
#include "recoup/aws/credentials_internal.h"

namespace recoup::aws {
namespace {

using internal::UrlParts;

constexpr std::string_view kEcsHost = "http://169.254.170.2";

bool AllowedHttpHost(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23";
}

class ContainerProvider final : public RefreshingCredentialsProvider {
 public:
  ContainerProvider(Env env, ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock), env_(std::move(env)), deps_(deps) {}
  std::string Name() const override { return "container credentials"; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    RECOUP_ASSIGN_OR_RETURN(std::string url, CredentialsUrl());
    if (deps_.http == nullptr) return FailedPrecondition(Name() + ": no HTTP client");
    net::HttpRequest request{.method = "GET", .url = url, .headers = {}, .body = ""};
    request.headers.emplace_back("Accept", "application/json");
    RECOUP_ASSIGN_OR_RETURN(std::string token, AuthorizationToken());
    if (!token.empty()) request.headers.emplace_back("Authorization", token);
    net::RequestOptions options;
    options.connect_timeout_ms = 2000;
    options.timeout_ms = 5000;
    Result<net::HttpResponse> response = deps_.http->Send(request, options);
    if (!response.ok()) return response.status().WithPrefix(Name() + " from " + url);
    if (response->status != 200) {
      return Unavailable(Name() + " from " + url + ": HTTP " + std::to_string(response->status));
    }
    return internal::CredentialsFromJson(response->body, "Token", Name() + " from " + url);
  }

 private:
  std::string Get(const char* name) const { return env_(name).value_or(""); }

  // The relative URI on the ECS host, else the full URI (https, or http to a
  // loopback/ECS/EKS address). NOT_FOUND when neither is set.
  Result<std::string> CredentialsUrl() const {
    std::string relative = Get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    if (!relative.empty()) {
      return std::string(kEcsHost) + (relative[0] == '/' ? "" : "/") + relative;
    }
    std::string full = Get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (full.empty()) {
      return NotFound("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI are not set");
    }
    RECOUP_ASSIGN_OR_RETURN(UrlParts parts, internal::SplitUrl(full));
    if (parts.scheme != "https" && !(parts.scheme == "http" && AllowedHttpHost(parts.host))) {
      return InvalidArgument(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or an http loopback/ECS/EKS "
          "address, not host '" +
          parts.host + "'");
    }
    return full;
  }

  // From the token file if one is named, else the token variable; may be empty.
  Result<std::string> AuthorizationToken() const {
    std::string token;
    if (std::string file = Get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
      RECOUP_ASSIGN_OR_RETURN(
          token, internal::ReadTokenFile(file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
    } else {
      token = Get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (internal::HasLineBreak(token)) {
      return InvalidArgument("container authorization token contains a line break");
    }
    return token;
  }

  Env env_;
  ProviderDeps deps_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> MakeContainerCredentialsProvider(Env env, ProviderDeps deps) {
  return std::make_unique<ContainerProvider>(env ? std::move(env) : ProcessEnv(),
                                             internal::WithClock(deps));
}

}  // namespace recoup::aws
