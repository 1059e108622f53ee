// AWS access for commands: the shared config and credentials chain of a
// profile, the Region, an HTTP client with the SDKs' standard retries, and
// ApiClients for any service, with endpoint overrides applied
// (AWS_ENDPOINT_URL[_<SERVICE>], endpoint_url in the profile).
//
// Debug logs: with $RECOUP_DEBUG set (or set_debug(true)), every HTTP attempt
// is printed to stderr as one line (method, host, path, status, AWS error
// code, attempt, delay): never header values, query strings or bodies.
//
// One AwsContext is used from one thread; the credentials provider inside it
// may be shared with other threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "recoup/aws/api_client.h"
#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/core/status.h"
#include "recoup/net/http_client.h"

namespace recoup::cli {

struct AwsContextOptions {
  std::string profile;     // empty: AWS_PROFILE, else "default"
  std::string region;      // empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's region
  bool debug = false;      // also on when $RECOUP_DEBUG is set
  int64_t timeout_ms = 0;  // per HTTP attempt of API calls; 0: ApiClientOptions' default
  // Sign with the profile's own credentials only (not the environment's,
  // which the default chain would prefer): a profile chosen per account.
  bool profile_credentials_only = false;
};

class AwsContext {
 public:
  static Result<std::unique_ptr<AwsContext>> Create(const AwsContextOptions& options);

  const aws::AwsConfig& config() const { return config_; }
  // The Region in effect; INVALID_ARGUMENT naming how to set one if none.
  Result<std::string> Region() const;
  std::shared_ptr<aws::CredentialsProvider> credentials() const { return credentials_; }
  // From now on, signs with the credentials of `role_arn`, assumed (STS
  // AssumeRole) with the credentials in effect so far.
  Status AssumeRole(const std::string& role_arn, const std::string& external_id);
  // HTTP with standard-mode retries (not thread-safe: one per thread).
  net::HttpClient* http() const { return retrying_.get(); }
  // A client for `spec` in `region` (empty: Region()).
  Result<std::unique_ptr<aws::ApiClient>> Client(const aws::ServiceSpec& spec,
                                                 const std::string& region = "") const;

 private:
  AwsContext() = default;
  aws::AwsConfig config_;
  std::string region_;
  int64_t timeout_ms_ = 0;
  std::shared_ptr<net::HttpClient> credentials_http_, raw_http_, retrying_;
  std::shared_ptr<aws::CredentialsProvider> credentials_;
};

// A context for `profile` and `region` (either may be empty).
Result<std::unique_ptr<AwsContext>> ContextFor(const std::string& profile,
                                               const std::string& region);

// Prints an AWS failure and returns its exit code: AWS answers are runtime
// failures (1) even when AWS calls them validation errors; recoup's own
// argument checks stay usage errors (2).
int FailAws(const Status& st);

}  // namespace recoup::cli
