#include "recoup/aws/credentials.h"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "recoup/core/time.h"

extern char** environ;

namespace recoup::aws {
namespace {

using json = nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Parses an expiration timestamp; `what` names the source for messages.
Result<std::optional<int64_t>> ParseExpiration(const std::optional<std::string>& text,
                                               const std::string& what) {
  if (!text || text->empty()) return std::optional<int64_t>();
  Result<int64_t> ms = ParseTimestampMs(*text);
  if (!ms.ok()) return InvalidArgument(what + ": invalid Expiration timestamp");
  return std::optional<int64_t>(*ms);
}

std::optional<std::string> JsonString(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Credentials from a JSON document with AccessKeyId, SecretAccessKey,
// `token_key` and Expiration. Messages never quote the document.
Result<ExpiringCredentials> CredentialsFromJson(std::string_view body, const char* token_key,
                                                const std::string& what) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return DataLoss(what + ": response is not a JSON object");
  }
  ExpiringCredentials out;
  std::optional<std::string> key_id = JsonString(doc, "AccessKeyId");
  std::optional<std::string> secret = JsonString(doc, "SecretAccessKey");
  if (!key_id || key_id->empty()) return DataLoss(what + ": missing AccessKeyId");
  if (!secret || secret->empty()) return DataLoss(what + ": missing SecretAccessKey");
  out.credentials.access_key_id = *key_id;
  out.credentials.secret_access_key = *secret;
  out.credentials.session_token = JsonString(doc, token_key).value_or("");
  RECOUP_ASSIGN_OR_RETURN(out.expiration_ms, ParseExpiration(JsonString(doc, "Expiration"), what));
  return out;
}

std::string FormEncode(std::string_view s) { return UriEncode(s); }

// Splits "scheme://authority/path?query" into the authority and the rest.
struct UrlParts {
  std::string scheme;
  std::string authority;  // host[:port]
  std::string host;
  std::string path_and_query;  // "/" at least
};

Result<UrlParts> SplitUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgument("URL without scheme: " + url);
  UrlParts parts;
  parts.scheme = Lower(url.substr(0, scheme_end));
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

// ---- Environment --------------------------------------------------------------

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(Env env) : env_(std::move(env)) {}
  std::string Name() const override { return "environment"; }
  Result<ExpiringCredentials> GetExpiring() override {
    auto get = [&](const char* name) -> std::string {
      std::optional<std::string> v = env_(name);
      return v.value_or("");
    };
    std::string key_id = get("AWS_ACCESS_KEY_ID");
    std::string secret = get("AWS_SECRET_ACCESS_KEY");
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
    out.credentials = {key_id, secret, get("AWS_SESSION_TOKEN")};
    RECOUP_ASSIGN_OR_RETURN(out.expiration_ms, ParseExpiration(env_("AWS_CREDENTIAL_EXPIRATION"),
                                                               "AWS_CREDENTIAL_EXPIRATION"));
    return out;
  }

 private:
  Env env_;
};

// ---- credential_process ---------------------------------------------------------

struct ProcessOutput {
  int exit_status = 0;
  std::string out;
  std::string err;
};

Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0) return Internal("pipe failed");
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Internal("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[1]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[1]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return FailedPrecondition("cannot run '" + argv[0] + "': " + std::strerror(rc));
  }
  ProcessOutput result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        if (sinks[i]->size() < (1 << 20)) sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

