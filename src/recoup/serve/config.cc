#include "recoup/serve/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <sstream>
#include <type_traits>
#include <variant>

#include "recoup/core/check.h"
#include "recoup/core/time.h"

namespace recoup::serve {

namespace {

bool IsLoopback(const std::string& host) {
  uint32_t net = 0, mask = 0;
  return host == "localhost" || host == "::1" ||
         (host.find('/') == std::string::npos && ParseIpv4Range(host, &net, &mask) &&
          (net >> 24) == 127);
}

bool StartsWithAny(std::string_view s, std::span<const std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [s](std::string_view p) { return s.starts_with(p); });
}

bool IsOneOf(std::string_view s, std::span<const std::string_view> values) {
  return std::find(values.begin(), values.end(), s) != values.end();
}

std::string Indexed(std::string_view key, size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

// Reads typed values from one TOML table, naming the key path in every error
// and remembering the keys asked for, so that NoUnknownKeys can refuse the
// others (a typo must not silently disable a source).
class Reader {
 public:
  Reader(const toml::table& t, std::string path, std::string origin)
      : t_(t), path_(std::move(path)), origin_(std::move(origin)) {}

  std::string Where(std::string_view key) const {
    return origin_ + ": " + (path_.empty() ? "" : path_ + ".") + std::string(key);
  }

  Status Str(std::string_view key, std::string* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value<std::string>();
    if (!v) return InvalidArgument(Where(key) + ": want a string");
    *out = *v;
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value<bool>();
    if (!v) return InvalidArgument(Where(key) + ": want true or false");
    *out = *v;
    return Status::Ok();
  }
  Status Int(std::string_view key, int64_t* out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return Status::Ok();
    auto v = n->value<int64_t>();
    if (!v || *v < 0) return InvalidArgument(Where(key) + ": want a non-negative integer");
    *out = *v;
    return Status::Ok();
  }
  // A number of seconds, or a string for ParseDurationMs.
  Status Duration(std::string_view key, int64_t* out) {
    const toml::node* n = Find(key);
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
  // An empty string keeps the default address.
  Status Listen(std::string_view key, ListenAddress* out) {
    std::string text;
    RECOUP_RETURN_IF_ERROR(Str(key, &text));
    if (text.empty()) return Status::Ok();
    RECOUP_ASSIGN_OR_RETURN(*out, ParseListenAddress(text, Where(key)));
    return Status::Ok();
  }
  // A string (a list of one) or a list of strings; replaces the default.
  Status StrList(std::string_view key, std::vector<std::string>* out) {
    const toml::node* n = Find(key);
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
      if (!s) return InvalidArgument(Indexed(Where(key), i) + ": want a string");
      out->push_back(*s);
    }
    return Status::Ok();
  }
  // A table of strings, added to `out`.
  Status StrMap(std::string_view key, std::map<std::string, std::string>* out) {
    RECOUP_ASSIGN_OR_RETURN(const toml::table* t, Table(key));
    if (t == nullptr) return Status::Ok();
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string>();
      if (!s) return InvalidArgument(Where(key) + "." + std::string(k.str()) + ": want a string");
      (*out)[std::string(k.str())] = *s;
    }
    return Status::Ok();
  }
  // A sub-table (absent: nullptr).
  Result<const toml::table*> Table(std::string_view key) {
    const toml::node* n = Find(key);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    const toml::table* t = n->as_table();
    if (t == nullptr) return InvalidArgument(Where(key) + ": want a table");
    return t;
  }
  // An array of tables (absent: empty).
  Result<std::vector<const toml::table*>> Tables(std::string_view key) {
    std::vector<const toml::table*> out;
    const toml::node* n = Find(key);
    if (n == nullptr) return out;
    if (const toml::table* t = n->as_table()) {
      out.push_back(t);
      return out;
    }
    const toml::array* a = n->as_array();
    if (a == nullptr) return InvalidArgument(Where(key) + ": want [[" + std::string(key) + "]]");
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* t = (*a)[i].as_table();
      if (t == nullptr) return InvalidArgument(Indexed(Where(key), i) + ": want a table");
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
  // The key's value (absent: nullptr); the key counts as known from now on.
  const toml::node* Find(std::string_view key) {
    seen_.insert(std::string(key));
    return t_.get(key);
  }

  const toml::table& t_;
  std::string path_, origin_;
  std::set<std::string> seen_;
};

// ---------------------------------------------------------------------------
// The configuration as tables: each section lists its keys in reading order,
// each key with its TOML type, the field it fills and a rule its value must
// pass. ReadSection walks a table: it reads every key, refuses unknown ones,
// applies the rules in key order, then the section's check (rules that span
// keys, and defaults that depend on others). docs/SERVE.md documents the keys.

// How a key is read (the Reader method, and so the error for a wrong type).
enum class Type : uint8_t {
  kString,      // Reader::Str
  kBool,        // Reader::Bool
  kCount,       // Reader::Int: a non-negative integer
  kDuration,    // Reader::Duration, in milliseconds
  kListen,      // Reader::Listen
  kStringList,  // Reader::StrList
  kStringMap,   // Reader::StrMap
  kSection,     // a sub-table or array of tables, read by Key::read_section
};

// A condition on a string key's value, checked once its section is read;
// failing it is "<file>: <key path>: <error>".
struct Rule {
  enum Kind : uint8_t { kNone, kRequired, kPrefix, kOneOf };
  Kind kind = kNone;
  std::span<const std::string_view> values = {};  // kPrefix: the prefixes; kOneOf: the values
  std::string_view error = {};
};

constexpr Rule Required() { return {Rule::kRequired, {}, "required"}; }
constexpr Rule StartsWith(std::span<const std::string_view> prefixes, std::string_view error) {
  return {Rule::kPrefix, prefixes, error};
}
constexpr Rule OneOf(std::span<const std::string_view> values, std::string_view error) {
  return {Rule::kOneOf, values, error};
}

bool Passes(const Rule& rule, std::string_view value) {
  switch (rule.kind) {
    case Rule::kNone:
      return true;
    case Rule::kRequired:
      return !value.empty();
    case Rule::kPrefix:
      return StartsWithAny(value, rule.values);
    case Rule::kOneOf:
      return IsOneOf(value, rule.values);
  }
  return true;
}

template <typename T>
struct Key {
  // The field the key fills; the alternative matches `type` (WellFormed).
  using Member =
      std::variant<std::string T::*, bool T::*, int64_t T::*, ListenAddress T::*,
                   std::vector<std::string> T::*, std::map<std::string, std::string> T::*>;
  std::string_view name;
  Type type = Type::kString;
  Member member = {};
  Rule rule = {};  // kString only
  // kSection: reads [name] or [[name]] of the reader's table into *out.
  Status (*read_section)(Reader& r, std::string_view name, T* out) = nullptr;
};

// The variant alternative each Type fills (kSection fills none).
constexpr size_t kMemberIndex[] = {0, 1, 2, 2, 3, 4, 5};

// True when the key's field and rule fit its type.
template <typename T>
constexpr bool Fits(const Key<T>& k) {
  if (k.rule.kind != Rule::kNone && k.type != Type::kString) return false;
  // A section's reader is checked where it is called: comparing a function's
  // address with null is not a constant expression under the sanitizers.
  if (k.type == Type::kSection) return true;
  return k.member.index() == kMemberIndex[static_cast<size_t>(k.type)];
}

template <typename T>
struct Section {
  using Struct = T;
  // Rules across keys and defaults, after the keys' own rules; `index` is the
  // element's place in an array of tables (0 for a table).
  using Check = Status (*)(const Reader& r, size_t index, T* out);

  // A key that does not fit its type fails the build.
  consteval explicit Section(std::span<const Key<T>> k, Check c = nullptr) : keys(k), check(c) {
    for (const Key<T>& key : keys) {
      if (!Fits(key)) throw "serve config: a key's field or rule does not fit its type";
    }
  }

  std::span<const Key<T>> keys;
  Check check;
};

template <typename T>
Status ReadKey(Reader& r, const Key<T>& key, T* out) {
  switch (key.type) {
    case Type::kString:
      return r.Str(key.name, &(out->*std::get<std::string T::*>(key.member)));
    case Type::kBool:
      return r.Bool(key.name, &(out->*std::get<bool T::*>(key.member)));
    case Type::kCount:
      return r.Int(key.name, &(out->*std::get<int64_t T::*>(key.member)));
    case Type::kDuration:
      return r.Duration(key.name, &(out->*std::get<int64_t T::*>(key.member)));
    case Type::kListen:
      return r.Listen(key.name, &(out->*std::get<ListenAddress T::*>(key.member)));
    case Type::kStringList:
      return r.StrList(key.name, &(out->*std::get<std::vector<std::string> T::*>(key.member)));
    case Type::kStringMap:
      return r.StrMap(key.name,
                      &(out->*std::get<std::map<std::string, std::string> T::*>(key.member)));
    case Type::kSection:
      RECOUP_CHECK(key.read_section != nullptr);
      return key.read_section(r, key.name, out);
  }
  return Status::Ok();
}

// Reads the reader's table into *out as `section` says.
template <typename T>
Status ReadSection(Reader& r, const Section<T>& section, size_t index, T* out) {
  for (const Key<T>& key : section.keys) RECOUP_RETURN_IF_ERROR(ReadKey(r, key, out));
  RECOUP_RETURN_IF_ERROR(r.NoUnknownKeys());
  for (const Key<T>& key : section.keys) {
    if (key.rule.kind == Rule::kNone) continue;
    if (!Passes(key.rule, out->*std::get<std::string T::*>(key.member))) {
      return InvalidArgument(r.Where(key.name) + ": " + std::string(key.rule.error));
    }
  }
  return section.check == nullptr ? Status::Ok() : section.check(r, index, out);
}

template <typename M>
struct MemberPointer;
template <typename T, typename U>
struct MemberPointer<U T::*> {
  using Owner = T;
};

// [name] read by kSection into the field kMember of T, or into T itself when
// kMember is nullptr ([serve] fills ServeConfig's own fields).
template <const auto& kSection, auto kMember, typename T>
Status ReadTable(Reader& r, std::string_view name, T* out) {
  RECOUP_ASSIGN_OR_RETURN(const toml::table* t, r.Table(name));
  if (t == nullptr) return Status::Ok();
  Reader sub = r.Sub(*t, name);
  if constexpr (std::is_null_pointer_v<decltype(kMember)>) {
    return ReadSection(sub, kSection, 0, out);
  } else {
    return ReadSection(sub, kSection, 0, &(out->*kMember));
  }
}

// [[name]]: each table read by kSection and appended to the vector kMember.
template <const auto& kSection, auto kMember, typename T>
Status ReadTables(Reader& r, std::string_view name, T* out) {
  RECOUP_ASSIGN_OR_RETURN(auto tables, r.Tables(name));
  for (size_t i = 0; i < tables.size(); ++i) {
    Reader sub = r.Sub(*tables[i], Indexed(name, i));
    typename std::remove_cvref_t<decltype(kSection)>::Struct item;
    RECOUP_RETURN_IF_ERROR(ReadSection(sub, kSection, i, &item));
    (out->*kMember).push_back(std::move(item));
  }
  return Status::Ok();
}

// Keys that are sections: [name] into a field, [name] into the same struct,
// and [[name]] into a vector field.
template <auto kMember, const auto& kSection>
constexpr auto Table(std::string_view name) {
  using T = typename MemberPointer<decltype(kMember)>::Owner;
  return Key<T>{name, Type::kSection, {}, {}, &ReadTable<kSection, kMember, T>};
}
template <const auto& kSection>
constexpr auto SameStruct(std::string_view name) {
  using T = typename std::remove_cvref_t<decltype(kSection)>::Struct;
  return Key<T>{name, Type::kSection, {}, {}, &ReadTable<kSection, nullptr, T>};
}
template <auto kMember, const auto& kSection>
constexpr auto Tables(std::string_view name) {
  using T = typename MemberPointer<decltype(kMember)>::Owner;
  return Key<T>{name, Type::kSection, {}, {}, &ReadTables<kSection, kMember, T>};
}

// [sources.*]

Status CheckCsm(const Reader& r, size_t /*index*/, CsmSourceConfig* c) {
  for (const std::string& a : c->allow_from) {
    uint32_t net = 0, mask = 0;
    if (!ParseIpv4Range(a, &net, &mask)) {
      return InvalidArgument(r.Where("allow_from") + ": '" + a +
                             "' is not an IPv4 address or range (e.g. 127.0.0.1, 10.1.2.0/24)");
    }
  }
  return Status::Ok();
}

constexpr Key<CsmSourceConfig> kCsmKeys[] = {
    {"enabled", Type::kBool, &CsmSourceConfig::enabled},
    {"listen", Type::kListen, &CsmSourceConfig::listen},
    {"account", Type::kString, &CsmSourceConfig::account},
    {"access_keys", Type::kStringMap, &CsmSourceConfig::access_key_accounts},
    {"receive_buffer_bytes", Type::kCount, &CsmSourceConfig::receive_buffer_bytes},
    {"allow_from", Type::kStringList, &CsmSourceConfig::allow_from},
};
constexpr Section<CsmSourceConfig> kCsm{kCsmKeys, &CheckCsm};

constexpr Key<OtlpSourceConfig> kOtlpKeys[] = {
    {"enabled", Type::kBool, &OtlpSourceConfig::enabled},
    {"listen", Type::kListen, &OtlpSourceConfig::listen},
    {"account", Type::kString, &OtlpSourceConfig::account},
};
constexpr Section<OtlpSourceConfig> kOtlp{kOtlpKeys};

constexpr Key<JsonlSourceConfig> kJsonlKeys[] = {
    {"path", Type::kString, &JsonlSourceConfig::path, Required()},
    {"mapping", Type::kString, &JsonlSourceConfig::mapping},
    {"account", Type::kString, &JsonlSourceConfig::account},
    {"poll", Type::kDuration, &JsonlSourceConfig::poll_ms},
};
constexpr Section<JsonlSourceConfig> kJsonl{kJsonlKeys};

constexpr std::string_view kS3[] = {"s3://"};
constexpr Key<CloudTrailS3Config> kCloudTrailS3Keys[] = {
    {"url", Type::kString, &CloudTrailS3Config::url, StartsWith(kS3, "want s3://bucket/prefix/")},
    {"every", Type::kDuration, &CloudTrailS3Config::every_ms},
};
constexpr Section<CloudTrailS3Config> kCloudTrailS3{kCloudTrailS3Keys};

constexpr Key<HealthConfig> kHealthKeys[] = {
    {"api", Type::kBool, &HealthConfig::api},
    {"organization", Type::kBool, &HealthConfig::organization},
    {"region", Type::kString, &HealthConfig::region},
    {"sqs_queue_url", Type::kString, &HealthConfig::sqs_queue_url},
    {"every", Type::kDuration, &HealthConfig::every_ms},
};
constexpr Section<HealthConfig> kHealth{kHealthKeys};

constexpr Key<ServeConfig> kSourcesKeys[] = {
    Table<&ServeConfig::csm, kCsm>("csm"),
    Table<&ServeConfig::otlp, kOtlp>("otlp"),
    Tables<&ServeConfig::jsonl, kJsonl>("jsonl"),
    Tables<&ServeConfig::cloudtrail_s3, kCloudTrailS3>("cloudtrail_s3"),
    Table<&ServeConfig::health, kHealth>("health"),
};
constexpr Section<ServeConfig> kSources{kSourcesKeys};

// [[probes]]

Status CheckProbe(const Reader& r, size_t /*index*/, ProbeConfig* p) {
  const std::vector<std::string> known = ProbeOperations(p->service);
  if (known.empty()) {
    return InvalidArgument(r.Where("service") + ": '" + p->service +
                           "' (want kms, dynamodb, sqs, secretsmanager or s3)");
  }
  if (p->operations.empty()) {
    p->operations = p->service == "kms" ? known : std::vector<std::string>{known.front()};
  }
  std::string want;
  for (const std::string& k : known) want += (want.empty() ? "" : ", ") + k;
  for (const std::string& op : p->operations) {
    if (std::find(known.begin(), known.end(), op) == known.end()) {
      return InvalidArgument(r.Where("operations") + ": '" + op + "' (want " + want + ")");
    }
    if (p->service == "kms" && op != "GenerateRandom" && p->key_id.empty()) {
      return InvalidArgument(r.Where("key_id") + ": required for " + op);
    }
  }
  if (p->service != "kms") {
    if (p->resource.empty() || p->resource.size() > 2048) {
      return InvalidArgument(r.Where("resource") + ": required for a " + p->service + " probe (" +
                             (p->service == "dynamodb" ? "a table name or ARN"
                              : p->service == "sqs"    ? "a queue URL"
                              : p->service == "s3"     ? "a bucket name"
                                                       : "a secret name or ARN") +
                             ")");
    }
    for (char c : p->resource) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return InvalidArgument(r.Where("resource") + ": holds a control character");
      }
    }
    if (p->service == "sqs" && p->resource.rfind("https://", 0) != 0 &&
        p->resource.rfind("http://", 0) != 0) {
      return InvalidArgument(r.Where("resource") + ": want the queue URL (https://...)");
    }
  }
  if (p->every_ms < 1000) return InvalidArgument(r.Where("every") + ": at least 1s");
  return Status::Ok();
}

