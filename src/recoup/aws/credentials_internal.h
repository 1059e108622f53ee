// Internals shared by the credential providers (credentials*.cc). Not part
// of the aws module's interface: include only from those files.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/core/clock.h"
#include "recoup/core/status.h"

namespace recoup::aws::internal {

// `deps` with the clock set (recoup::SystemClock() when null).
inline ProviderDeps WithClock(ProviderDeps deps) {
  if (deps.clock == nullptr) deps.clock = &SystemClock();
  return deps;
}

// Parses an optional expiration timestamp; `what` names the source for
// messages (INVALID_ARGUMENT "<what>: invalid Expiration timestamp").
Result<std::optional<int64_t>> ParseExpiration(const std::optional<std::string>& text,
                                               const std::string& what);

// Credentials from a JSON document with AccessKeyId, SecretAccessKey,
// `token_key` and Expiration (container, IMDS, credential_process).
// Messages never quote the document.
Result<ExpiringCredentials> CredentialsFromJson(std::string_view body, const char* token_key,
                                                const std::string& what);

// The string member `key` of a JSON object body, if it is one.
std::optional<std::string> JsonStringMember(std::string_view body, const char* key);

// "scheme://authority/path?query" split up.
struct UrlParts {
  std::string scheme;          // lower case
  std::string authority;       // host[:port]
  std::string host;            // without port or IPv6 brackets
  std::string path_and_query;  // "/" at least
};
Result<UrlParts> SplitUrl(const std::string& url);

bool HasLineBreak(std::string_view s);

// The trimmed contents of a token file; FAILED_PRECONDITION "cannot read
// <what> <path>" when it cannot be read.
Result<std::string> ReadTokenFile(const std::string& path, const std::string& what);

// The STS endpoint for `config`: ResolveEndpoint("STS", region), region being
// config.Region() or us-east-1.
Result<Endpoint> StsEndpoint(const AwsConfig& config);

// The web identity step of the default chain: AWS_WEB_IDENTITY_TOKEN_FILE +
// AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME). NOT_FOUND when neither is set.
Result<std::unique_ptr<CredentialsProvider>> MakeWebIdentityFromEnvironment(const AwsConfig& config,
                                                                            ProviderDeps deps);

}  // namespace recoup::aws::internal
