// AWS shared configuration: ~/.aws/config, ~/.aws/credentials, AWS_*
// environment variables, region and endpoint resolution, as the AWS SDKs and
// CLI do it.
//
// INI rules follow botocore's configloader (Python RawConfigParser):
//   * full-line comments start with '#' or ';' (also when indented); there are
//     no inline comments: "region = us-east-1 # x" keeps "us-east-1 # x";
//   * "key = value" or "key: value"; keys are lower-cased and trimmed, values
//     trimmed; section names keep their case;
//   * a line indented deeper than its key continues the value; a key whose
//     value starts on the next line ("s3 =\n  endpoint_url = ...") is a
//     sub-section of "sub_key = value" pairs;
//   * a duplicate section or key, a key outside a section or a line without
//     '='/':' is an error that names file, line and key.
// Config file sections: [default], [profile NAME], [services NAME]; others
// (e.g. [sso-session NAME]) are parsed and ignored. When both [default] and
// [profile default] exist, [profile default] wins. Credentials file sections
// are bare profile names; their keys override the config file's.
//
// Environment variables that are set to the empty string count as unset.
// Thread-compatible values; Load() reads files and the environment.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/status.h"

namespace recoup::aws {

// Environment lookup, injectable for tests. Returns nullopt when unset.
using Env = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment (getenv).
Env ProcessEnv();

// One [section] of an INI file.
struct IniSection {
  std::string name;  // between the brackets, trimmed
  int line = 0;      // 1-based line of the header
  std::map<std::string, std::string> values;
  // "key =" followed by indented "sub = value" lines.
  std::map<std::string, std::map<std::string, std::string>> subsections;
  std::map<std::string, int> key_lines;  // line of each key (values and subsections)
};

struct IniFile {
  std::string path;
  std::vector<IniSection> sections;
};

// Parses INI text as botocore does; `path` only labels error messages.
Result<IniFile> ParseIni(std::string_view text, const std::string& path);

// The settings of one profile, merged from the config and credentials files.
struct Profile {
  std::string name;
  std::map<std::string, std::string> values;
  std::map<std::string, std::map<std::string, std::string>> subsections;
  std::map<std::string, std::string> origins;  // key -> "path:line"

  // A non-empty value, or nullopt.
  std::optional<std::string> Get(std::string_view key) const;
  // "profile 'NAME' (path:line) key 'KEY'", for error messages.
  std::string Describe(std::string_view key) const;
};

// Where to send requests for a service, and how to sign them.
struct Endpoint {
  std::string url;             // "https://sts.eu-west-1.amazonaws.com", no trailing '/'
  std::string signing_region;  // region for the SigV4 credential scope
  std::string source;          // "AWS_ENDPOINT_URL_STS", "/home/u/.aws/config:12", "default"
};

// "http://127.0.0.1:5000/base/" -> {"http", "127.0.0.1:5000", "/base"}; a URL
// without a scheme is https.
struct EndpointUrlParts {
  std::string scheme;
  std::string authority;
  std::string base_path;  // no trailing '/'; empty for none
};
EndpointUrlParts SplitEndpointUrl(std::string_view url);

// "Cost Explorer" -> "COST_EXPLORER" (suffix of AWS_ENDPOINT_URL_<...>).
std::string ServiceIdToEnvSuffix(std::string_view service_id);
// "Cost Explorer" -> "cost_explorer" (key in a [services NAME] section).
std::string ServiceIdToConfigKey(std::string_view service_id);

// The endpoint an SDK uses when nothing is configured. service_id is the SDK
// service id ("STS", "S3", "Support", "Cost Explorer", "Organizations",
// "Health", ...). Partitions: aws (default), aws-cn ("cn-*", host suffix
// amazonaws.com.cn), aws-us-gov ("us-gov-*"). Global services: Support, Cost
// Explorer and Organizations use us-east-1 in aws (cn-north-1 /
// cn-northwest-1 / us-gov-west-1 elsewhere), Health uses
// global.health.amazonaws.com signed for us-east-1. INVALID_ARGUMENT for a
// region that is not a DNS label sequence.
Result<Endpoint> DefaultEndpoint(std::string_view service_id, std::string_view region);

class AwsConfig {
 public:
  struct Options {
    // Explicit profile; else AWS_PROFILE; else "default".
    std::optional<std::string> profile;
    Env env;  // ProcessEnv() when empty
  };

  // Reads AWS_CONFIG_FILE (default ~/.aws/config) and
  // AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials). Missing files
  // are empty. NOT_FOUND when a profile other than "default" was asked for
  // and exists in neither file; INVALID_ARGUMENT for syntax errors.
  static Result<AwsConfig> Load(const Options& options = {});
  // Same, from texts (paths only label messages).
  static Result<AwsConfig> FromText(std::string_view config_text, const std::string& config_path,
                                    std::string_view credentials_text,
                                    const std::string& credentials_path,
                                    const Options& options = {});

  const std::string& profile_name() const { return profile_name_; }
  const Profile& profile() const;  // the selected profile (empty if absent)
  const Profile* FindProfile(std::string_view name) const;
  const Env& env() const { return env_; }
  // Non-empty environment variable or nullopt.
  std::optional<std::string> GetEnv(const std::string& name) const;

  // AWS_REGION, then AWS_DEFAULT_REGION, then the profile's `region`.
  // NOT_FOUND when none is set.
  Result<std::string> Region() const;

  // Unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
  // ignore_configured_endpoint_urls=true): AWS_ENDPOINT_URL_<SERVICE>, then
  // AWS_ENDPOINT_URL, then the `endpoint_url` of the service's sub-section of
  // the [services NAME] section the profile names in `services`, then the
  // profile's `endpoint_url`. Otherwise DefaultEndpoint(). A configured URL
  // must start with http:// or https://; the signing region is then `region`.
  Result<Endpoint> ResolveEndpoint(std::string_view service_id, std::string_view region) const;

 private:
  std::string profile_name_;
  std::map<std::string, Profile, std::less<>> profiles_;
  std::map<std::string, IniSection, std::less<>> services_;
  Env env_;
};

}  // namespace recoup::aws