constexpr Key<ProbeConfig> kProbeKeys[] = {
    {"service", Type::kString, &ProbeConfig::service},
    {"resource", Type::kString, &ProbeConfig::resource},
    {"region", Type::kString, &ProbeConfig::region, Required()},
    {"key_id", Type::kString, &ProbeConfig::key_id},
    {"account", Type::kString, &ProbeConfig::account},
    {"every", Type::kDuration, &ProbeConfig::every_ms},
    {"operations", Type::kStringList, &ProbeConfig::operations},
};
constexpr Section<ProbeConfig> kProbe{kProbeKeys, &CheckProbe};

// [alerts]

Status CheckBurnWindow(const Reader& r, size_t /*index*/, BurnWindowConfig* w) {
  if (w->long_ms <= 0 || w->short_ms <= 0 || w->short_ms > w->long_ms) {
    return InvalidArgument(r.Where("short") + ": want 0 < short <= long");
  }
  if (w->budget_pct.empty()) return InvalidArgument(r.Where("budget_pct") + ": required");
  if (w->severity.empty()) w->severity = "page";
  return Status::Ok();
}

constexpr Key<BurnWindowConfig> kBurnWindowKeys[] = {
    {"long", Type::kDuration, &BurnWindowConfig::long_ms},
    {"short", Type::kDuration, &BurnWindowConfig::short_ms},
    {"budget_pct", Type::kString, &BurnWindowConfig::budget_pct},
    {"severity", Type::kString, &BurnWindowConfig::severity},
};
constexpr Section<BurnWindowConfig> kBurnWindow{kBurnWindowKeys, &CheckBurnWindow};

