#include "recoup/cli/claims_identity.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <utility>
#include <vector>

#include "recoup/io/byte_source.h"

namespace recoup::cli {

namespace {

std::string Where(const std::string& path, const toml::node& n, const std::string& key) {
  return path + ":" + std::to_string(n.source().begin.line) + ": " + key;
}

// Reads the string keys `allowed` of `table` into `out` (key -> value);
// INVALID_ARGUMENT for any other key or a value that is not a string.
Status ReadStrings(const std::string& path, const toml::table& table, const std::string& prefix,
                   const std::vector<std::string>& allowed,
                   std::map<std::string, std::string>* out) {
  for (const auto& [k, v] : table) {
    const std::string key(k.str());
    const std::string name = prefix + key;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidArgument(Where(path, v, name) + ": unknown key");
    }
    if (!v.is_string()) return InvalidArgument(Where(path, v, name) + ": must be a string");
    (*out)[key] = std::string(*v.value<std::string>());
  }
  return Status::Ok();
}

bool IsAccountId(const std::string& s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<AccountsConfig> ParseAccountsConfig(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  AccountsConfig cfg;
  cfg.path = path;
  toml::table top;
  for (const auto& [k, v] : root) {
    if (k.str() == "accounts") continue;
    top.insert(k, v);
  }
  std::map<std::string, std::string> vals;
  RECOUP_RETURN_IF_ERROR(ReadStrings(path, top, "", {"role_arn", "external_id"}, &vals));
  cfg.role_arn = vals["role_arn"];
  cfg.external_id = vals["external_id"];
  if (const toml::node* acc = root.get("accounts"); acc != nullptr) {
    const toml::table* t = acc->as_table();
    if (t == nullptr) return InvalidArgument(Where(path, *acc, "accounts") + ": must be a table");
    for (const auto& [id, v] : *t) {
      const std::string account(id.str());
      const std::string prefix = "accounts." + account + ".";
      if (!IsAccountId(account)) {
        return InvalidArgument(Where(path, v, "accounts." + account) +
                               ": not an account ID (12 digits)");
      }
      const toml::table* at = v.as_table();
      if (at == nullptr) {
        return InvalidArgument(Where(path, v, "accounts." + account) + ": must be a table");
      }
      std::map<std::string, std::string> a;
      RECOUP_RETURN_IF_ERROR(
          ReadStrings(path, *at, prefix, {"profile", "role_arn", "external_id"}, &a));
      AccountAccess access;
      access.profile = a["profile"];
      access.role_arn = a["role_arn"];
      access.external_id = a["external_id"];
      access.profile_from_file = !access.profile.empty();
      cfg.accounts[account] = std::move(access);
    }
  }
  return cfg;
}

std::string ReplaceAccount(std::string arn, const std::string& account) {
  const std::string token = "{account}";
  for (size_t p = arn.find(token); p != std::string::npos; p = arn.find(token, p)) {
    arn.replace(p, token.size(), account);
    p += account.size();
  }
  return arn;
}

}  // namespace

std::string AccountAccess::Describe() const {
  std::string out;
  if (!profile.empty()) out = "profile " + profile;
  if (!role_arn.empty()) out += (out.empty() ? "" : ", then ") + std::string("role ") + role_arn;
  return out.empty() ? "the default credentials" : out;
}

AccountAccess AccountsConfig::AccessFor(const std::string& account,
                                        const std::string& cli_profile) const {
  AccountAccess a;
  if (auto it = accounts.find(account); it != accounts.end()) {
    a = it->second;
  } else {
    a.role_arn = role_arn;
    a.external_id = external_id;
  }
  if (a.profile.empty()) a.profile = cli_profile;
  a.role_arn = ReplaceAccount(a.role_arn, account);
  return a;
}

Result<AccountsConfig> LoadAccountsConfig(const std::string& flag) {
  namespace fs = std::filesystem;
  std::string path = flag;
  bool required = !path.empty();
  if (path.empty()) {
    if (const char* e = std::getenv("RECOUP_ACCOUNTS_CONFIG"); e != nullptr && *e != 0) {
      path = e;
      required = true;
    }
  }
  if (path.empty()) {
    std::vector<std::string> candidates;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x != 0) {
      candidates.push_back(std::string(x) + "/recoup/accounts.toml");
    } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != 0) {
      candidates.push_back(std::string(h) + "/.config/recoup/accounts.toml");
    }
    candidates.push_back("/etc/recoup/accounts.toml");
    for (const std::string& c : candidates) {
      std::error_code ec;
      if (fs::exists(c, ec)) {
        path = c;
        break;
      }
    }
  }
  if (path.empty()) return AccountsConfig{};
  auto text = io::ReadFileToString(path);
  if (!text.ok()) {
    if (!required) return AccountsConfig{};
    return text.status().WithPrefix("accounts config");
  }
  return ParseAccountsConfig(*text, path);
}

Result<AccountIdentity> OpenAccount(const AccountAccess& access) {
  AccountIdentity id;
  id.access = access;
  AwsContextOptions o;
  o.profile = access.profile;
  o.region = "us-east-1";
  o.profile_credentials_only = access.profile_from_file;
  RECOUP_ASSIGN_OR_RETURN(id.ctx, AwsContext::Create(o));
  if (!access.role_arn.empty()) {
    RECOUP_RETURN_IF_ERROR(id.ctx->AssumeRole(access.role_arn, access.external_id));
  }
  RECOUP_ASSIGN_OR_RETURN(auto sts, id.ctx->Client(aws::services::kSts, "us-east-1"));
  auto who = aws::StsApi(sts.get()).GetCallerIdentity();
  if (!who.ok()) {
    return who.status().WithPrefix("GetCallerIdentity with " + access.Describe());
  }
  id.who = std::move(who).value();
  return id;
}

std::string MismatchReason(const std::string& account, const AccountIdentity& identity,
                           const AccountsConfig& config) {
  if (identity.who.account == account) return std::string();
  return "the claim is for account " + account + ", but " + identity.access.Describe() +
         " are account " + identity.who.account + "'s (" + identity.who.arn +
         "); AWS credits the account that files: give account " + account +
         " its own profile or role_arn in " +
         (config.path.empty() ? std::string("the accounts file (docs/CLAIMS.md)") : config.path);
}

}  // namespace recoup::cli
