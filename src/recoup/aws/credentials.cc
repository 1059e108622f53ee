// The provider interface, the refreshing base, the default chain and the
// helpers the providers share. Each provider lives in its own file:
// credentials_env.cc, credentials_profile.cc, credentials_process.cc,
// credentials_sts.cc (AssumeRole, web identity), credentials_container.cc
// and credentials_imds.cc.
#include "recoup/aws/credentials.h"

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "recoup/aws/credentials_internal.h"
#include "recoup/core/mutex.h"
#include "recoup/core/strings.h"
#include "recoup/core/time.h"

namespace recoup::aws {
namespace internal {
namespace {

using json = nlohmann::json;

std::optional<std::string> StringMember(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

Result<std::optional<int64_t>> ParseExpiration(const std::optional<std::string>& text,
                                               const std::string& what) {
  if (!text || text->empty()) return std::optional<int64_t>();
  Result<int64_t> ms = ParseTimestampMs(*text);
  if (!ms.ok()) return InvalidArgument(what + ": invalid Expiration timestamp");
  return std::optional<int64_t>(*ms);
}

std::optional<std::string> JsonStringMember(std::string_view body, const char* key) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return StringMember(doc, key);
}

Result<ExpiringCredentials> CredentialsFromJson(std::string_view body, const char* token_key,
                                                const std::string& what) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return DataLoss(what + ": response is not a JSON object");
  }
  ExpiringCredentials out;
  std::optional<std::string> key_id = StringMember(doc, "AccessKeyId");
  std::optional<std::string> secret = StringMember(doc, "SecretAccessKey");
  if (!key_id || key_id->empty()) return DataLoss(what + ": missing AccessKeyId");
  if (!secret || secret->empty()) return DataLoss(what + ": missing SecretAccessKey");
  out.credentials.access_key_id = *key_id;
  out.credentials.secret_access_key = *secret;
  out.credentials.session_token = StringMember(doc, token_key).value_or("");
  RECOUP_ASSIGN_OR_RETURN(out.expiration_ms,
                          ParseExpiration(StringMember(doc, "Expiration"), what));
  return out;
}

Result<UrlParts> SplitUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgument("URL without scheme: " + url);
  UrlParts parts;
  parts.scheme = AsciiLower(url.substr(0, scheme_end));
  size_t host_start = scheme_end + 3;
  size_t path_start = url.find_first_of("/?", host_start);
  parts.authority = url.substr(
      host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  if (parts.authority.empty()) return InvalidArgument("URL without host: " + url);
  parts.path_and_query = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (parts.path_and_query[0] == '?') parts.path_and_query = "/" + parts.path_and_query;
  parts.host = parts.authority;
  if (!parts.host.empty() && parts.host[0] == '[') {
    parts.host = parts.host.substr(1, parts.host.find(']') - 1);
  } else if (size_t colon = parts.host.rfind(':'); colon != std::string::npos) {
    parts.host = parts.host.substr(0, colon);
  }
  return parts;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

Result<std::string> ReadTokenFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailedPrecondition("cannot read " + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return std::string(Trim(text.str()));
}

}  // namespace internal

namespace {

// Tries each step in order; the first that yields credentials is kept.
class ChainProvider final : public CredentialsProvider {
 public:
  using Factory = std::function<Result<std::unique_ptr<CredentialsProvider>>()>;
  struct Step {
    std::string name;
    Factory factory;
  };
  explicit ChainProvider(std::vector<Step> steps) : steps_(std::move(steps)) {}

  std::string Name() const override {
    MutexLock lock(mu_);
    return winner_ ? "default chain: " + winner_->Name() : "default chain";
  }

  Result<ExpiringCredentials> GetExpiring() override {
    MutexLock lock(mu_);
    if (winner_) return winner_->GetExpiring();
    std::string tried;
    for (const Step& step : steps_) {
      Result<ExpiringCredentials> creds = TryStep(step);
      if (creds.ok()) return creds;
      if (creds.status().code() != StatusCode::kNotFound) {
        return creds.status().WithPrefix(step.name);
      }
      tried += "\n  " + step.name + ": " + creds.status().message();
    }
    return NotFound("no AWS credentials found; tried:" + tried);
  }