constexpr std::string_view kChannelTypes[] = {"webhook", "slack", "email", "log"};
constexpr std::string_view kHttp[] = {"http://", "https://"};
constexpr std::string_view kSmtp[] = {"smtp://", "smtps://"};

Status CheckChannel(const Reader& r, size_t index, ChannelConfig* ch) {
  if ((ch->type == "webhook" || ch->type == "slack") && !StartsWithAny(ch->url, kHttp)) {
    return InvalidArgument(r.Where("url") + ": want an http:// or https:// URL");
  }
  if (ch->type == "email") {
    if (!StartsWithAny(ch->url, kSmtp)) {
      return InvalidArgument(r.Where("url") + ": want smtp://host:port or smtps://host:port");
    }
    if (ch->from.empty()) return InvalidArgument(r.Where("from") + ": required for email");
    if (ch->to.empty()) return InvalidArgument(r.Where("to") + ": required for email");
  }
  if (ch->name.empty()) ch->name = ch->type + "-" + std::to_string(index);
  return Status::Ok();
}

constexpr Key<ChannelConfig> kChannelKeys[] = {
    {"name", Type::kString, &ChannelConfig::name},
    {"type", Type::kString, &ChannelConfig::type,
     OneOf(kChannelTypes, "want webhook, slack, email or log")},
    {"url", Type::kString, &ChannelConfig::url},
    {"from", Type::kString, &ChannelConfig::from},
    {"to", Type::kStringList, &ChannelConfig::to},
    {"username", Type::kString, &ChannelConfig::username},
    {"password_env", Type::kString, &ChannelConfig::password_env},
};
constexpr Section<ChannelConfig> kChannel{kChannelKeys, &CheckChannel};