class ProcessProvider final : public RefreshingCredentialsProvider {
 public:
  ProcessProvider(std::string command, std::string profile, Clock clock)
      : RefreshingCredentialsProvider(std::move(clock)),
        command_(std::move(command)),
        profile_(std::move(profile)) {}
  std::string Name() const override { return "profile '" + profile_ + "' credential_process"; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    const std::string what = Name();
    Result<std::vector<std::string>> argv = ShlexSplit(command_);
    if (!argv.ok()) return argv.status().WithPrefix(what);
    if (argv->empty()) return InvalidArgument(what + ": empty command");
    Result<ProcessOutput> run = RunProcess(*argv);
    if (!run.ok()) return run.status().WithPrefix(what);
    if (run->exit_status != 0) {
      std::string err(Trim(run->err));
      if (err.size() > 300) err = err.substr(0, 300) + "...";
      return Unavailable(what + ": '" + (*argv)[0] + "' exited with status " +
                         std::to_string(run->exit_status) + (err.empty() ? "" : ": " + err));
    }
    json doc = json::parse(run->out, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return DataLoss(what + ": output is not a JSON object");
    }
    auto version = doc.find("Version");
    if (version == doc.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
      return DataLoss(what + ": output must have \"Version\": 1");
    }
    return CredentialsFromJson(run->out, "SessionToken", what);
  }

 private:
  std::string command_;
  std::string profile_;
};

// ---- STS ------------------------------------------------------------------------

std::string DecodeXmlEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    std::string_view entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out += '&';
    } else if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      unsigned long code = entity[1] == 'x'
                               ? std::strtoul(std::string(entity.substr(2)).c_str(), nullptr, 16)
                               : std::strtoul(std::string(entity.substr(1)).c_str(), nullptr, 10);
      if (code > 0 && code < 0x80) {
        out += static_cast<char>(code);
      } else {
        out += '?';
      }
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

