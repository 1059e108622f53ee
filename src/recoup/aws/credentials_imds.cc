// EC2 instance metadata credentials (IMDSv2, falling back to v1 when the
// token call answers 403/404/405).
#include <string>
#include <utility>

#include "recoup/aws/credentials.h"
#include "recoup/aws/credentials_internal.h"
#include "recoup/core/strings.h"

namespace recoup::aws {
namespace {

constexpr std::string_view kImdsCredentialsPath = "/latest/meta-data/iam/security-credentials/";

class ImdsProvider final : public RefreshingCredentialsProvider {
 public:
  ImdsProvider(std::string endpoint, bool disabled, ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock),
        endpoint_(std::move(endpoint)),
        disabled_(disabled),
        deps_(deps) {}
  std::string Name() const override { return "EC2 instance metadata (" + endpoint_ + ")"; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    if (disabled_) return NotFound("EC2 instance metadata disabled by AWS_EC2_METADATA_DISABLED");
    if (deps_.http == nullptr) return FailedPrecondition(Name() + ": no HTTP client");
    RECOUP_ASSIGN_OR_RETURN(std::string token, SessionToken());
    RECOUP_ASSIGN_OR_RETURN(std::string role, InstanceProfileRole(token));
    Result<net::HttpResponse> creds = Get(std::string(kImdsCredentialsPath) + role, token);
    if (!creds.ok()) return NotFound(Name() + " unreachable");
    if (creds->status != 200) {
      return NotFound(Name() + ": role " + role + " answered HTTP " +
                      std::to_string(creds->status));
    }
    std::optional<std::string> code = internal::JsonStringMember(creds->body, "Code");
    if (code && *code != "Success") return Unavailable(Name() + ": Code " + code->substr(0, 64));
    return internal::CredentialsFromJson(creds->body, "Token", Name() + " role " + role);
  }

 private:
  static net::RequestOptions Options() {
    net::RequestOptions options;
    options.connect_timeout_ms = 1000;
    options.timeout_ms = 1000;
    return options;
  }

  // The IMDSv2 session token; empty when the service answers 403/404/405
  // (IMDSv1 only).
  Result<std::string> SessionToken() {
    net::HttpRequest request{.method = "PUT",
                             .url = endpoint_ + "/latest/api/token",
                             .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}},
                             .body = ""};
    Result<net::HttpResponse> response = deps_.http->Send(request, Options());
    if (!response.ok()) return NotFound(Name() + " unreachable");
    if (response->status == 200) {
      std::string token(Trim(response->body));
      if (internal::HasLineBreak(token)) return DataLoss(Name() + ": malformed session token");
      return token;
    }
    if (response->status != 403 && response->status != 404 && response->status != 405) {
      return NotFound(Name() + ": token request answered HTTP " + std::to_string(response->status));
    }
    return std::string();
  }

  Result<net::HttpResponse> Get(const std::string& path, const std::string& token) {
    net::HttpRequest request{.method = "GET", .url = endpoint_ + path, .headers = {}, .body = ""};
    if (!token.empty()) request.headers.emplace_back("X-aws-ec2-metadata-token", token);
    return deps_.http->Send(request, Options());
  }

  // The instance profile's role name (the first line of the listing).
  Result<std::string> InstanceProfileRole(const std::string& token) {
    Result<net::HttpResponse> roles = Get(std::string(kImdsCredentialsPath), token);
    if (!roles.ok()) return NotFound(Name() + " unreachable");
    if (roles->status != 200) {
      return NotFound(Name() + ": no instance profile (HTTP " + std::to_string(roles->status) +
                      ")");
    }
    std::string_view body = roles->body;
    std::string role(Trim(body.substr(0, body.find('\n'))));
    if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
      return NotFound(Name() + ": no instance profile role");
    }
    return role;
  }

  std::string endpoint_;
  bool disabled_;
  ProviderDeps deps_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> MakeImdsCredentialsProvider(const AwsConfig& config,
                                                                 ProviderDeps deps) {
  std::string endpoint = config.GetEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                             .value_or(config.profile()
                                           .Get("ec2_metadata_service_endpoint")
                                           .value_or("http://169.254.169.254"));
  while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
  bool disabled =
      AsciiLower(Trim(config.GetEnv("AWS_EC2_METADATA_DISABLED").value_or(""))) == "true";
  return std::make_unique<ImdsProvider>(std::move(endpoint), disabled, internal::WithClock(deps));
}

}  // namespace recoup::aws
