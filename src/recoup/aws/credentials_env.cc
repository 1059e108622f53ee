// Credentials from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION.
#include <utility>

#include "recoup/aws/credentials.h"
#include "recoup/aws/credentials_internal.h"

namespace recoup::aws {
namespace {

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(Env env) : env_(std::move(env)) {}
  std::string Name() const override { return "environment"; }
  Result<ExpiringCredentials> GetExpiring() override {
    std::string key_id = Get("AWS_ACCESS_KEY_ID");
    std::string secret = Get("AWS_SECRET_ACCESS_KEY");
    if (key_id.empty() && secret.empty()) {
      return NotFound("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    if (key_id.empty()) {
      return InvalidArgument("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    }
    if (secret.empty()) {
      return InvalidArgument("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    ExpiringCredentials out;
    out.credentials = {key_id, secret, Get("AWS_SESSION_TOKEN")};
    RECOUP_ASSIGN_OR_RETURN(
        out.expiration_ms,
        internal::ParseExpiration(env_("AWS_CREDENTIAL_EXPIRATION"), "AWS_CREDENTIAL_EXPIRATION"));
    return out;
  }

 private:
  std::string Get(const char* name) const { return env_(name).value_or(""); }

  Env env_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> MakeEnvironmentCredentialsProvider(Env env) {
  return std::make_unique<EnvironmentProvider>(env ? std::move(env) : ProcessEnv());
}

}  // namespace recoup::aws
