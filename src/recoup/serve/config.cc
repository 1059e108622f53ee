#include "recoup/serve/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace recoup::serve {

namespace {

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Reads a TOML table into a config, naming the key path in every error and
// refusing keys it does not know (a typo must not silently disable a source).
class Reader {
 public:
  Reader(const toml::table& t, std::string path, std::string origin)
      : t_(t), path_(std::move(path)), origin_(std::move(origin)) {}

  std::string Where(std::string_view key) const {
    return origin_ + ": " + (path_.empty() ? "" : path_ + ".") + std::string(key);
  }

  Status Str(std::string_view key, std::string* out) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value<std::string>();
    if (!v) return InvalidArgument(Where(key) + ": want a string");
    *out = *v;
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool* out) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value<bool>();
    if (!v) return InvalidArgument(Where(key) + ": want true or false");
    *out = *v;
    return Status::Ok();
  }
  Status Int(std::string_view key, int64_t* out) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value<int64_t>();
    if (!v || *v < 0) return InvalidArgument(Where(key) + ": want a non-negative integer");
    *out = *v;
    return Status::Ok();
  }
  Status Duration(std::string_view key, int64_t* out) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return Status::Ok();
    if (auto i = n->value<int64_t>(); i && n->is_integer()) {
      if (*i < 0) return InvalidArgument(Where(key) + ": negative duration");
      *out = *i * 1000;
      return Status::Ok();
    }
    auto s = n->value<std::string>();
    if (!s) return InvalidArgument(Where(key) + ": want a duration such as \"5m\"");
    RECOUP_ASSIGN_OR_RETURN(*out, ParseDurationMs(*s, Where(key)));
    return Status::Ok();
  }
  Status Listen(std::string_view key, ListenAddress* out) {
    std::string text;
    RECOUP_RETURN_IF_ERROR(Str(key, &text));
    if (text.empty()) return Status::Ok();
    RECOUP_ASSIGN_OR_RETURN(*out, ParseListenAddress(text, Where(key)));
    return Status::Ok();
  }
  Status StrList(std::string_view key, std::vector<std::string>* out) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return Status::Ok();
    if (auto s = n->value<std::string>()) {
      *out = {*s};
      return Status::Ok();
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) return InvalidArgument(Where(key) + ": want a list of strings");
    out->clear();
    for (size_t i = 0; i < a->size(); ++i) {
      auto s = (*a)[i].value<std::string>();
      if (!s) return InvalidArgument(Where(key) + "[" + std::to_string(i) + "]: want a string");
      out->push_back(*s);
    }
    return Status::Ok();
  }
  Status StrMap(std::string_view key, std::map<std::string, std::string>* out) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return Status::Ok();
    const toml::table* t = n->as_table();
    if (t == nullptr) return InvalidArgument(Where(key) + ": want a table");
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string>();
      if (!s) return InvalidArgument(Where(key) + "." + std::string(k.str()) + ": want a string");
      (*out)[std::string(k.str())] = *s;
    }
    return Status::Ok();
  }
  // A sub-table (absent: nullptr).
  Result<const toml::table*> Table(std::string_view key) {
    seen_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    const toml::table* t = n->as_table();
    if (t == nullptr) return InvalidArgument(Where(key) + ": want a table");
    return t;
  }
  // An array of tables (absent: empty).
  Result<std::vector<const toml::table*>> Tables(std::string_view key) {
    seen_.insert(std::string(key));
    std::vector<const toml::table*> out;
    const toml::node* n = t_.get(key);
    if (n == nullptr) return out;
    if (const toml::table* t = n->as_table()) {
      out.push_back(t);
      return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) return InvalidArgument(Where(key) + ": want [[" + std::string(key) + "]]");
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* t = (*a)[i].as_table();
      if (t == nullptr) {
        return InvalidArgument(Where(key) + "[" + std::to_string(i) + "]: want a table");
      }
      out.push_back(t);
    }
    return out;
  }
  Reader Sub(const toml::table& t, std::string_view key) const {
    return Reader(t, (path_.empty() ? "" : path_ + ".") + std::string(key), origin_);
  }
  Status NoUnknownKeys() const {
    for (const auto& [k, v] : t_) {
      if (!seen_.count(std::string(k.str()))) {
        return InvalidArgument(Where(k.str()) + ": unknown key");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::table& t_;
  std::string path_, origin_;
  std::set<std::string> seen_;
};

std::string Indexed(std::string_view key, size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

Status ReadSources(Reader& r, ServeConfig* c) {
  RECOUP_ASSIGN_OR_RETURN(const toml::table* csm, r.Table("csm"));
  if (csm != nullptr) {
    Reader s = r.Sub(*csm, "csm");
    RECOUP_RETURN_IF_ERROR(s.Bool("enabled", &c->csm.enabled));
    RECOUP_RETURN_IF_ERROR(s.Listen("listen", &c->csm.listen));
    RECOUP_RETURN_IF_ERROR(s.Str("account", &c->csm.account));
    RECOUP_RETURN_IF_ERROR(s.StrMap("access_keys", &c->csm.access_key_accounts));
    RECOUP_RETURN_IF_ERROR(s.Int("receive_buffer_bytes", &c->csm.receive_buffer_bytes));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  RECOUP_ASSIGN_OR_RETURN(const toml::table* otlp, r.Table("otlp"));
  if (otlp != nullptr) {
    Reader s = r.Sub(*otlp, "otlp");
    RECOUP_RETURN_IF_ERROR(s.Bool("enabled", &c->otlp.enabled));
    RECOUP_RETURN_IF_ERROR(s.Listen("listen", &c->otlp.listen));
    RECOUP_RETURN_IF_ERROR(s.Str("account", &c->otlp.account));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  RECOUP_ASSIGN_OR_RETURN(auto jsonl, r.Tables("jsonl"));
  for (size_t i = 0; i < jsonl.size(); ++i) {
    Reader s = r.Sub(*jsonl[i], Indexed("jsonl", i));
    JsonlSourceConfig j;
    RECOUP_RETURN_IF_ERROR(s.Str("path", &j.path));
    RECOUP_RETURN_IF_ERROR(s.Str("mapping", &j.mapping));
    RECOUP_RETURN_IF_ERROR(s.Str("account", &j.account));
    RECOUP_RETURN_IF_ERROR(s.Duration("poll", &j.poll_ms));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
    if (j.path.empty()) return InvalidArgument(s.Where("path") + ": required");
    c->jsonl.push_back(std::move(j));
  }
  RECOUP_ASSIGN_OR_RETURN(auto cts, r.Tables("cloudtrail_s3"));
  for (size_t i = 0; i < cts.size(); ++i) {
    Reader s = r.Sub(*cts[i], Indexed("cloudtrail_s3", i));
    CloudTrailS3Config t;
    RECOUP_RETURN_IF_ERROR(s.Str("url", &t.url));
    RECOUP_RETURN_IF_ERROR(s.Duration("every", &t.every_ms));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
    if (t.url.rfind("s3://", 0) != 0) {
      return InvalidArgument(s.Where("url") + ": want s3://bucket/prefix/");
    }
    c->cloudtrail_s3.push_back(std::move(t));
  }
  RECOUP_ASSIGN_OR_RETURN(const toml::table* health, r.Table("health"));
  if (health != nullptr) {
    Reader s = r.Sub(*health, "health");
    RECOUP_RETURN_IF_ERROR(s.Bool("api", &c->health.api));
    RECOUP_RETURN_IF_ERROR(s.Bool("organization", &c->health.organization));
    RECOUP_RETURN_IF_ERROR(s.Str("region", &c->health.region));
    RECOUP_RETURN_IF_ERROR(s.Str("sqs_queue_url", &c->health.sqs_queue_url));
    RECOUP_RETURN_IF_ERROR(s.Duration("every", &c->health.every_ms));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  return r.NoUnknownKeys();
}

Status ReadAlerts(Reader& r, AlertsConfig* a) {
  RECOUP_RETURN_IF_ERROR(r.Int("min_requests", &a->min_requests));
  RECOUP_RETURN_IF_ERROR(r.Duration("silent_after", &a->silent_after_ms));
  RECOUP_RETURN_IF_ERROR(r.Duration("deadline_warning", &a->deadline_warn_ms));
  RECOUP_RETURN_IF_ERROR(r.Bool("on_open_interval", &a->on_open_interval));
  RECOUP_RETURN_IF_ERROR(r.Duration("retry_max_backoff", &a->retry_max_backoff_ms));
  RECOUP_ASSIGN_OR_RETURN(auto windows, r.Tables("burn_windows"));
  for (size_t i = 0; i < windows.size(); ++i) {
    Reader s = r.Sub(*windows[i], Indexed("burn_windows", i));
    BurnWindowConfig w;
    RECOUP_RETURN_IF_ERROR(s.Duration("long", &w.long_ms));
    RECOUP_RETURN_IF_ERROR(s.Duration("short", &w.short_ms));
    RECOUP_RETURN_IF_ERROR(s.Str("budget_pct", &w.budget_pct));
    RECOUP_RETURN_IF_ERROR(s.Str("severity", &w.severity));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
    if (w.long_ms <= 0 || w.short_ms <= 0 || w.short_ms > w.long_ms) {
      return InvalidArgument(s.Where("short") + ": want 0 < short <= long");
    }
    if (w.budget_pct.empty()) return InvalidArgument(s.Where("budget_pct") + ": required");
    if (w.severity.empty()) w.severity = "page";
    a->burn_windows.push_back(std::move(w));
  }
  RECOUP_ASSIGN_OR_RETURN(auto channels, r.Tables("channels"));
  for (size_t i = 0; i < channels.size(); ++i) {
    Reader s = r.Sub(*channels[i], Indexed("channels", i));
    ChannelConfig ch;
    RECOUP_RETURN_IF_ERROR(s.Str("name", &ch.name));
    RECOUP_RETURN_IF_ERROR(s.Str("type", &ch.type));
    RECOUP_RETURN_IF_ERROR(s.Str("url", &ch.url));
    RECOUP_RETURN_IF_ERROR(s.Str("from", &ch.from));
    RECOUP_RETURN_IF_ERROR(s.StrList("to", &ch.to));
    RECOUP_RETURN_IF_ERROR(s.Str("username", &ch.username));
    RECOUP_RETURN_IF_ERROR(s.Str("password_env", &ch.password_env));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
    if (ch.type != "webhook" && ch.type != "slack" && ch.type != "email" && ch.type != "log") {
      return InvalidArgument(s.Where("type") + ": want webhook, slack, email or log");
    }
    if ((ch.type == "webhook" || ch.type == "slack") && ch.url.rfind("http://", 0) != 0 &&
        ch.url.rfind("https://", 0) != 0) {
      return InvalidArgument(s.Where("url") + ": want an http:// or https:// URL");
    }
    if (ch.type == "email") {
      if (ch.url.rfind("smtp://", 0) != 0 && ch.url.rfind("smtps://", 0) != 0) {
        return InvalidArgument(s.Where("url") + ": want smtp://host:port or smtps://host:port");
      }
      if (ch.from.empty()) return InvalidArgument(s.Where("from") + ": required for email");
      if (ch.to.empty()) return InvalidArgument(s.Where("to") + ": required for email");
    }
    if (ch.name.empty()) ch.name = ch.type + "-" + std::to_string(i);
    a->channels.push_back(std::move(ch));
  }
  return r.NoUnknownKeys();
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text, std::string_view where) {
  ListenAddress a;
  std::string_view port = text;
  const size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    std::string host(text.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (!host.empty()) a.host = host;
    port = text.substr(colon + 1);
  }
  int p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) {
    return InvalidArgument(std::string(where) + ": '" + std::string(text) +
                           "' is not host:port (e.g. 127.0.0.1:31000)");
  }
  a.port = p;
  return a;
}

Result<int64_t> ParseDurationMs(std::string_view text, std::string_view where) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
  const std::string_view unit = text.substr(digits);
  int64_t scale = -1;
  if (unit.empty() || unit == "s") scale = 1000;
  if (unit == "ms") scale = 1;
  if (unit == "m") scale = 60 * 1000;
  if (unit == "h") scale = 3600 * 1000;
  if (unit == "d") scale = 86400 * 1000;
  if (digits == 0 || ec != std::errc() || scale < 0 || n > (int64_t{1} << 40)) {
    return InvalidArgument(std::string(where) + ": '" + std::string(text) +
                           "' is not a duration (e.g. 90s, 5m, 2h, 3d)");
  }
  (void)ptr;
  return n * scale;
}

std::vector<BurnWindowConfig> DefaultBurnWindows() {
  return {{3600 * 1000, 5 * 60 * 1000, "2", "page"},
          {6 * 3600 * 1000, 30 * 60 * 1000, "5", "page"},
          {3 * 86400 * 1000LL, 6 * 3600 * 1000, "10", "ticket"}};
}

Result<ServeConfig> ParseServeConfig(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return InvalidArgument(msg.str());
  }
  ServeConfig c;
  c.source_file = origin;
  Reader r(root, "", origin);
  RECOUP_ASSIGN_OR_RETURN(const toml::table* serve, r.Table("serve"));
  if (serve != nullptr) {
    Reader s = r.Sub(*serve, "serve");
    RECOUP_RETURN_IF_ERROR(s.Str("store", &c.store_path));
    RECOUP_RETURN_IF_ERROR(s.Str("catalog", &c.catalog_path));
    RECOUP_RETURN_IF_ERROR(s.Str("account", &c.account));
    RECOUP_RETURN_IF_ERROR(s.Duration("grace", &c.grace_ms));
    RECOUP_RETURN_IF_ERROR(s.Duration("evaluate_every", &c.evaluate_every_ms));
    RECOUP_RETURN_IF_ERROR(s.Duration("commit_every", &c.commit_every_ms));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  RECOUP_ASSIGN_OR_RETURN(const toml::table* aws, r.Table("aws"));
  if (aws != nullptr) {
    Reader s = r.Sub(*aws, "aws");
    RECOUP_RETURN_IF_ERROR(s.Str("profile", &c.aws_profile));
    RECOUP_RETURN_IF_ERROR(s.Str("region", &c.aws_region));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  RECOUP_ASSIGN_OR_RETURN(const toml::table* sources, r.Table("sources"));
  if (sources != nullptr) {
    Reader s = r.Sub(*sources, "sources");
    RECOUP_RETURN_IF_ERROR(ReadSources(s, &c));
  }
  RECOUP_ASSIGN_OR_RETURN(auto probes, r.Tables("probes"));
  for (size_t i = 0; i < probes.size(); ++i) {
    Reader s = r.Sub(*probes[i], Indexed("probes", i));
    ProbeConfig p;
    RECOUP_RETURN_IF_ERROR(s.Str("region", &p.region));
    RECOUP_RETURN_IF_ERROR(s.Str("key_id", &p.key_id));
    RECOUP_RETURN_IF_ERROR(s.Str("account", &p.account));
    RECOUP_RETURN_IF_ERROR(s.Duration("every", &p.every_ms));
    RECOUP_RETURN_IF_ERROR(s.StrList("operations", &p.operations));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
    if (p.region.empty()) return InvalidArgument(s.Where("region") + ": required");
    for (const std::string& op : p.operations) {
      if (op != "GenerateRandom" && op != "Encrypt" && op != "Decrypt") {
        return InvalidArgument(s.Where("operations") + ": '" + op +
                               "' (want GenerateRandom, Encrypt, Decrypt)");
      }
      if (op != "GenerateRandom" && p.key_id.empty()) {
        return InvalidArgument(s.Where("key_id") + ": required for " + op);
      }
    }
    if (p.every_ms < 1000) return InvalidArgument(s.Where("every") + ": at least 1s");
    c.probes.push_back(std::move(p));
  }
  RECOUP_ASSIGN_OR_RETURN(const toml::table* alerts, r.Table("alerts"));
  if (alerts != nullptr) {
    Reader s = r.Sub(*alerts, "alerts");
    RECOUP_RETURN_IF_ERROR(ReadAlerts(s, &c.alerts));
  }
  RECOUP_ASSIGN_OR_RETURN(const toml::table* dash, r.Table("dashboard"));
  if (dash != nullptr) {
    Reader s = r.Sub(*dash, "dashboard");
    RECOUP_RETURN_IF_ERROR(s.Bool("enabled", &c.dashboard_enabled));
    RECOUP_RETURN_IF_ERROR(s.Listen("listen", &c.dashboard));
    RECOUP_RETURN_IF_ERROR(s.Str("token", &c.dashboard_token));
    RECOUP_RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  RECOUP_RETURN_IF_ERROR(r.NoUnknownKeys());
  RECOUP_RETURN_IF_ERROR(ValidateServeConfig(c));
  return c;
}

Result<ServeConfig> LoadServeConfig(const std::string& path) {
  if (path.empty()) {
    ServeConfig c;
    RECOUP_RETURN_IF_ERROR(ValidateServeConfig(c));
    return c;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot read the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseServeConfig(text.str(), path);
}

Status ValidateServeConfig(const ServeConfig& c) {
  const std::string origin = c.source_file.empty() ? "configuration" : c.source_file;
  std::set<std::string> names;
  for (size_t i = 0; i < c.alerts.channels.size(); ++i) {
    if (!names.insert(c.alerts.channels[i].name).second) {
      return InvalidArgument(origin + ": alerts.channels[" + std::to_string(i) + "].name: '" +
                             c.alerts.channels[i].name + "' is used twice");
    }
  }
  if (c.dashboard_enabled && !IsLoopback(c.dashboard.host) && c.dashboard_token.empty()) {
    return InvalidArgument(origin + ": dashboard.token: required when the dashboard listens on " +
                           c.dashboard.host + " (not loopback)");
  }
  if (c.commit_every_ms <= 0 || c.commit_every_ms > 10000) {
    return InvalidArgument(origin + ": serve.commit_every: want between 1ms and 10s");
  }
  if (c.evaluate_every_ms < 100) {
    return InvalidArgument(origin + ": serve.evaluate_every: at least 100ms");
  }
  return Status::Ok();
}

}  // namespace recoup::serve
