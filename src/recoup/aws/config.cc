#include "recoup/aws/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "recoup/core/strings.h"

namespace recoup::aws {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string Where(const std::string& path, int line) { return path + ":" + std::to_string(line); }

// Reads a whole file. nullopt when it does not exist.
Result<std::optional<std::string>> ReadOptionalFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read AWS config file " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return std::optional<std::string>(out.str());
}

std::string ExpandHome(const std::string& path, const Env& env) {
  if (path.empty() || path[0] != '~') return path;
  if (path.size() > 1 && path[1] != '/') return path;
  std::optional<std::string> home = env("HOME");
  if (!home || home->empty()) return path;
  return *home + path.substr(1);
}

bool IsTrue(const std::optional<std::string>& value) {
  return value.has_value() && AsciiLower(Trim(*value)) == "true";
}

bool ValidRegion(std::string_view region) {
  if (region.empty() || region.size() > 63) return false;
  if (region.front() == '-' || region.back() == '-') return false;
  for (char c : region) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status ValidateUrl(const std::string& url, const std::string& source) {
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) {
    if (url.find_first_of(" \t\r\n") == std::string::npos) return Status::Ok();
  }
  return InvalidArgument("endpoint URL from " + source + " must be an http:// or https:// URL");
}

std::string StripSlash(std::string url) {
  while (url.size() > 1 && url.back() == '/' && url[url.size() - 2] != '/') url.pop_back();
  return url;
}

// Merges the keys of `section` into `profile`; later keys override.
void MergeInto(Profile& profile, const IniSection& section, const std::string& path) {
  for (const auto& [key, value] : section.values) {
    profile.values[key] = value;
    profile.subsections.erase(key);
  }
  for (const auto& [key, sub] : section.subsections) {
    profile.subsections[key] = sub;
    profile.values.erase(key);
  }
  for (const auto& [key, line] : section.key_lines) profile.origins[key] = Where(path, line);
}

}  // namespace

Env ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

// ---- INI ------------------------------------------------------------------