 private:
  // Builds the step's provider and asks it; keeps it as the winner if it answers.
  Result<ExpiringCredentials> TryStep(const Step& step) REQUIRES(mu_) {
    RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<CredentialsProvider> provider, step.factory());
    Result<ExpiringCredentials> creds = provider->GetExpiring();
    if (creds.ok()) winner_ = std::move(provider);
    return creds;
  }

  std::vector<Step> steps_;
  mutable Mutex mu_;
  std::unique_ptr<CredentialsProvider> winner_ GUARDED_BY(mu_);
};

}  // namespace

void MaskSecrets(std::string& text, const Credentials& credentials) {
  for (const std::string* secret : {&credentials.secret_access_key, &credentials.session_token}) {
    if (secret->size() < 4) continue;
    for (size_t p = text.find(*secret); p != std::string::npos; p = text.find(*secret, p)) {
      text.replace(p, secret->size(), "****");
    }
  }
}

std::string RedactAccessKeyId(std::string_view access_key_id) {
  if (access_key_id.size() < 12) return "****";
  return std::string(access_key_id.substr(0, 4)) + "****" +
         std::string(access_key_id.substr(access_key_id.size() - 4));
}

std::string DescribeCredentials(const ExpiringCredentials& credentials) {
  const Credentials& c = credentials.credentials;
  return "access_key_id=" + RedactAccessKeyId(c.access_key_id) +
         " secret=" + (c.secret_access_key.empty() ? "none" : "****") +
         " session_token=" + (c.session_token.empty() ? "none" : "****") + " expiration=" +
         (credentials.expiration_ms ? FormatTimestamp(*credentials.expiration_ms) : "never");
}

Result<Credentials> CredentialsProvider::Get() {
  RECOUP_ASSIGN_OR_RETURN(ExpiringCredentials creds, GetExpiring());
  return std::move(creds.credentials);
}

RefreshingCredentialsProvider::RefreshingCredentialsProvider(const Clock* clock,
                                                             int64_t refresh_window_ms)
    : clock_(clock != nullptr ? clock : &SystemClock()), refresh_window_ms_(refresh_window_ms) {}

Result<ExpiringCredentials> RefreshingCredentialsProvider::GetExpiring() {
  MutexLock lock(mu_);
  const int64_t now = clock_->NowMs();
  if (cached_ && (!cached_->expiration_ms || now < *cached_->expiration_ms - refresh_window_ms_)) {
    return *cached_;
  }
  Result<ExpiringCredentials> fresh = Fetch();
  if (!fresh.ok()) {
    if (cached_ && cached_->expiration_ms && now < *cached_->expiration_ms) return *cached_;
    return fresh.status();
  }
  cached_ = *fresh;
  return fresh;
}

StaticCredentialsProvider::StaticCredentialsProvider(ExpiringCredentials credentials,
                                                     std::string name)
    : credentials_(std::move(credentials)), name_(std::move(name)) {}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsProvider(const AwsConfig& config,
                                                                    ProviderDeps deps) {
  auto shared = std::make_shared<const AwsConfig>(config);
  deps = internal::WithClock(deps);
  using Made = Result<std::unique_ptr<CredentialsProvider>>;
  std::vector<ChainProvider::Step> steps;
  steps.push_back({"environment", [shared]() -> Made {
                     return MakeEnvironmentCredentialsProvider(shared->env());
                   }});
  steps.push_back({"profile '" + config.profile_name() + "'", [shared, deps]() -> Made {
                     return MakeProfileCredentialsProvider(*shared, shared->profile_name(), deps);
                   }});
  steps.push_back({"web identity (environment)", [shared, deps]() -> Made {
                     return internal::MakeWebIdentityFromEnvironment(*shared, deps);
                   }});
  steps.push_back({"container", [shared, deps]() -> Made {
                     return MakeContainerCredentialsProvider(shared->env(), deps);
                   }});
  steps.push_back({"EC2 instance metadata", [shared, deps]() -> Made {
                     return MakeImdsCredentialsProvider(*shared, deps);
                   }});
  return std::make_unique<ChainProvider>(std::move(steps));
}

}  // namespace recoup::aws