Result<ExpiringCredentials> CallSts(const std::string& action, const std::string& form,
                                    const AssumeRoleParams& params,
                                    CredentialsProvider* signer_source, const ProviderDeps& deps) {
  const std::string what = "STS " + action + " for " + params.role_arn + " at " +
                           params.sts_endpoint.url + " (" + params.sts_endpoint.source + ")";
  if (deps.http == nullptr) return FailedPrecondition(what + ": no HTTP client");
  RECOUP_ASSIGN_OR_RETURN(UrlParts url, SplitUrl(params.sts_endpoint.url));
  HttpRequest request{
      .method = "POST",
      .path = url.path_and_query.substr(0, url.path_and_query.find('?')),
      .query = "",
      .headers = {{"Host", url.authority},
                  {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
      .body = form};
  if (signer_source != nullptr) {
    Result<Credentials> source = signer_source->Get();
    if (!source.ok()) return source.status().WithPrefix(what + ": source credentials");
    SigningOptions options{.region = params.sts_endpoint.signing_region,
                           .service = "sts",
                           .timestamp_ms = deps.clock()};
    Result<SigningResult> signed_info = Sign(*source, options, request);
    if (!signed_info.ok()) return signed_info.status().WithPrefix(what);
  }
  net::HttpRequest wire{.method = "POST",
                        .url = url.scheme + "://" + url.authority + request.path,
                        .headers = request.headers,
                        .body = request.body};
  net::RequestOptions options;
  options.timeout_ms = 30000;
  RECOUP_ASSIGN_OR_RETURN(net::HttpResponse response, deps.http->Send(wire, options));
  if (response.status != 200) {
    std::string code = ExtractXmlTag(response.body, "Code").value_or("");
    std::string message = ExtractXmlTag(response.body, "Message").value_or("");
    std::string text = what + ": HTTP " + std::to_string(response.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message.substr(0, 500);
    if (response.status == 403 || code == "AccessDenied") {
      return Status(StatusCode::kPermissionDenied, text);
    }
    if (response.status >= 500 || response.status == 429) return Unavailable(text);
    return FailedPrecondition(text);
  }
  ExpiringCredentials out;
  std::optional<std::string> key_id = ExtractXmlTag(response.body, "AccessKeyId");
  std::optional<std::string> secret = ExtractXmlTag(response.body, "SecretAccessKey");
  std::optional<std::string> token = ExtractXmlTag(response.body, "SessionToken");
  if (!key_id || !secret || !token || key_id->empty() || secret->empty()) {
    return DataLoss(what + ": response has no Credentials element");
  }
  out.credentials = {*key_id, *secret, *token};
  RECOUP_ASSIGN_OR_RETURN(out.expiration_ms,
                          ParseExpiration(ExtractXmlTag(response.body, "Expiration"), what));
  return out;
}

std::string CommonForm(const std::string& action, const AssumeRoleParams& params, int64_t now_ms) {
  std::string session = params.role_session_name.empty() ? "recoup-" + std::to_string(now_ms / 1000)
                                                         : params.role_session_name;
  std::string form = "Action=" + action +
                     "&Version=2011-06-15&RoleArn=" + FormEncode(params.role_arn) +
                     "&RoleSessionName=" + FormEncode(session);
  if (params.duration_seconds) {
    form += "&DurationSeconds=" + std::to_string(*params.duration_seconds);
  }
  return form;
}

class AssumeRoleProvider final : public RefreshingCredentialsProvider {
 public:
  AssumeRoleProvider(AssumeRoleParams params, std::shared_ptr<CredentialsProvider> source,
                     ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock),
        params_(std::move(params)),
        source_(std::move(source)),
        deps_(std::move(deps)) {}
  std::string Name() const override {
    return "assume role " + params_.role_arn + " from " + source_->Name();
  }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    std::string form = CommonForm("AssumeRole", params_, deps_.clock());
    if (!params_.external_id.empty()) form += "&ExternalId=" + FormEncode(params_.external_id);
    return CallSts("AssumeRole", form, params_, source_.get(), deps_);
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
        deps_(std::move(deps)) {}
  std::string Name() const override { return "web identity " + params_.role_arn; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    std::ifstream in(token_file_, std::ios::binary);
    if (!in) return FailedPrecondition("cannot read web identity token file " + token_file_);
    std::ostringstream text;
    text << in.rdbuf();
    std::string token(Trim(text.str()));
    if (token.empty())
      return FailedPrecondition("web identity token file " + token_file_ + " is empty");
    std::string form = CommonForm("AssumeRoleWithWebIdentity", params_, deps_.clock()) +
                       "&WebIdentityToken=" + FormEncode(token);
    return CallSts("AssumeRoleWithWebIdentity", form, params_, nullptr, deps_);
  }

 private:
  AssumeRoleParams params_;
  std::string token_file_;
  ProviderDeps deps_;
};

// ---- Container ----------------------------------------------------------------

constexpr std::string_view kEcsHost = "http://169.254.170.2";

bool AllowedHttpHost(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23";
}

class ContainerProvider final : public RefreshingCredentialsProvider {
 public:
  ContainerProvider(Env env, ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock), env_(std::move(env)), deps_(std::move(deps)) {}
  std::string Name() const override { return "container credentials"; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    auto get = [&](const char* name) -> std::string { return env_(name).value_or(""); };
    std::string url;
    std::string relative = get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    std::string full = get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative.empty()) {
      url = std::string(kEcsHost) + (relative[0] == '/' ? "" : "/") + relative;
    } else if (!full.empty()) {
      RECOUP_ASSIGN_OR_RETURN(UrlParts parts, SplitUrl(full));
      if (parts.scheme != "https" && !(parts.scheme == "http" && AllowedHttpHost(parts.host))) {
        return InvalidArgument(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or an http loopback/ECS/EKS "
            "address, not host '" +
            parts.host + "'");
      }
      url = full;
    } else {
      return NotFound("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI are not set");
    }
    if (deps_.http == nullptr) return FailedPrecondition(Name() + ": no HTTP client");
    net::HttpRequest request{.method = "GET", .url = url, .headers = {}, .body = ""};
    request.headers.emplace_back("Accept", "application/json");
    std::string token;
    if (std::string file = get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (!in)
        return FailedPrecondition("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file);
      std::ostringstream text;
      text << in.rdbuf();
      token = std::string(Trim(text.str()));
    } else {
      token = get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (!token.empty()) {
      if (HasLineBreak(token)) {
        return InvalidArgument("container authorization token contains a line break");
      }
      request.headers.emplace_back("Authorization", token);
    }
    net::RequestOptions options;
    options.connect_timeout_ms = 2000;
    options.timeout_ms = 5000;
    Result<net::HttpResponse> response = deps_.http->Send(request, options);
    if (!response.ok()) return response.status().WithPrefix(Name() + " from " + url);
    if (response->status != 200) {
      return Unavailable(Name() + " from " + url + ": HTTP " + std::to_string(response->status));
    }
    return CredentialsFromJson(response->body, "Token", Name() + " from " + url);
  }

 private:
  Env env_;
  ProviderDeps deps_;
};

// ---- IMDS -----------------------------------------------------------------------

constexpr std::string_view kImdsCredentialsPath = "/latest/meta-data/iam/security-credentials/";

class ImdsProvider final : public RefreshingCredentialsProvider {
 public:
  ImdsProvider(std::string endpoint, bool disabled, ProviderDeps deps)
      : RefreshingCredentialsProvider(deps.clock),
        endpoint_(std::move(endpoint)),
        disabled_(disabled),
        deps_(std::move(deps)) {}
  std::string Name() const override { return "EC2 instance metadata (" + endpoint_ + ")"; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    if (disabled_) return NotFound("EC2 instance metadata disabled by AWS_EC2_METADATA_DISABLED");
    if (deps_.http == nullptr) return FailedPrecondition(Name() + ": no HTTP client");
    net::RequestOptions options;
    options.connect_timeout_ms = 1000;
    options.timeout_ms = 1000;
    // IMDSv2 session token.
    net::HttpRequest token_request{.method = "PUT",
                                   .url = endpoint_ + "/latest/api/token",
                                   .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}},
                                   .body = ""};
    Result<net::HttpResponse> token_response = deps_.http->Send(token_request, options);
    if (!token_response.ok()) return NotFound(Name() + " unreachable");
    std::string token;
    if (token_response->status == 200) {
      token = std::string(Trim(token_response->body));
      if (HasLineBreak(token)) return DataLoss(Name() + ": malformed session token");
    } else if (token_response->status != 403 && token_response->status != 404 &&
               token_response->status != 405) {
      return NotFound(Name() + ": token request answered HTTP " +
                      std::to_string(token_response->status));
    }
    auto get = [&](const std::string& path) -> Result<net::HttpResponse> {
      net::HttpRequest request{.method = "GET", .url = endpoint_ + path, .headers = {}, .body = ""};
      if (!token.empty()) request.headers.emplace_back("X-aws-ec2-metadata-token", token);
      return deps_.http->Send(request, options);
    };
    Result<net::HttpResponse> roles = get(std::string(kImdsCredentialsPath));
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
    Result<net::HttpResponse> creds = get(std::string(kImdsCredentialsPath) + role);
    if (!creds.ok()) return NotFound(Name() + " unreachable");
    if (creds->status != 200) {
      return NotFound(Name() + ": role " + role + " answered HTTP " +
                      std::to_string(creds->status));
    }
    json doc = json::parse(creds->body, nullptr, false);
    if (!doc.is_discarded() && doc.is_object()) {
      std::optional<std::string> code = JsonString(doc, "Code");
      if (code && *code != "Success") return Unavailable(Name() + ": Code " + code->substr(0, 64));
    }
    return CredentialsFromJson(creds->body, "Token", Name() + " role " + role);
  }

 private:
  std::string endpoint_;
  bool disabled_;
  ProviderDeps deps_;
};

// ---- Profiles ---------------------------------------------------------------------

ProviderDeps WithClock(ProviderDeps deps) {
  if (!deps.clock) deps.clock = SystemClock();
  return deps;
}

Endpoint StsEndpoint(const AwsConfig& config, Status* status) {
  Result<std::string> region = config.Region();
  Result<Endpoint> endpoint = config.ResolveEndpoint("STS", region.ok() ? *region : "us-east-1");
  if (!endpoint.ok()) {
    *status = endpoint.status();
    return {};
  }
  return *endpoint;
}

bool HasStaticKeys(const Profile& p) {
  return p.Get("aws_access_key_id") || p.Get("aws_secret_access_key");
}

Result<std::unique_ptr<CredentialsProvider>> StaticFromProfile(const Profile& p) {
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
  Status status;
  params.sts_endpoint = StsEndpoint(config, &status);
  RECOUP_RETURN_IF_ERROR(status);
  return params;
}

Result<std::unique_ptr<CredentialsProvider>> BuildProfile(const AwsConfig& config,
                                                          const std::string& name,
                                                          const ProviderDeps& deps,
                                                          std::vector<std::string>& visited,
                                                          bool as_source) {
  const Profile* p = config.FindProfile(name);
  if (p == nullptr) {
    if (name == "default" && !as_source) return NotFound("no profile 'default'");
    return InvalidArgument("AWS profile '" + name + "' not found");
  }
  if (as_source && HasStaticKeys(*p)) return StaticFromProfile(*p);

  if (std::optional<std::string> role = p->Get("role_arn")) {
    std::optional<std::string> source_profile = p->Get("source_profile");
    std::optional<std::string> credential_source = p->Get("credential_source");
    std::optional<std::string> token_file = p->Get("web_identity_token_file");
    if (source_profile && credential_source) {
      return InvalidArgument(p->Describe("source_profile") +
                             " and credential_source are mutually exclusive");
    }
    if (source_profile || credential_source) {
      RECOUP_ASSIGN_OR_RETURN(AssumeRoleParams params, RoleParams(config, *p));
      std::shared_ptr<CredentialsProvider> source;
      if (credential_source) {
        if (*credential_source == "Environment") {
          source = MakeEnvironmentCredentialsProvider(config.env());
        } else if (*credential_source == "Ec2InstanceMetadata") {
          source = MakeImdsCredentialsProvider(config, deps);
        } else if (*credential_source == "EcsContainer") {
          source = MakeContainerCredentialsProvider(config.env(), deps);
        } else {
          return InvalidArgument(p->Describe("credential_source") +
                                 " must be Environment, Ec2InstanceMetadata or EcsContainer");
        }
      } else if (*source_profile == name) {
        if (!HasStaticKeys(*p)) {
          return InvalidArgument(p->Describe("source_profile") +
                                 " refers to itself but the profile has no static keys");
        }
        RECOUP_ASSIGN_OR_RETURN(source, StaticFromProfile(*p));
      } else {
        visited.push_back(name);
        for (const std::string& seen : visited) {
          if (seen == *source_profile) {
            std::string chain;
            for (const std::string& v : visited) chain += v + " -> ";
            return InvalidArgument(p->Describe("source_profile") + ": cycle " + chain +
                                   *source_profile);
          }
        }
        if (config.FindProfile(*source_profile) == nullptr) {
          return InvalidArgument(p->Describe("source_profile") + " names profile '" +
                                 *source_profile + "', which does not exist");
        }
        Result<std::unique_ptr<CredentialsProvider>> built =
            BuildProfile(config, *source_profile, deps, visited, /*as_source=*/true);
        if (!built.ok()) return built.status();
        source = std::move(built).value();
      }
      return MakeAssumeRoleCredentialsProvider(std::move(params), std::move(source), deps);
    }
    if (token_file) {
      RECOUP_ASSIGN_OR_RETURN(AssumeRoleParams params, RoleParams(config, *p));
      return MakeWebIdentityCredentialsProvider(std::move(params), *token_file, deps);
    }
    return InvalidArgument(p->Describe("role_arn") +
                           " needs source_profile, credential_source or web_identity_token_file");
  }
  if (HasStaticKeys(*p)) return StaticFromProfile(*p);
  if (std::optional<std::string> command = p->Get("credential_process")) {
    return MakeProcessCredentialsProvider(*command, name, deps.clock);
  }
  if (as_source) {
    return InvalidArgument("source profile '" + name + "' has no credentials");
  }
  return NotFound("profile '" + name + "' has no credentials");
}

// ---- Chain ------------------------------------------------------------------------

class ChainProvider final : public CredentialsProvider {
 public:
  using Factory = std::function<Result<std::unique_ptr<CredentialsProvider>>()>;
  struct Step {
    std::string name;
    Factory factory;
  };
  explicit ChainProvider(std::vector<Step> steps) : steps_(std::move(steps)) {}

  std::string Name() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return winner_ ? "default chain: " + winner_->Name() : "default chain";
  }

  Result<ExpiringCredentials> GetExpiring() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (winner_) return winner_->GetExpiring();
    std::string tried;
    for (const Step& step : steps_) {
      Result<std::unique_ptr<CredentialsProvider>> provider = step.factory();
      if (!provider.ok()) {
        if (provider.status().code() == StatusCode::kNotFound) {
          tried += "\n  " + step.name + ": " + provider.status().message();
          continue;
        }
        return provider.status().WithPrefix(step.name);
      }
      Result<ExpiringCredentials> creds = (*provider)->GetExpiring();
      if (!creds.ok()) {
        if (creds.status().code() == StatusCode::kNotFound) {
          tried += "\n  " + step.name + ": " + creds.status().message();
          continue;
        }
        return creds.status().WithPrefix(step.name);
      }
      winner_ = std::move(provider).value();
      return creds;
    }
    return NotFound("no AWS credentials found; tried:" + tried);
  }

 private:
  std::vector<Step> steps_;
  mutable std::mutex mu_;
  std::unique_ptr<CredentialsProvider> winner_;
};

}  // namespace