constexpr Key<AlertsConfig> kAlertsKeys[] = {
    {"min_requests", Type::kCount, &AlertsConfig::min_requests},
    {"silent_after", Type::kDuration, &AlertsConfig::silent_after_ms},
    {"deadline_warning", Type::kDuration, &AlertsConfig::deadline_warn_ms},
    {"on_open_interval", Type::kBool, &AlertsConfig::on_open_interval},
    {"retry_max_backoff", Type::kDuration, &AlertsConfig::retry_max_backoff_ms},
    Tables<&AlertsConfig::burn_windows, kBurnWindow>("burn_windows"),
    Tables<&AlertsConfig::channels, kChannel>("channels"),
};
constexpr Section<AlertsConfig> kAlerts{kAlertsKeys};

// The file: [serve], [aws], [sources.*], [[probes]], [alerts], [dashboard].

constexpr Key<ServeConfig> kServeKeys[] = {
    {"store", Type::kString, &ServeConfig::store_path},
    {"catalog", Type::kString, &ServeConfig::catalog_path},
    {"account", Type::kString, &ServeConfig::account},
    {"grace", Type::kDuration, &ServeConfig::grace_ms},
    {"evaluate_every", Type::kDuration, &ServeConfig::evaluate_every_ms},
    {"commit_every", Type::kDuration, &ServeConfig::commit_every_ms},
    {"max_series_per_source_month", Type::kCount, &ServeConfig::max_series_per_source_month},
    {"scopes", Type::kStringList, &ServeConfig::scopes},
};
constexpr Section<ServeConfig> kServe{kServeKeys};