Result<IniFile> ParseIni(std::string_view text, const std::string& path) {
  IniFile file;
  file.path = path;
  IniSection* section = nullptr;
  std::string key;  // current option, "" when none
  int key_line = 0;
  size_t key_indent = 0;
  std::vector<std::string> lines_of_value;

  auto finish_key = [&]() -> Status {
    if (key.empty()) return Status::Ok();
    while (lines_of_value.size() > 1 && lines_of_value.back().empty()) lines_of_value.pop_back();
    if (lines_of_value.size() > 1 && lines_of_value.front().empty()) {
      std::map<std::string, std::string> sub;
      for (size_t i = 1; i < lines_of_value.size(); ++i) {
        const std::string& line = lines_of_value[i];
        if (line.empty()) continue;
        size_t eq = line.find('=');
        if (eq == std::string::npos) {
          return InvalidArgument(path + ": section [" + section->name + "] key '" + key +
                                 "' (line " + std::to_string(key_line) +
                                 "): sub-section line must be 'name = value'");
        }
        sub[std::string(Trim(std::string_view(line).substr(0, eq)))] =
            std::string(Trim(std::string_view(line).substr(eq + 1)));
      }
      section->subsections[key] = std::move(sub);
    } else {
      std::string value;
      for (size_t i = 0; i < lines_of_value.size(); ++i) {
        if (i > 0) value += '\n';
        value += lines_of_value[i];
      }
      section->values[key] = std::move(value);
    }
    section->key_lines[key] = key_line;
    key.clear();
    lines_of_value.clear();
    return Status::Ok();
  };

  int line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line_number == 1 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
    std::string_view stripped = Trim(raw);
    if (stripped.empty()) {
      if (!key.empty()) lines_of_value.emplace_back();
      if (end == text.size()) break;
      continue;
    }
    if (stripped.front() == '#' || stripped.front() == ';') {
      if (end == text.size()) break;
      continue;
    }
    size_t indent = 0;
    while (indent < raw.size() && IsSpace(raw[indent])) ++indent;
    if (section != nullptr && !key.empty() && indent > key_indent) {
      lines_of_value.emplace_back(stripped);
      if (end == text.size()) break;
      continue;
    }
    RECOUP_RETURN_IF_ERROR(finish_key());
    if (stripped.front() == '[' && stripped.find(']') != std::string_view::npos) {
      std::string name(Trim(stripped.substr(1, stripped.rfind(']') - 1)));
      if (name.empty()) {
        return InvalidArgument(Where(path, line_number) + ": empty section name");
      }
      for (const IniSection& s : file.sections) {
        if (s.name == name) {
          return InvalidArgument(Where(path, line_number) + ": duplicate section [" + name +
                                 "] (first at line " + std::to_string(s.line) + ")");
        }
      }
      file.sections.push_back(IniSection{
          .name = name, .line = line_number, .values = {}, .subsections = {}, .key_lines = {}});
      section = &file.sections.back();
    } else {
      if (section == nullptr) {
        return InvalidArgument(Where(path, line_number) +
                               ": setting before the first [section] header");
      }
      size_t delim = stripped.find_first_of("=:");
      if (delim == std::string_view::npos) {
        return InvalidArgument(Where(path, line_number) + ": section [" + section->name +
                               "]: expected 'key = value'");
      }
      std::string name = AsciiLower(Trim(stripped.substr(0, delim)));
      if (name.empty()) {
        return InvalidArgument(Where(path, line_number) + ": section [" + section->name +
                               "]: empty key");
      }
      if (section->key_lines.count(name) != 0) {
        return InvalidArgument(Where(path, line_number) + ": section [" + section->name +
                               "]: duplicate key '" + name + "' (first at line " +
                               std::to_string(section->key_lines[name]) + ")");
      }
      key = name;
      key_line = line_number;
      key_indent = indent;
      lines_of_value.assign(1, std::string(Trim(stripped.substr(delim + 1))));
    }
    if (end == text.size()) break;
  }
  RECOUP_RETURN_IF_ERROR(finish_key());
  return file;
}

// ---- Profile ----------------------------------------------------------------