// ---- Public -------------------------------------------------------------------------

Clock SystemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

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

RefreshingCredentialsProvider::RefreshingCredentialsProvider(Clock clock, int64_t refresh_window_ms)
    : clock_(clock ? std::move(clock) : SystemClock()), refresh_window_ms_(refresh_window_ms) {}

Result<ExpiringCredentials> RefreshingCredentialsProvider::GetExpiring() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_();
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

std::unique_ptr<CredentialsProvider> MakeEnvironmentCredentialsProvider(Env env) {
  return std::make_unique<EnvironmentProvider>(env ? std::move(env) : ProcessEnv());
}

Result<std::vector<std::string>> ShlexSplit(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i + 1 >= command.size())
        return InvalidArgument("credential_process: no escaped character");
      word += command[++i];
      in_word = true;
    } else if (c == '\'') {
      size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return InvalidArgument("credential_process: no closing quotation");
      }
      word += command.substr(i + 1, close - i - 1);
      i = close;
      in_word = true;
    } else if (c == '"') {
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= command.size()) return InvalidArgument("credential_process: no closing quotation");
        if (command[j] == '"') break;
        if (command[j] == '\\' && j + 1 < command.size() &&
            (command[j + 1] == '"' || command[j + 1] == '\\')) {
          word += command[++j];
        } else {
          word += command[j];
        }
      }
      i = j;
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::unique_ptr<CredentialsProvider> MakeProcessCredentialsProvider(std::string command,
                                                                    std::string profile_name,
                                                                    Clock clock) {
  return std::make_unique<ProcessProvider>(std::move(command), std::move(profile_name),
                                           std::move(clock));
}