constexpr Key<ServeConfig> kAwsKeys[] = {
    {"profile", Type::kString, &ServeConfig::aws_profile},
    {"region", Type::kString, &ServeConfig::aws_region},
};
constexpr Section<ServeConfig> kAws{kAwsKeys};

constexpr Key<ServeConfig> kDashboardKeys[] = {
    {"enabled", Type::kBool, &ServeConfig::dashboard_enabled},
    {"listen", Type::kListen, &ServeConfig::dashboard},
    {"token", Type::kString, &ServeConfig::dashboard_token},
};
constexpr Section<ServeConfig> kDashboard{kDashboardKeys};

// [http]

constexpr Key<HttpConfig> kHttpKeys[] = {
    {"max_connections", Type::kCount, &HttpConfig::max_connections},
    {"max_connections_per_ip", Type::kCount, &HttpConfig::max_connections_per_ip},
    {"max_header_bytes", Type::kCount, &HttpConfig::max_header_bytes},
    {"max_headers", Type::kCount, &HttpConfig::max_headers},
    {"header_timeout", Type::kDuration, &HttpConfig::header_timeout_ms},
    {"read_timeout", Type::kDuration, &HttpConfig::read_timeout_ms},
    {"idle_timeout", Type::kDuration, &HttpConfig::idle_timeout_ms},
    {"otlp_max_body_bytes", Type::kCount, &HttpConfig::otlp_max_body_bytes},
    {"allowed_hosts", Type::kStringList, &HttpConfig::allowed_hosts},
};
constexpr Section<HttpConfig> kHttpSection{kHttpKeys};

