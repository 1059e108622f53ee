// Credentials of a named profile of the shared config and credentials
// files: role_arn (AssumeRole from a source profile or credential_source, or
// web identity), static keys, credential_process.
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "recoup/aws/credentials.h"
#include "recoup/aws/credentials_internal.h"

namespace recoup::aws {
namespace {

using Made = Result<std::unique_ptr<CredentialsProvider>>;

bool HasStaticKeys(const Profile& p) {
  return p.Get("aws_access_key_id") || p.Get("aws_secret_access_key");
}

Made StaticFromProfile(const Profile& p) {
  std::optional<std::string> key_id = p.Get("aws_access_key_id");
  std::optional<std::string> secret = p.Get("aws_secret_access_key");
  if (!key_id) {
    return InvalidArgument(p.Describe("aws_secret_access_key") +
                           " is set but aws_access_key_id is not");
  }
  if (!secret) {
    return InvalidArgument(p.Describe("aws_access_key_id") +
                           " is set but aws_secret_access_key is not");
  }
  ExpiringCredentials creds{{*key_id, *secret, p.Get("aws_session_token").value_or("")},
                            std::nullopt};
  return std::unique_ptr<CredentialsProvider>(
      new StaticCredentialsProvider(std::move(creds), "profile '" + p.name + "' static keys"));
}

Result<AssumeRoleParams> RoleParams(const AwsConfig& config, const Profile& p) {
  AssumeRoleParams params;
  params.role_arn = *p.Get("role_arn");
  params.role_session_name = p.Get("role_session_name").value_or("");
  params.external_id = p.Get("external_id").value_or("");
  if (p.Get("mfa_serial")) {
    return InvalidArgument(p.Describe("mfa_serial") + ": MFA prompts are not supported");
  }
  if (auto duration = p.Get("duration_seconds")) {
    char* end = nullptr;
    long value = std::strtol(duration->c_str(), &end, 10);
    if (end == duration->c_str() || *end != '\0' || value < 900 || value > 43200) {
      return InvalidArgument(p.Describe("duration_seconds") + " must be 900..43200");
    }
    params.duration_seconds = static_cast<int>(value);
  }
  RECOUP_ASSIGN_OR_RETURN(params.sts_endpoint, internal::StsEndpoint(config));
  return params;
}

// Builds profiles recursively; `visited` holds the source_profile chain so
// far, to report cycles.
class ProfileBuilder {
 public:
  ProfileBuilder(const AwsConfig& config, const ProviderDeps& deps)
      : config_(config), deps_(deps) {}

  // `as_source`: the profile is another's source_profile, so its static keys
  // win over its own role_arn, and having no credentials is an error.
  Made Build(const std::string& name, bool as_source) {
    const Profile* p = config_.FindProfile(name);
    if (p == nullptr) {
      if (name == "default" && !as_source) return NotFound("no profile 'default'");
      return InvalidArgument("AWS profile '" + name + "' not found");
    }
    if (as_source && HasStaticKeys(*p)) return StaticFromProfile(*p);
    if (p->Get("role_arn")) return Role(*p);
    if (HasStaticKeys(*p)) return StaticFromProfile(*p);
    if (std::optional<std::string> command = p->Get("credential_process")) {
      return MakeProcessCredentialsProvider(*command, name, deps_.clock);
    }
    if (as_source) return InvalidArgument("source profile '" + name + "' has no credentials");
    return NotFound("profile '" + name + "' has no credentials");
  }

 private:
  // A profile with role_arn: AssumeRole from its source, or web identity.
  Made Role(const Profile& p) {
    std::optional<std::string> source_profile = p.Get("source_profile");
    std::optional<std::string> credential_source = p.Get("credential_source");
    if (source_profile && credential_source) {
      return InvalidArgument(p.Describe("source_profile") +
                             " and credential_source are mutually exclusive");
    }
    if (source_profile || credential_source) {
      RECOUP_ASSIGN_OR_RETURN(AssumeRoleParams params, RoleParams(config_, p));
      Made source = credential_source ? CredentialSource(p, *credential_source)
                                      : SourceProfile(p, *source_profile);
      if (!source.ok()) return source.status();
      return MakeAssumeRoleCredentialsProvider(std::move(params), std::move(source).value(), deps_);
    }
    if (std::optional<std::string> token_file = p.Get("web_identity_token_file")) {
      RECOUP_ASSIGN_OR_RETURN(AssumeRoleParams params, RoleParams(config_, p));
      return MakeWebIdentityCredentialsProvider(std::move(params), *token_file, deps_);
    }
    return InvalidArgument(p.Describe("role_arn") +
                           " needs source_profile, credential_source or web_identity_token_file");
  }

  Made CredentialSource(const Profile& p, const std::string& source) {
    if (source == "Environment") return MakeEnvironmentCredentialsProvider(config_.env());
    if (source == "Ec2InstanceMetadata") return MakeImdsCredentialsProvider(config_, deps_);
    if (source == "EcsContainer") return MakeContainerCredentialsProvider(config_.env(), deps_);
    return InvalidArgument(p.Describe("credential_source") +
                           " must be Environment, Ec2InstanceMetadata or EcsContainer");
  }

  Made SourceProfile(const Profile& p, const std::string& source) {
    if (source == p.name) {
      if (!HasStaticKeys(p)) {
        return InvalidArgument(p.Describe("source_profile") +
                               " refers to itself but the profile has no static keys");
      }
      return StaticFromProfile(p);
    }
    visited_.push_back(p.name);
    for (const std::string& seen : visited_) {
      if (seen != source) continue;
      std::string chain;
      for (const std::string& v : visited_) {
        chain += v;
        chain += " -> ";
      }
      return InvalidArgument(p.Describe("source_profile") + ": cycle " + chain + source);
    }
    if (config_.FindProfile(source) == nullptr) {
      return InvalidArgument(p.Describe("source_profile") + " names profile '" + source +
                             "', which does not exist");
    }
    return Build(source, /*as_source=*/true);
  }

  const AwsConfig& config_;
  const ProviderDeps& deps_;
  std::vector<std::string> visited_;
};

}  // namespace

Result<std::unique_ptr<CredentialsProvider>> MakeProfileCredentialsProvider(
    const AwsConfig& config, const std::string& profile_name, ProviderDeps deps) {
  deps = internal::WithClock(deps);
  return ProfileBuilder(config, deps).Build(profile_name, /*as_source=*/false);
}

}  // namespace recoup::aws