std::unique_ptr<CredentialsProvider> MakeAssumeRoleCredentialsProvider(
    AssumeRoleParams params, std::shared_ptr<CredentialsProvider> source, ProviderDeps deps) {
  return std::make_unique<AssumeRoleProvider>(std::move(params), std::move(source),
                                              WithClock(std::move(deps)));
}

std::unique_ptr<CredentialsProvider> MakeWebIdentityCredentialsProvider(AssumeRoleParams params,
                                                                        std::string token_file,
                                                                        ProviderDeps deps) {
  return std::make_unique<WebIdentityProvider>(std::move(params), std::move(token_file),
                                               WithClock(std::move(deps)));
}

std::unique_ptr<CredentialsProvider> MakeContainerCredentialsProvider(Env env, ProviderDeps deps) {
  return std::make_unique<ContainerProvider>(env ? std::move(env) : ProcessEnv(),
                                             WithClock(std::move(deps)));
}

std::unique_ptr<CredentialsProvider> MakeImdsCredentialsProvider(const AwsConfig& config,
                                                                 ProviderDeps deps) {
  std::string endpoint = config.GetEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                             .value_or(config.profile()
                                           .Get("ec2_metadata_service_endpoint")
                                           .value_or("http://169.254.169.254"));
  while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
  bool disabled = Lower(Trim(config.GetEnv("AWS_EC2_METADATA_DISABLED").value_or(""))) == "true";
  return std::make_unique<ImdsProvider>(std::move(endpoint), disabled, WithClock(std::move(deps)));
}