constexpr Key<ServeConfig> kFileKeys[] = {
    SameStruct<kServe>("serve"),
    SameStruct<kAws>("aws"),
    SameStruct<kSources>("sources"),
    Tables<&ServeConfig::probes, kProbe>("probes"),
    Table<&ServeConfig::alerts, kAlerts>("alerts"),
    SameStruct<kDashboard>("dashboard"),
    Table<&ServeConfig::http, kHttpSection>("http"),
};
constexpr Section<ServeConfig> kFile{kFileKeys};

}  // namespace

bool ParseIpv4Range(std::string_view text, uint32_t* net, uint32_t* mask) {
  std::string_view addr = text;
  int bits = 32;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    const std::string_view b = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (b.empty() || ec != std::errc() || ptr != b.data() + b.size() || bits < 0 || bits > 32) {
      return false;
    }
  }
  uint32_t v = 0;
  int parts = 0;
  size_t i = 0;
  bool ended = false;
  while (parts < 4 && !ended) {
    const size_t dot = addr.find('.', i);
    const std::string_view part =
        addr.substr(i, dot == std::string_view::npos ? addr.size() - i : dot - i);
    int octet = -1;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), octet);
    if (part.empty() || part.size() > 3 || ec != std::errc() || ptr != part.data() + part.size() ||
        octet < 0 || octet > 255) {
      return false;
    }
    v = (v << 8) | static_cast<uint32_t>(octet);
    ++parts;
    ended = dot == std::string_view::npos;
    i = dot + 1;
  }
  if (parts != 4 || !ended) return false;
  *mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  *net = v & *mask;
  return true;
}

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
  if (unit == "m") scale = kMsPerMinute;
  if (unit == "h") scale = 60 * kMsPerMinute;
  if (unit == "d") scale = kMsPerDay;
  if (digits == 0 || ec != std::errc() || scale < 0 || n > (int64_t{1} << 40)) {
    return InvalidArgument(std::string(where) + ": '" + std::string(text) +
                           "' is not a duration (e.g. 90s, 5m, 2h, 3d)");
  }
  (void)ptr;
  return n * scale;
}