std::optional<std::string> Profile::Get(std::string_view key) const {
  auto it = values.find(std::string(key));
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Profile::Describe(std::string_view key) const {
  std::string out = "profile '" + name + "'";
  auto it = origins.find(std::string(key));
  if (it != origins.end()) out += " (" + it->second + ")";
  out += " key '" + std::string(key) + "'";
  return out;
}

// ---- Endpoints --------------------------------------------------------------

std::string ServiceIdToEnvSuffix(std::string_view service_id) {
  std::string out;
  for (char c : Trim(service_id)) {
    if (c == ' ' || c == '-') {
      out += '_';
    } else if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

EndpointUrlParts SplitEndpointUrl(std::string_view url) {
  EndpointUrlParts parts;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    parts.scheme = std::string(url.substr(0, scheme_end));
    url.remove_prefix(scheme_end + 3);
  } else {
    parts.scheme = "https";
  }
  const size_t slash = url.find('/');
  parts.authority = std::string(url.substr(0, slash));
  if (slash != std::string_view::npos) parts.base_path = std::string(url.substr(slash));
  while (!parts.base_path.empty() && parts.base_path.back() == '/') parts.base_path.pop_back();
  return parts;
}

std::string ServiceIdToConfigKey(std::string_view service_id) {
  return AsciiLower(ServiceIdToEnvSuffix(service_id));
}

Result<Endpoint> DefaultEndpoint(std::string_view service_id, std::string_view region) {
  if (!ValidRegion(region)) {
    return InvalidArgument("invalid AWS region '" + std::string(region).substr(0, 64) +
                           "' for service " + std::string(service_id));
  }
  const std::string key = ServiceIdToConfigKey(service_id);
  const std::string reg = AsciiLower(region);
  enum class Partition { kAws, kChina, kGov } partition = Partition::kAws;
  if (reg.rfind("cn-", 0) == 0) {
    partition = Partition::kChina;
  } else if (reg.rfind("us-gov-", 0) == 0) {
    partition = Partition::kGov;
  }
  const std::string suffix = partition == Partition::kChina ? "amazonaws.com.cn" : "amazonaws.com";

  std::string prefix;
  if (key == "cost_explorer") {
    prefix = "ce";
  } else if (key == "cloudwatch") {
    prefix = "monitoring";
  } else if (key == "resource_groups_tagging_api") {
    prefix = "tagging";
  } else {
    for (char c : key) {
      if (c != '_') prefix += c;
    }
  }

  std::string signing_region = reg;
  auto global = [&](const char* aws, const char* china, const char* gov) {
    switch (partition) {
      case Partition::kAws:
        signing_region = aws;
        break;
      case Partition::kChina:
        signing_region = china;
        break;
      case Partition::kGov:
        signing_region = gov;
        break;
    }
  };
  if (key == "support") {
    global("us-east-1", "cn-north-1", "us-gov-west-1");
  } else if (key == "cost_explorer" || key == "organizations") {
    global("us-east-1", "cn-northwest-1", "us-gov-west-1");
  } else if (key == "billing") {
    // AWS Billing answers in us-east-1 only, under api.aws (its endpoint rule set).
    global("us-east-1", "cn-northwest-1", "us-gov-west-1");
    if (partition == Partition::kAws) {
      return Endpoint{.url = "https://billing.us-east-1.api.aws",
                      .signing_region = signing_region,
                      .source = "default"};
    }
  } else if (key == "health") {
    global("us-east-1", "cn-northwest-1", "us-gov-west-1");
    if (partition == Partition::kAws) {
      return Endpoint{.url = "https://global.health.amazonaws.com",
                      .signing_region = signing_region,
                      .source = "default"};
    }
  }
  return Endpoint{.url = "https://" + prefix + "." + signing_region + "." + suffix,
                  .signing_region = signing_region,
                  .source = "default"};
}

// ---- AwsConfig --------------------------------------------------------------

Result<AwsConfig> AwsConfig::Load(const Options& options) {
  Env env = options.env ? options.env : ProcessEnv();
  auto path_from = [&](const char* var, const char* file) -> std::string {
    std::optional<std::string> value = env(var);
    if (value && !value->empty()) return ExpandHome(*value, env);
    std::optional<std::string> home = env("HOME");
    if (!home || home->empty()) return "";
    return *home + "/.aws/" + file;
  };
  std::string config_path = path_from("AWS_CONFIG_FILE", "config");
  std::string credentials_path = path_from("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  std::string config_text;
  std::string credentials_text;
  if (!config_path.empty()) {
    RECOUP_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadOptionalFile(config_path));
    if (text) config_text = std::move(*text);
  }
  if (!credentials_path.empty()) {
    RECOUP_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadOptionalFile(credentials_path));
    if (text) credentials_text = std::move(*text);
  }
  Options resolved = options;
  resolved.env = env;
  return FromText(config_text, config_path, credentials_text, credentials_path, resolved);
}

Result<AwsConfig> AwsConfig::FromText(std::string_view config_text, const std::string& config_path,
                                      std::string_view credentials_text,
                                      const std::string& credentials_path, const Options& options) {
  AwsConfig config;
  config.env_ = options.env ? options.env : ProcessEnv();
  RECOUP_ASSIGN_OR_RETURN(IniFile config_file, ParseIni(config_text, config_path));
  RECOUP_ASSIGN_OR_RETURN(IniFile credentials_file, ParseIni(credentials_text, credentials_path));

  auto profile_of = [&](const std::string& name) -> Profile& {
    Profile& p = config.profiles_[name];
    p.name = name;
    return p;
  };
  // [default] first so that [profile default] overrides it.
  for (const IniSection& section : config_file.sections) {
    if (section.name == "default") MergeInto(profile_of("default"), section, config_path);
  }
  for (const IniSection& section : config_file.sections) {
    std::string_view name = section.name;
    size_t space = name.find_first_of(" \t");
    if (space == std::string_view::npos) continue;
    std::string_view kind = name.substr(0, space);
    std::string rest(Trim(name.substr(space)));
    if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') &&
        rest.back() == rest.front()) {
      rest = rest.substr(1, rest.size() - 2);
    }
    if (rest.empty()) continue;
    if (kind == "profile") {
      MergeInto(profile_of(rest), section, config_path);
    } else if (kind == "services") {
      config.services_[rest] = section;
    }
    // Other kinds ([sso-session NAME], ...) are not used by recoup.
  }
  for (const IniSection& section : credentials_file.sections) {
    MergeInto(profile_of(section.name), section, credentials_path);
  }

  if (options.profile && !options.profile->empty()) {
    config.profile_name_ = *options.profile;
  } else if (std::optional<std::string> env_profile = config.GetEnv("AWS_PROFILE")) {
    config.profile_name_ = *env_profile;
  } else {
    config.profile_name_ = "default";
  }
  if (config.profile_name_ != "default" && config.profiles_.count(config.profile_name_) == 0) {
    return NotFound("AWS profile '" + config.profile_name_ + "' not found in " + config_path +
                    " or " + credentials_path);
  }
  return config;
}