Result<std::unique_ptr<CredentialsProvider>> MakeProfileCredentialsProvider(
    const AwsConfig& config, const std::string& profile_name, ProviderDeps deps) {
  std::vector<std::string> visited;
  return BuildProfile(config, profile_name, WithClock(std::move(deps)), visited, false);
}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsProvider(const AwsConfig& config,
                                                                    ProviderDeps deps) {
  auto shared = std::make_shared<AwsConfig>(config);
  deps = WithClock(std::move(deps));
  using Step = ChainProvider::Step;
  std::vector<Step> steps;
  steps.push_back(Step{"environment", [shared]() -> Result<std::unique_ptr<CredentialsProvider>> {
                         return MakeEnvironmentCredentialsProvider(shared->env());
                       }});
  steps.push_back(Step{"profile '" + config.profile_name() + "'", [shared, deps]() {
                         return MakeProfileCredentialsProvider(*shared, shared->profile_name(),
                                                               deps);
                       }});
  steps.push_back(
      Step{"web identity (environment)",
           [shared, deps]() -> Result<std::unique_ptr<CredentialsProvider>> {
             std::optional<std::string> token_file = shared->GetEnv("AWS_WEB_IDENTITY_TOKEN_FILE");
             std::optional<std::string> role = shared->GetEnv("AWS_ROLE_ARN");
             if (!token_file && !role) {
               return NotFound("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set");
             }
             if (!token_file || !role) {
               return InvalidArgument(
                   "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must be set together");
             }
             AssumeRoleParams params;
             params.role_arn = *role;
             params.role_session_name = shared->GetEnv("AWS_ROLE_SESSION_NAME").value_or("");
             Status status;
             params.sts_endpoint = StsEndpoint(*shared, &status);
             RECOUP_RETURN_IF_ERROR(status);
             return MakeWebIdentityCredentialsProvider(std::move(params), *token_file, deps);
           }});
  steps.push_back(
      Step{"container", [shared, deps]() -> Result<std::unique_ptr<CredentialsProvider>> {
             return MakeContainerCredentialsProvider(shared->env(), deps);
           }});
  steps.push_back(Step{"EC2 instance metadata",
                       [shared, deps]() -> Result<std::unique_ptr<CredentialsProvider>> {
                         return MakeImdsCredentialsProvider(*shared, deps);
                       }});
  return std::make_unique<ChainProvider>(std::move(steps));
}

std::optional<std::string> ExtractXmlTag(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after >= xml.size()) return std::nullopt;
    char c = xml[after];
    if (c == '/') {
      size_t gt = xml.find('>', after);
      if (gt == after + 1) return std::string();
    }
    if (c != '>' && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      pos = after;  // a longer tag name, e.g. <AccessKeyIdX>
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) return std::nullopt;
    if (xml[gt - 1] == '/') return std::string();
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return DecodeXmlEntities(Trim(xml.substr(gt + 1, end - gt - 1)));
  }
  return std::nullopt;
}

}  // namespace recoup::aws