std::vector<BurnWindowConfig> DefaultBurnWindows() {
  constexpr int64_t kHour = 60 * kMsPerMinute;
  return {{kHour, 5 * kMsPerMinute, "2", "page"},
          {6 * kHour, 30 * kMsPerMinute, "5", "page"},
          {3 * kMsPerDay, 6 * kHour, "10", "ticket"}};
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
  RECOUP_RETURN_IF_ERROR(ReadSection(r, kFile, 0, &c));
  RECOUP_RETURN_IF_ERROR(ValidateServeConfig(c));
  return c;
}

std::vector<std::string> ProbeOperations(std::string_view service) {
  if (service == "kms") return {"GenerateRandom", "Encrypt", "Decrypt"};
  if (service == "dynamodb") return {"DescribeTable"};
  if (service == "sqs") return {"GetQueueAttributes"};
  if (service == "secretsmanager") return {"DescribeSecret"};
  if (service == "s3") return {"GetBucketLocation"};
  return {};
}

std::string ProbeSourceName(const ProbeConfig& p) {
  return p.service == "kms" ? "probe:" + p.region : "probe:" + p.service + ":" + p.region;
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

Result<std::string> FindServeConfig(const EnvLookup& env, const std::string& system_path) {
  auto var = [&](const char* name) -> std::string {
    const char* v = env ? env(name) : nullptr;
    return v != nullptr ? std::string(v) : std::string();
  };
  auto exists = [](const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
  };
  if (const std::string named = var("RECOUP_CONFIG"); !named.empty()) {
    if (!exists(named)) {
      return InvalidArgument("RECOUP_CONFIG=" + named + ": no such configuration file");
    }
    return named;
  }
  std::string xdg = var("XDG_CONFIG_HOME");
  if (xdg.empty() && !var("HOME").empty()) xdg = var("HOME") + "/.config";
  if (!xdg.empty()) {
    const std::string user = xdg + "/recoup/recoup.toml";
    if (exists(user)) return user;
  }
  if (!system_path.empty() && exists(system_path)) return system_path;
  return std::string();
}

Status ValidateServeConfig(const ServeConfig& c) {
  const std::string origin = c.source_file.empty() ? "configuration" : c.source_file;
  if (c.max_series_per_source_month < 1) {
    return InvalidArgument(origin + ": serve.max_series_per_source_month: must be at least 1");
  }
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