const Profile& AwsConfig::profile() const {
  static const Profile* const kEmpty =
      new Profile{.name = "default", .values = {}, .subsections = {}, .origins = {}};
  auto it = profiles_.find(profile_name_);
  return it == profiles_.end() ? *kEmpty : it->second;
}

const Profile* AwsConfig::FindProfile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

std::optional<std::string> AwsConfig::GetEnv(const std::string& name) const {
  std::optional<std::string> value = env_(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

Result<std::string> AwsConfig::Region() const {
  if (auto v = GetEnv("AWS_REGION")) return *v;
  if (auto v = GetEnv("AWS_DEFAULT_REGION")) return *v;
  if (auto v = profile().Get("region")) return *v;
  return NotFound("no AWS region: set AWS_REGION or `region` in profile '" + profile_name_ + "'");
}

Result<Endpoint> AwsConfig::ResolveEndpoint(std::string_view service_id,
                                            std::string_view region) const {
  const Profile& p = profile();
  bool ignore = false;
  if (auto v = GetEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    ignore = IsTrue(v);
  } else {
    ignore = IsTrue(p.Get("ignore_configured_endpoint_urls"));
  }
  auto configured = [&](std::string url, std::string source) -> Result<Endpoint> {
    RECOUP_RETURN_IF_ERROR(ValidateUrl(url, source));
    return Endpoint{.url = StripSlash(std::move(url)),
                    .signing_region = std::string(region),
                    .source = std::move(source)};
  };
  if (!ignore) {
    const std::string specific = "AWS_ENDPOINT_URL_" + ServiceIdToEnvSuffix(service_id);
    if (auto v = GetEnv(specific)) return configured(*v, specific);
    if (auto v = GetEnv("AWS_ENDPOINT_URL")) return configured(*v, "AWS_ENDPOINT_URL");
    if (auto services_name = p.Get("services")) {
      auto it = services_.find(*services_name);
      if (it == services_.end()) {
        return InvalidArgument(p.Describe("services") + " names [services " + *services_name +
                               "], which does not exist");
      }
      const std::string key = ServiceIdToConfigKey(service_id);
      auto sub = it->second.subsections.find(key);
      if (sub != it->second.subsections.end()) {
        auto url = sub->second.find("endpoint_url");
        if (url != sub->second.end() && !url->second.empty()) {
          auto line = it->second.key_lines.find(key);
          std::string source = "[services " + *services_name + "] " + key + ".endpoint_url";
          if (line != it->second.key_lines.end()) {
            source += " (line " + std::to_string(line->second) + ")";
          }
          return configured(url->second, source);
        }
      }
    }
    if (auto v = p.Get("endpoint_url")) return configured(*v, p.Describe("endpoint_url"));
  }
  return DefaultEndpoint(service_id, region);
}

}  // namespace recoup::aws
