#include "recoup/claims/package.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "recoup/core/safe_text.h"
#include "recoup/core/sha256.h"

namespace recoup::claims {

namespace {

constexpr const char* kMask = "****";
const char* const kMonthNames[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

std::string MonthName(YearMonth m) {
  return std::string(kMonthNames[m.month - 1]) + " " + std::to_string(m.year);
}

std::string WithCommas(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return v < 0 ? "-" + s : s;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A CSV cell for a value from the evidence: never a formula, no control
// character (docs/SECURITY.md, "Safe outputs").
std::string CsvField(std::string_view v) { return CsvText(v); }

// Money for people: "$12.35", and the exact value beside it when the cents
// are a rounding ("$12.35 (exactly $12.345)").
std::string UsdText(const Rational& usd) {
  const std::string cents = FormatCents(usd);
  const std::string exact = FormatUsd(usd);
  return "$" + cents + (exact == cents ? std::string() : " (exactly $" + exact + ")");
}

std::string Html(std::string_view text) {
  const std::string v = EscapeControls(text, true);
  std::string out;
  for (char c : v) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool LooksLikeIpv4(std::string_view t) {
  int groups = 0;
  size_t i = 0;
  while (i <= t.size()) {
    size_t j = i;
    while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j])) != 0) ++j;
    if (j == i || j - i > 3) return false;
    ++groups;
    if (j == t.size()) break;
    if (t[j] != '.') return false;
    i = j + 1;
  }
  return groups == 4;
}

bool LooksLikeIpv6(std::string_view t) {
  int colons = 0, groups = 0;
  size_t run = 0;
  for (char c : t) {
    if (c == ':') {
      ++colons;
      if (run > 0) ++groups;
      run = 0;
    } else if (IsHex(c)) {
      if (++run > 4) return false;
    } else if (c == '.') {
      return false;  // IPv4-mapped forms are rare in AWS logs; keep it simple
    }
  }
  if (run > 0) ++groups;
  const bool compressed = t.find("::") != std::string_view::npos;
  return colons >= 2 && groups >= 2 && (groups >= 8 || compressed);
}

std::string MaskIps(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsHex(c) || c == ':' || c == '.') {
      size_t j = i;
      while (j < text.size() && (IsHex(text[j]) || text[j] == ':' || text[j] == '.')) ++j;
      std::string_view tok = text.substr(i, j - i);
      // Trim punctuation at the ends (sentence dots, "ip: 1.2.3.4").
      size_t a = 0, b = tok.size();
      while (a < b && (tok[a] == '.' || (tok[a] == ':' && (a + 1 >= b || tok[a + 1] != ':')))) ++a;
      while (b > a && tok[b - 1] == '.') --b;
      std::string_view core = tok.substr(a, b - a);
      // A token glued to letters (e.g. "abc1.2.3.4x") is not an address.
      const bool glued_before = i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1]));
      const bool glued_after = j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]));
      if (!glued_before && !glued_after && !core.empty() &&
          (LooksLikeIpv4(core) || LooksLikeIpv6(core))) {
        out.append(tok.substr(0, a));
        out += kMask;
        out.append(tok.substr(b));
      } else {
        out.append(tok);
      }
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

bool IsNameEnd(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '"' || c == '\'' || c == ',' ||
         c == ';' || c == ')' || c == ']' || c == '}' || c == '>';
}

constexpr size_t kNoMatch = std::string_view::npos;

// Copies `text` with its matches rewritten. `step(text, i, &out)` looks for
// the next match at or after `i`: when there is one it appends text[i, match)
// and the match's replacement to `out` and returns where copying resumes;
// when there is none it appends nothing and returns kNoMatch. What is left is
// copied unchanged.
template <typename Step>
std::string RewriteMatches(std::string_view text, Step step) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t next = step(text, i, &out);
    if (next == kNoMatch) break;
    i = next;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

// RewriteMatches step: the next ARN; an IAM/STS principal's name masked.
size_t MaskNextPrincipal(std::string_view text, size_t i, std::string* out) {
  static const char* const kTypes[] = {"assumed-role/", "federated-user/", "user/", "role/",
                                       "group/"};
  const size_t arn = text.find("arn:", i);
  if (arn == kNoMatch) return kNoMatch;
  // arn:PARTITION:SERVICE:...
  const size_t p1 = text.find(':', arn + 4);
  const size_t p2 = p1 == kNoMatch ? p1 : text.find(':', p1 + 1);
  if (p2 == kNoMatch) return kNoMatch;
  const std::string_view service = text.substr(p1 + 1, p2 - p1 - 1);
  size_t end = p2;
  while (end < text.size() && !IsNameEnd(text[end])) ++end;
  out->append(text.substr(i, arn - i));
  std::string_view whole = text.substr(arn, end - arn);
  size_t cut = kNoMatch;
  if (service == "iam" || service == "sts") {
    for (const char* t : kTypes) {
      const size_t k = whole.find(t);
      if (k != kNoMatch && (cut == kNoMatch || k < cut))
        cut = k + std::char_traits<char>::length(t);
    }
  }
  if (cut != kNoMatch && cut < whole.size()) {
    out->append(whole.substr(0, cut));
    *out += kMask;
  } else {
    out->append(whole);
  }
  return end;
}

// RewriteMatches step: the next encryption context's value masked (an object
// becomes "{****}", a key=value list up to ';' or a newline "****").
size_t MaskNextEncryptionContext(std::string_view text, size_t i, std::string* out) {
  size_t best = kNoMatch, len = 0;
  for (const char* k : {"ncryptionContext", "ncryption_context", "ncryption context"}) {
    const size_t f = text.find(k, i);
    if (f != kNoMatch && f < best) {
      best = f;
      len = std::char_traits<char>::length(k);
    }
  }
  if (best == kNoMatch) return kNoMatch;
  size_t j = best + len;
  // Skip a closing quote, spaces and a ':' or '='.
  while (j < text.size() && (text[j] == '"' || text[j] == '\'' || text[j] == ' ')) ++j;
  if (j >= text.size() || (text[j] != ':' && text[j] != '=')) {
    out->append(text.substr(i, j - i));
    return j;
  }
  ++j;
  while (j < text.size() && text[j] == ' ') ++j;
  out->append(text.substr(i, j - i));
  if (j < text.size() && text[j] == '{') {
    int depth = 0;
    size_t k = j;
    for (; k < text.size(); ++k) {
      if (text[k] == '{') ++depth;
      if (text[k] == '}' && --depth == 0) break;
    }
    *out += "{";
    *out += kMask;
    *out += "}";
    return k < text.size() ? k + 1 : text.size();
  }
  size_t k = j;
  while (k < text.size() && text[k] != ';' && text[k] != '\n') ++k;
  *out += kMask;
  return k;
}

// RewriteMatches step: the next KMS key ARN's key ID masked.
size_t MaskNextKeyId(std::string_view text, size_t i, std::string* out) {
  const size_t f = text.find(":key/", i);
  if (f == kNoMatch) return kNoMatch;
  size_t end = f + 5;
  while (end < text.size() && !IsNameEnd(text[end])) ++end;
  out->append(text.substr(i, f + 5 - i));
  if (end > f + 5) *out += kMask;
  return end;
}

std::string MaskPrincipals(std::string_view text) {
  return RewriteMatches(text, MaskNextPrincipal);
}

std::string MaskEncryptionContext(std::string_view text) {
  return RewriteMatches(text, MaskNextEncryptionContext);
}

std::string MaskKeyIds(std::string_view text) { return RewriteMatches(text, MaskNextKeyId); }

std::string Sha(std::string_view s) { return Sha256::Hex(s); }

std::string TimeOrOpen(int64_t ms) { return ms == 0 ? std::string() : FormatTimestamp(ms); }

std::string CountsLine(const IncidentWindow& w) {
  std::string codes;
  for (const std::string& c : w.error_codes) codes += (codes.empty() ? "" : ", ") + c;
  return FormatTimestamp(w.start_ms) + " to " + FormatTimestamp(w.end_ms) + ": " +
         WithCommas(w.failed) + " server errors in " + WithCommas(w.requests) + " requests" +
         (codes.empty() ? std::string() : " (" + codes + ")");
}

// The MUP derivation in words (shared by the body, the text file and HTML).
std::vector<std::string> MupSteps(const PackageInput& in, int64_t failing_intervals) {
  const sla::Verdict& v = in.verdict;
  const sla::SlaVersion& ver = *in.version;
  std::vector<std::string> s;
  s.push_back("1. The billing month " + in.claim.month.ToString() + " (UTC) has " +
              WithCommas(v.intervals) + " intervals of " +
              std::to_string(ver.interval_seconds / 60) + " minutes (" +
              std::to_string(in.claim.month.Days()) + " days).");
  s.push_back(
      "2. Each interval's Error Rate = server errors / requests; an interval without "
      "requests counts as " +
      FormatDecimal(ver.empty_interval_error_rate * 100, 0, 12) + "%.");
  s.push_back("3. " + WithCommas(failing_intervals) +
              " intervals had server errors (attachment 1 lists each with its exact rate); "
              "every other interval has an Error Rate of 0.");
  s.push_back("4. Sum of Error Rates = " + v.sum_error_rates.get_str() + " = " +
              FormatFixed(v.sum_error_rates, 12) + ".");
  s.push_back("5. MUP = 100% - 100% x " + FormatFixed(v.sum_error_rates, 12) + " / " +
              WithCommas(v.intervals) + " = " + FormatPct(v.mup_pct) + "%.");
  std::string tier = "6. The commitment is " + FormatDecimal(v.commitment_pct, 0, 6) + "%; ";
  if (v.breached) {
    tier += "the MUP is below it, which gives a " + FormatDecimal(v.credit_pct, 0, 4) +
            "% service credit.";
  } else {
    tier += "the MUP is not below it: no credit.";
  }
  s.push_back(tier);
  return s;
}

}  // namespace

Result<MaskPolicy> MaskPolicy::Parse(std::string_view list) {
  MaskPolicy p;
  p.fields.clear();
  if (list == "none" || list.empty()) return p;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string f(list.substr(i, j - i));
    if (f != "encryption_context" && f != "source_ip" && f != "principal" && f != "key_id") {
      return InvalidArgument("--mask: unknown field '" + f +
                             "' (known: encryption_context, source_ip, principal, key_id, none)");
    }
    p.fields.insert(f);
    i = j + 1;
  }
  return p;
}

std::string MaskPolicy::ToString() const {
  if (fields.empty()) return "none";
  std::string out;
  for (const std::string& f : fields) out += (out.empty() ? "" : ",") + f;
  return out;
}

std::string MaskText(std::string_view text, const MaskPolicy& p) {
  std::string s(text);
  if (p.fields.count("encryption_context")) s = MaskEncryptionContext(s);
  if (p.fields.count("principal")) s = MaskPrincipals(s);
  if (p.fields.count("key_id")) s = MaskKeyIds(s);
  if (p.fields.count("source_ip")) s = MaskIps(s);
  return s;
}

std::string ClaimMarker(const std::string& claim_id) { return "[recoup claim " + claim_id + "]"; }

std::string RecordCaseCommand(const std::string& claim_id) {
  return "recoup claims note " + claim_id + " \"filed in the AWS Support Center console\" " +
         "--case-id CASE_ID";
}

Result<std::string> GzipDeterministic(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("gzip: deflateInit2 failed");
  }
  gz_header h{};
  h.time = 0;
  h.os = 255;
  deflateSetHeader(&z, &h);
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 64);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t n = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Internal("gzip: deflate did not finish");
  out.resize(n);
  return out;
}

std::vector<IncidentWindow> IncidentWindows(const std::vector<sla::IntervalCounts>& intervals,
                                            const std::vector<events::Event>& failures,
                                            int interval_seconds) {
  std::vector<sla::IntervalCounts> sorted = intervals;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
  const int64_t len = int64_t{interval_seconds} * 1000;
  std::vector<IncidentWindow> out;
  for (const sla::IntervalCounts& c : sorted) {
    if (c.failed == 0) continue;
    if (out.empty() || out.back().end_ms != c.start_ms) {
      out.push_back(IncidentWindow{c.start_ms, c.start_ms, 0, 0, {}});
    }
    IncidentWindow& w = out.back();
    w.end_ms = c.start_ms + len;
    w.requests += c.requests;
    w.failed += c.failed;
  }
  for (const events::Event& f : failures) {
    for (IncidentWindow& w : out) {
      if (f.time_ms >= w.start_ms && f.time_ms < w.end_ms && !f.error_code.empty()) {
        w.error_codes.insert(f.error_code);
      }
    }
  }
  return out;
}

namespace {

// An ARN's parts: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
struct ArnParts {
  std::string_view service, region, account, resource;
};

std::optional<ArnParts> SplitArn(std::string_view arn) {
  if (arn.substr(0, 4) != "arn:") return std::nullopt;
  std::string_view rest = arn.substr(4);
  std::string_view parts[4];
  for (std::string_view& part : parts) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    part = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  }
  return ArnParts{parts[1], parts[2], parts[3], rest};
}

// The part of `text` before the first of `stops` (all of it without one).
std::string_view UpTo(std::string_view text, std::string_view stops) {
  return text.substr(0, std::min(text.find_first_of(stops), text.size()));
}

// What one failing request names for a claim field; empty when nothing.
std::string FieldValue(std::string_view field, const events::Event& f) {
  if (field == "request_types") return f.operation;
  const std::string_view r = f.resource;
  const std::optional<ArnParts> arn = SplitArn(r);
  auto after = [&](std::string_view service, std::string_view prefix) -> std::string_view {
    if (!arn || arn->service != service) return {};
    if (arn->resource.substr(0, prefix.size()) != prefix) return {};
    return arn->resource.substr(prefix.size());
  };
  if (field == "bucket_names") return std::string(UpTo(after("s3", ""), "/"));
  if (field == "table_names") return std::string(UpTo(after("dynamodb", "table/"), "/"));
  if (field == "function_arns") {
    const std::string_view name = UpTo(after("lambda", "function:"), ":");
    return name.empty() ? std::string() : std::string(r.substr(0, r.find(name) + name.size()));
  }
  if (field == "api_ids") {
    if (!arn) {  // an access log's API ID
      return r.find_first_of("/:.") == std::string_view::npos ? std::string(r) : std::string();
    }
    if (arn->service == "execute-api") return std::string(UpTo(arn->resource, "/"));
    for (std::string_view p : {"/restapis/", "/apis/"}) {
      const std::string_view id = after("apigateway", p);
      if (!id.empty()) return std::string(UpTo(id, "/"));
    }
    return {};
  }
  if (field == "queue_urls") {
    if (r.substr(0, 8) == "https://") return std::string(r);
    if (!arn || arn->service != "sqs" || arn->resource.empty()) return {};
    return "https://sqs." + std::string(arn->region) + ".amazonaws.com/" +
           std::string(arn->account) + "/" + std::string(arn->resource);
  }
  if (field == "topic_arns") return arn && arn->service == "sns" ? std::string(r) : std::string();
  if (field == "secret_arns") {
    return after("secretsmanager", "secret:").empty() ? std::string() : std::string(r);
  }
  if (field == "stream_arns") {
    const std::string_view name = UpTo(after("kinesis", "stream/"), "/");
    return name.empty() ? std::string() : std::string(r.substr(0, r.find(name) + name.size()));
  }
  if (field == "distribution_ids") {
    const std::string_view id = after("cloudfront", "distribution/");
    if (!id.empty()) return std::string(UpTo(id, "/"));
    // A standard log names the distribution by its domain name.
    constexpr std::string_view kDomain = ".cloudfront.net";
    if (r.size() > kDomain.size() && r.substr(r.size() - kDomain.size()) == kDomain) {
      return std::string(r);
    }
  }
  return {};
}

// The label of a claim field for people.
std::string FieldLabel(std::string_view field) {
  static const std::map<std::string_view, std::string_view> kLabels = {
      {"bucket_names", "S3 bucket names"},
      {"request_types", "Request types"},
      {"storage_class", "Storage class"},
      {"table_names", "DynamoDB table names"},
      {"function_arns", "Lambda function ARNs"},
      {"api_ids", "API Gateway API IDs"},
      {"queue_urls", "SQS queue URLs"},
      {"topic_arns", "SNS topic ARNs"},
      {"secret_arns", "Secrets Manager secret ARNs"},
      {"stream_arns", "Kinesis stream ARNs"},
      {"distribution_ids", "CloudFront distributions"}};
  const auto it = kLabels.find(field);
  return it != kLabels.end() ? std::string(it->second) : std::string(field);
}

// The part of the case text that names the service's fields (none: no line).
void WriteBodyFields(std::ostream& b, const std::vector<ClaimField>& fields, size_t max_values) {
  for (const ClaimField& f : fields) {
    b << "  " << f.label << ": ";
    if (f.values.empty()) {
      b << "not recorded in our request logs\n";
      continue;
    }
    for (size_t i = 0; i < f.values.size() && i < max_values; ++i) {
      b << (i == 0 ? "" : ", ") << f.values[i];
    }
    if (static_cast<size_t>(f.distinct) > max_values) {
      b << " and " << f.distinct - static_cast<int64_t>(std::min(max_values, f.values.size()))
        << " more (attachment 3)";
    }
    b << "\n";
  }
}

// ---- the package's artifacts, one function each ----

// The inputs in the order the package writes them, and what every artifact
// shares. Refers to the PackageInput it was made from.
struct Sources {
  const PackageInput& in;
  const claims::ClaimRecord& claim;
  const sla::Verdict& verdict;
  const sla::SlaVersion& version;
  std::string service_label;                   // "AWS Key Management Service (KMS)"
  std::string prefix;                          // of the attachments' names: "claim-ID"
  std::vector<sla::IntervalCounts> intervals;  // by start
  std::vector<events::Event> failures;         // by time, then request ID
  std::vector<health::HealthEvent> health;     // by start, then ARN
  std::string health_note;                     // the input's note, or "shows no event"
  std::vector<IncidentWindow> windows;
  std::vector<ClaimField> fields;  // the service's own claim fields
  std::string short_name;          // "Amazon DynamoDB", "AWS KMS"
  std::string resource_column;     // requests.csv's resource column: "key_arn", "resource"
};

// The service's name as its claim subject gives it ("SLA Credit Request -
// Amazon DynamoDB" -> "Amazon DynamoDB"), else its key in capitals.
std::string ShortName(const PackageInput& in) {
  constexpr std::string_view kLead = "SLA Credit Request - ";
  if (in.terms != nullptr && in.terms->claim_subject.size() > kLead.size() &&
      std::string_view(in.terms->claim_subject).substr(0, kLead.size()) == kLead) {
    return in.terms->claim_subject.substr(kLead.size());
  }
  return Upper(in.claim.service);
}

// The inputs sorted, the service labelled and the incident windows merged
// (in.version must be set).
Sources SortedSources(const PackageInput& in) {
  const claims::ClaimRecord& c = in.claim;
  Sources s{in,           c,           in.verdict,       *in.version,    {}, {},
            in.intervals, in.failures, in.health_events, in.health_note, {}, {},
            {},           {}};
  s.service_label = (in.service_name.empty() ? Upper(c.service) : in.service_name) + " (" +
                    Upper(c.service) + ")";
  s.prefix = "claim-" + c.id;
  std::sort(s.intervals.begin(), s.intervals.end(),
            [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
  std::sort(s.failures.begin(), s.failures.end(), [](const auto& a, const auto& b) {
    return std::tie(a.time_ms, a.request_id) < std::tie(b.time_ms, b.request_id);
  });
  std::sort(s.health.begin(), s.health.end(), [](const auto& a, const auto& b) {
    return std::tie(a.start_ms, a.arn) < std::tie(b.start_ms, b.arn);
  });
  const HealthCheck& hc = in.health_check;
  if (s.health_note.empty() && !hc.checked) {
    s.health_note = "recoup did not check AWS Health for account " + c.account + " in " + c.region +
                    " over the incident windows (no Health API sync, EventBridge import or SQS "
                    "queue covered them)" +
                    (s.health.empty() ? "; this claim makes no statement about AWS Health events."
                                      : "; other events may exist.");
  } else if (s.health_note.empty() && s.health.empty()) {
    std::string sources;
    for (const std::string& src : hc.sources) sources += (sources.empty() ? "" : ", ") + src;
    s.health_note = "AWS Health shows no " + Upper(c.service) + " event in " + c.region +
                    " overlapping the incident windows (checked through " +
                    FormatTimestamp(hc.checked_through_ms) + " with " + sources + ").";
  }
  s.windows = IncidentWindows(s.intervals, s.failures, s.version.interval_seconds);
  if (in.terms != nullptr) s.fields = ServiceClaimFields(*in.terms, s.failures);
  s.short_name = ShortName(in);
  s.resource_column = c.service == "kms" ? "key_arn" : "resource";
  return s;
}

struct IntervalTable {
  std::string csv;      // intervals.csv
  Rational sum = 0;     // the running sum after the last row
  int64_t failing = 0;  // rows: intervals with a server error
};

// intervals.csv: every interval with a server error, its exact Error Rate and
// the running sum.
IntervalTable IntervalsCsv(const Sources& s) {
  IntervalTable t;
  std::ostringstream icsv;
  icsv << "interval_start_utc,interval_end_utc,requests,server_errors,error_rate,"
          "error_rate_pct,running_sum_of_error_rates,excluded_throttling,"
          "excluded_client_error,excluded_custom_key_store\n";
  for (const sla::IntervalCounts& ic : s.intervals) {
    if (ic.failed == 0) continue;
    ++t.failing;
    const Rational rate = sla::IntervalErrorRate(s.version, ic);
    t.sum += rate;
    icsv << FormatTimestamp(ic.start_ms) << ','
         << FormatTimestamp(ic.start_ms + int64_t{s.version.interval_seconds} * 1000) << ','
         << ic.requests << ',' << ic.failed << ',' << rate.get_str() << ',' << FormatPct(rate * 100)
         << ',' << t.sum.get_str() << ','
         << ic.excluded[static_cast<int>(events::OutcomeClass::kThrottled)] << ','
         << ic.excluded[static_cast<int>(events::OutcomeClass::kClientError)] << ','
         << ic.excluded[static_cast<int>(events::OutcomeClass::kCustomKeyStore)] << '\n';
  }
  t.csv = icsv.str();
  return t;
}

// mup-calculation.txt: the MUP steps under a line naming the series.
std::string MupCalculationTxt(const Sources& s, const std::vector<std::string>& steps) {
  const claims::ClaimRecord& c = s.claim;
  std::string mup_txt = "Monthly Uptime Percentage for account " + c.account + ", " + c.region +
                        ", " + c.service + ", " + c.month.ToString() + " (SLA " +
                        s.verdict.sla_version + ")\n\n";
  for (const std::string& step : steps) mup_txt += step + "\n";
  return mup_txt;
}

// An Internal error unless the interval table adds up to the verdict's sum.
Status CheckIntervalSum(const Sources& s, const Rational& table_sum) {
  if (table_sum == s.verdict.sum_error_rates) return Status::Ok();
  return Internal("claim " + s.claim.id + ": the interval table's sum (" + table_sum.get_str() +
                  ") differs from the verdict's (" + s.verdict.sum_error_rates.get_str() + ")");
}

struct RequestExtract {
  std::string csv;         // requests.csv
  std::string gz;          // its attachment, gzipped
  int64_t rows = 0;        // failing requests in it
  bool truncated = false;  // fewer rows than failing requests
};

// requests.csv with the first `cap` failing requests, sensitive values
// masked; `*rows` gets how many it holds.
std::string RequestLogCsv(const Sources& s, int64_t cap, int64_t* rows) {
  const MaskPolicy& mask = s.in.mask;
  std::ostringstream rcsv;
  rcsv << "time_utc,operation,error_code,http_status,request_id," << s.resource_column
       << ",seen_by\n";
  int64_t n = 0;
  for (const events::Event& f : s.failures) {
    if (n >= cap) break;
    ++n;
    rcsv << FormatTimestamp(f.time_ms, true) << ',' << CsvField(MaskText(f.operation, mask)) << ','
         << CsvField(MaskText(f.error_code, mask)) << ','
         << (f.http_status > 0 ? std::to_string(f.http_status) : std::string()) << ','
         << CsvField(f.request_id) << ',' << CsvField(MaskText(f.resource, mask)) << ','
         << (f.seen_by != 0 ? events::SourceMaskName(f.seen_by)
                            : std::string(events::SourceKindName(f.source)))
         << '\n';
  }
  *rows = n;
  return rcsv.str();
}

// The masked request log, capped at max_request_rows and lowered further
// (deterministically) until its gzip fits the attachment limit.
Result<RequestExtract> CappedRequestExtract(const Sources& s) {
  RequestExtract r;
  int64_t cap = std::max<int64_t>(s.in.max_request_rows, 1);
  r.csv = RequestLogCsv(s, cap, &r.rows);
  RECOUP_ASSIGN_OR_RETURN(r.gz, GzipDeterministic(r.csv));
  while (r.gz.size() > kMaxAttachmentBytes && r.rows > 1) {
    // Shrink in proportion, with 10% to spare (integers: sizes fit easily).
    const int64_t budget = static_cast<int64_t>(kMaxAttachmentBytes) / 10 * 9;
    cap = std::max<int64_t>(1, r.rows * budget / static_cast<int64_t>(r.gz.size()));
    r.csv = RequestLogCsv(s, cap, &r.rows);
    RECOUP_ASSIGN_OR_RETURN(r.gz, GzipDeterministic(r.csv));
  }
  r.truncated = r.rows < static_cast<int64_t>(s.failures.size());
  return r;
}

// probes.csv: recoup's own calls in the incident windows, by time; empty
// when there are none (the file is then left out).
std::string ProbesCsv(const PackageInput& in) {
  std::vector<events::Event> probes = in.probe_calls;
  if (probes.empty()) return std::string();
  std::sort(probes.begin(), probes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.time_ms, a.request_id, a.operation) <
           std::tie(b.time_ms, b.request_id, b.operation);
  });
  std::ostringstream p;
  p << "time_utc,operation,outcome,error_code,http_status,request_id,key_arn\n";
  for (const events::Event& e : probes) {
    p << FormatTimestamp(e.time_ms, true) << ',' << CsvField(e.operation) << ','
      << events::OutcomeClassName(e.outcome) << ',' << CsvField(MaskText(e.error_code, in.mask))
      << ',' << (e.http_status > 0 ? std::to_string(e.http_status) : std::string()) << ','
      << CsvField(e.request_id) << ',' << CsvField(MaskText(e.resource, in.mask)) << '\n';
  }
  return p.str();
}

// health-events.json: the AWS Health events cited, the note and the
// incident windows they were matched against.
std::string HealthEventsJson(const Sources& s) {
  nlohmann::json hj;
  const HealthCheck& hc = s.in.health_check;
  hj["claim_id"] = s.claim.id;
  hj["checked"] = hc.checked;
  hj["checked_through"] =
      hc.checked ? nlohmann::json(FormatTimestamp(hc.checked_through_ms)) : nlohmann::json(nullptr);
  hj["sources"] = hc.sources;
  hj["events"] = nlohmann::json::array();
  for (const health::HealthEvent& e : s.health) {
    hj["events"].push_back({{"arn", e.arn},
                            {"service", e.service},
                            {"event_type_code", e.event_type_code},
                            {"event_type_category", e.event_type_category},
                            {"region", e.region},
                            {"status", e.status},
                            {"start_time", TimeOrOpen(e.start_ms)},
                            {"end_time", TimeOrOpen(e.end_ms)},
                            {"last_updated_time", TimeOrOpen(e.last_updated_ms)},
                            {"description", e.description}});
  }
  hj["note"] = s.health_note;
  nlohmann::json windows_json = nlohmann::json::array();
  for (const IncidentWindow& w : s.windows) {
    windows_json.push_back(
        {{"start", FormatTimestamp(w.start_ms)}, {"end", FormatTimestamp(w.end_ms)}});
  }
  hj["incident_windows"] = windows_json;
  return hj.dump(2) + "\n";
}

struct NamedFile {
  std::string name;  // as AWS shows it
  std::string bytes;
};

// Attachment 1: intervals.csv, gzipped (and named ".gz") when it is over the
// attachment limit.
Result<NamedFile> IntervalsAttachment(const Sources& s, const std::string& intervals_csv) {
  NamedFile f{s.prefix + "-intervals.csv", intervals_csv};
  if (f.bytes.size() > kMaxAttachmentBytes) {
    RECOUP_ASSIGN_OR_RETURN(f.bytes, GzipDeterministic(intervals_csv));
    f.name += ".gz";
  }
  return f;
}

// The case subject: the SLA's own subject (the catalog's, else "SLA Credit
// Request: SERVICE"), Region, month and the reconciliation marker.
std::string CaseSubject(const Sources& s) {
  const claims::ClaimRecord& c = s.claim;
  const std::string lead = s.in.terms != nullptr && !s.in.terms->claim_subject.empty()
                               ? s.in.terms->claim_subject
                               : "SLA Credit Request: " + s.service_label;
  return EscapeControls(lead + ", " + c.region + ", " + MonthName(c.month) + " " +
                        ClaimMarker(c.id));
}

// What the SLA leaves out of the figures, from the version's excluded
// classes and the service's codes: "throttling (SlowDown, ...) and client
// errors".
std::string ExclusionText(const Sources& s) {
  std::vector<std::string> parts;
  for (events::OutcomeClass k : s.version.excluded_classes) {
    switch (k) {
      case events::OutcomeClass::kThrottled: {
        std::vector<std::string> codes;
        if (s.in.terms != nullptr) {
          for (const auto& [code, cls] : s.in.terms->codes) {
            if (cls == events::OutcomeClass::kThrottled) codes.push_back(code);
          }
        }
        std::sort(codes.begin(), codes.end());
        std::string text = "throttling";
        for (size_t i = 0; i < codes.size() && i < 3; ++i) {
          text += (i == 0 ? " (" : ", ") + codes[i];
        }
        if (!codes.empty()) text += codes.size() > 3 ? ", ...)" : ")";
        parts.push_back(text);
        break;
      }
      case events::OutcomeClass::kClientError:
        parts.emplace_back("client errors");
        break;
      case events::OutcomeClass::kCustomKeyStore:
        parts.emplace_back("custom key store failures");
        break;
      default:
        break;
    }
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// The credit asked: the cent figure (AWS credits cents); "unknown" without
// charges. report.html shows the exact value beside it.
std::string CreditText(const sla::Verdict& v) {
  return v.credit_usd ? "$" + FormatCents(*v.credit_usd)
                      : std::string("unknown (no charges recorded)");
}

// What the case text and report.html are written from.
struct CaseFacts {
  const Sources& s;
  const std::vector<std::string>& steps;  // MupSteps
  std::string credit_text;                // CreditText
  std::string intervals_name;             // attachment 1's name
  const RequestExtract& requests;
};

// The case text's opening: the SLA, the series and the incident windows (at
// most `max_windows` of them listed).
void WriteBodyIncidents(std::ostream& b, const CaseFacts& f, size_t max_windows) {
  const Sources& s = f.s;
  const claims::ClaimRecord& c = s.claim;
  const std::vector<IncidentWindow>& windows = s.windows;
  b << "Hello AWS Support,\n\n"
    << "We request a service credit under the " << s.version.title << " (version "
    << s.verdict.sla_version << ", effective " << s.version.effective_from << ") for:\n\n"
    << "  Account:        " << c.account << "\n"
    << "  AWS Region:     " << c.region << "\n"
    << "  Service:        " << s.service_label << "\n"
    << "  Billing month:  " << MonthName(c.month) << " (" << FormatTimestamp(c.month.StartMs())
    << " to " << FormatTimestamp(c.month.EndMs()) << ", UTC)\n";
  WriteBodyFields(b, s.fields, 10);
  b << "\nIncidents (UTC), from our request logs: " << WithCommas(s.verdict.failed_requests)
    << " server errors in " << windows.size() << " incident window"
    << (windows.size() == 1 ? "" : "s") << ":\n";
  for (size_t i = 0; i < windows.size() && i < max_windows; ++i) {
    b << "  - " << CountsLine(windows[i]) << "\n";
  }
  if (windows.size() > max_windows) {
    b << "  - ... and " << windows.size() - max_windows
      << " more windows (every interval is in attachment 1)\n";
  }
}

// The case text's middle: the MUP steps, the credit asked and AWS Health.
void WriteBodyCredit(std::ostream& b, const CaseFacts& f) {
  const Sources& s = f.s;
  const sla::Verdict& v = s.verdict;
  b << "\nMonthly Uptime Percentage, computed as the SLA defines it:\n";
  for (const std::string& step : f.steps) b << "  " << step << "\n";
  b << "\nCredit requested: " << FormatDecimal(v.credit_pct, 0, 4) << "% of our " << s.short_name
    << " charges in " << s.claim.region << " for " << s.claim.month.ToString();
  if (v.charges_usd) b << " (" << UsdText(*v.charges_usd) << ")";
  b << " = " << f.credit_text << ".\n";
  const std::string excluded = ExclusionText(s);
  if (!excluded.empty()) {
    b << excluded << " are excluded from these figures, as the SLA excludes them.\n";
  }
  b << "\nAWS Health: ";
  if (s.health.empty()) {
    b << s.health_note << "\n";
  } else {
    b << s.health.size() << " event" << (s.health.size() == 1 ? "" : "s")
      << " overlapping these windows:\n";
    for (const health::HealthEvent& e : s.health) {
      b << "  - " << e.arn << " (" << e.event_type_code << ", from " << TimeOrOpen(e.start_ms)
        << ")\n";
    }
    if (!s.in.health_check.checked) b << "  " << s.health_note << "\n";
  }
}

// The case text's end: the three attachments and the claim reference.
void WriteBodyAttachments(std::ostream& b, const CaseFacts& f) {
  const Sources& s = f.s;
  const int64_t rows = f.requests.rows;
  b << "\nAttached:\n"
    << "  1. " << f.intervals_name
    << ": every 5-minute interval with server errors, its requests, errors, exact Error "
       "Rate and the running sum.\n"
    << "  2. " << s.prefix << "-requests.csv.gz: " << WithCommas(rows)
    << " failing requests (time, operation, error code, HTTP status, request ID, "
    << (s.resource_column == "key_arn" ? "key ARN" : "resource")
    << "); "
       "sensitive values are replaced by asterisks"
    << (f.requests.truncated ? " (first " + WithCommas(rows) + " of " +
                                   WithCommas(static_cast<int64_t>(s.failures.size())) + ")"
                             : std::string())
    << ".\n"
    << "  3. " << s.prefix << "-report.html: the same evidence for reading, with the manifest.\n\n"
    << "Please credit the account by the SLA's terms. Reference: recoup claim " << s.claim.id
    << ".\n";
}

// The case text listing at most `max_windows` incident windows.
std::string CaseBody(const CaseFacts& f, size_t max_windows) {
  std::ostringstream b;
  WriteBodyIncidents(b, f, max_windows);
  WriteBodyCredit(b, f);
  WriteBodyAttachments(b, f);
  // Values from the evidence (Regions, ARNs, event codes) reach the case
  // text: no control character may (docs/SECURITY.md, "Safe outputs").
  return EscapeControls(b.str(), true);
}

// case-body.txt: the case text with as many incident windows as fit in
// kMaxBodyChars; an Internal error when even none fit.
Result<std::string> FittedCaseBody(const CaseFacts& f) {
  size_t max_windows = f.s.windows.size();
  std::string body = CaseBody(f, max_windows);
  while (body.size() > kMaxBodyChars && max_windows > 0) {
    max_windows = max_windows > 8 ? max_windows / 2 : max_windows - 1;
    body = CaseBody(f, max_windows);
  }
  if (body.size() > kMaxBodyChars) {
    return Internal("claim " + f.s.claim.id + ": case text exceeds " +
                    std::to_string(kMaxBodyChars));
  }
  return body;
}

// how-to-file-in-console.txt: the steps for filing without the Support API.
std::string ConsoleFilingSteps(const claims::ClaimRecord& c, const std::string& subject,
                               size_t body_chars) {
  std::ostringstream manual;
  manual << "Filing this claim in the AWS Support Center console (no Support API needed):\n\n"
         << "1. Sign in to the AWS Management Console as account " << c.account
         << " (or its payer account) and open https://console.aws.amazon.com/support/home\n"
         << "2. Choose \"Create case\", then \"Account and billing\".\n"
         << "3. Service: Billing; Category: the closest to \"SLA credit\" (or \"Other billing "
            "questions\"); Severity: General question.\n"
         << "4. Subject: copy case-subject.txt exactly (it must contain \"SLA Credit Request\"):\n"
         << "   " << subject << "\n"
         << "5. Description: paste case-body.txt (" << body_chars << " characters).\n"
         << "6. Attach the three files in attachments/.\n"
         << "7. Submit before " << FormatTimestamp(c.deadline_ms)
         << " (UTC): AWS must receive the claim by the end of the second billing cycle after "
         << c.month.ToString() << ".\n"
         << "8. Record the case, with the Case ID the console shows after you submit, in place "
            "of CASE_ID\n"
         << "   (run it where recoup finds this claim's store: the same --store or "
            "$RECOUP_STORE as when the package was built):\n"
         << "   " << RecordCaseCommand(c.id) << "\n"
         << "   The claim is then filed with that case: reminders stop, and recoup claims sync "
            "follows the case and the credit.\n";
  return manual.str();
}

// report.html's head and its table of the claim's key figures.
void WriteHtmlSummary(std::ostream& h, const CaseFacts& f, const std::string& subject) {
  const Sources& s = f.s;
  const claims::ClaimRecord& c = s.claim;
  const sla::Verdict& v = s.verdict;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << Html(subject)
    << "</title>\n<style>body{font-family:sans-serif;max-width:60em;"
    << "margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #bbb;"
    << "padding:.2em .5em;text-align:right}th{background:#eee}pre{white-space:pre-wrap;"
    << "background:#f6f6f6;padding:1em}</style></head><body>\n"
    << "<h1>" << Html(subject) << "</h1>\n<table>\n";
  auto kv = [&h](const std::string& k, const std::string& val) {
    h << "<tr><th>" << Html(k) << "</th><td style=\"text-align:left\">" << Html(val)
      << "</td></tr>\n";
  };
  kv("Claim", c.id);
  kv("Account", c.account);
  kv("Region", c.region);
  kv("Service", s.service_label);
  kv("Month", c.month.ToString());
  kv("SLA", s.version.title + " (" + v.sla_version + ")");
  kv("Monthly Uptime Percentage", FormatPct(v.mup_pct) + "%");
  kv("Credit tier", FormatDecimal(v.credit_pct, 0, 4) + "%");
  kv("Charges", v.charges_usd ? UsdText(*v.charges_usd) + " (" + s.in.charges_note + ")"
                              : std::string("unknown"));
  kv("Credit requested", v.credit_usd ? UsdText(*v.credit_usd) : f.credit_text);
  kv("Claim deadline (UTC)", FormatTimestamp(c.deadline_ms));
  for (const ClaimField& field : s.fields) {
    std::string values;
    for (const std::string& v : field.values) values += (values.empty() ? "" : ", ") + v;
    if (static_cast<size_t>(field.distinct) > field.values.size()) {
      values += " and " +
                std::to_string(field.distinct - static_cast<int64_t>(field.values.size())) +
                " more";
    }
    kv(field.label, values.empty() ? std::string("not recorded in our request logs") : values);
  }
  h << "</table>\n";
}

// report.html's incident windows, MUP steps and failing-interval table.
void WriteHtmlIntervals(std::ostream& h, const CaseFacts& f) {
  const Sources& s = f.s;
  h << "<h2>Incident windows (UTC)</h2>\n<ul>\n";
  for (const IncidentWindow& w : s.windows) h << "<li>" << Html(CountsLine(w)) << "</li>\n";
  h << "</ul>\n<h2>MUP, step by step</h2>\n<ol>\n";
  for (const std::string& step : f.steps) {
    h << "<li>" << Html(step.substr(step.find(' ') + 1)) << "</li>\n";
  }
  h << "</ol>\n<h2>Failing intervals</h2>\n<table>\n<tr><th>Start (UTC)</th><th>Requests</th>"
       "<th>Server errors</th><th>Error rate</th><th>Running sum</th></tr>\n";
  Rational running = 0;
  for (const sla::IntervalCounts& ic : s.intervals) {
    if (ic.failed == 0) continue;
    const Rational rate = sla::IntervalErrorRate(s.version, ic);
    running += rate;
    h << "<tr><td>" << FormatTimestamp(ic.start_ms) << "</td><td>" << ic.requests << "</td><td>"
      << ic.failed << "</td><td>" << rate.get_str() << "</td><td>" << FormatFixed(running, 12)
      << "</td></tr>\n";
  }
  h << "</table>\n";
}

// report.html's AWS Health section: the events cited, or the note.
void WriteHtmlHealth(std::ostream& h, const Sources& s) {
  h << "<h2>AWS Health</h2>\n";
  if (s.health.empty() || !s.in.health_check.checked) {
    h << "<p>" << Html(s.health_note) << "</p>\n";
  }
  if (s.health.empty()) return;
  h << "<ul>\n";
  for (const health::HealthEvent& e : s.health) {
    h << "<li><code>" << Html(e.arn) << "</code> " << Html(e.event_type_code) << ", "
      << Html(TimeOrOpen(e.start_ms)) << " to " << Html(TimeOrOpen(e.end_ms)) << "</li>\n";
  }
  h << "</ul>\n";
}

// report.html: the whole package for people (attachment 3 too).
std::string ReportHtml(const CaseFacts& f, const std::string& subject, const std::string& body) {
  const Sources& s = f.s;
  std::ostringstream h;
  WriteHtmlSummary(h, f, subject);
  WriteHtmlIntervals(h, f);
  WriteHtmlHealth(h, s);
  h << "<h2>Failing requests</h2>\n<p>" << WithCommas(f.requests.rows) << " of "
    << WithCommas(static_cast<int64_t>(s.failures.size()))
    << " requests in attachment 2; masked fields: " << Html(s.in.mask.ToString()) << ".</p>\n"
    << "<h2>Case text</h2>\n<pre>" << Html(body) << "</pre>\n"
    << "<h2>Verify</h2>\n<p>manifest.json holds the SHA-256 of every file and of the inputs "
       "(store rows, charges, SLA catalog); recoup "
    << Html(s.in.recoup_version) << " with SLA catalog " << Html(s.in.catalog_version)
    << " rebuilds the same bytes: <code>recoup claims build " << Html(s.claim.id)
    << " --out DIR</code>.</p>\n</body></html>\n";
  return h.str();
}

// The three attachments (intervals, requests, report), each also a file
// under attachments/; FailedPrecondition when one is over 5 MB.
Status AddAttachments(const Sources& s, const NamedFile& intervals, const std::string& requests_gz,
                      const std::string& html, Package* pkg) {
  const NamedFile files[] = {
      intervals, {s.prefix + "-requests.csv.gz", requests_gz}, {s.prefix + "-report.html", html}};
  for (const NamedFile& f : files) {
    pkg->files["attachments/" + f.name] = f.bytes;
    pkg->attachments.push_back({f.name, "attachments/" + f.name});
  }
  for (const Attachment& a : pkg->attachments) {
    if (pkg->files[a.path].size() > kMaxAttachmentBytes) {
      return FailedPrecondition("claim " + s.claim.id + ": attachment " + a.file_name +
                                " is over 5 MB");
    }
  }
  return Status::Ok();
}

// The failing requests as the manifest hashes them: one tab-separated line each.
std::string FailuresCanonical(const std::vector<events::Event>& failures) {
  std::ostringstream fails_canon;
  for (const events::Event& f : failures) {
    fails_canon << f.time_ms << '\t' << f.request_id << '\t' << f.operation << '\t' << f.error_code
                << '\t' << f.http_status << '\t' << f.resource << '\n';
  }
  return fails_canon.str();
}

// The interval counts as the manifest hashes them: one tab-separated line each.
std::string IntervalsCanonical(const std::vector<sla::IntervalCounts>& intervals) {
  std::ostringstream ints_canon;
  for (const sla::IntervalCounts& ic : intervals) {
    ints_canon << ic.start_ms << '\t' << ic.requests << '\t' << ic.failed;
    for (int64_t x : ic.excluded) ints_canon << '\t' << x;
    ints_canon << '\t' << ic.no_response << '\n';
  }
  return ints_canon.str();
}

// The charge as the manifest hashes it: one tab-separated line, or empty.
std::string ChargeCanonical(const std::optional<billing::ChargeRecord>& charge) {
  if (!charge) return std::string();
  return charge->account + "\t" + charge->region + "\t" + charge->service + "\t" +
         charge->month.ToString() + "\t" + charge->origin + "\t" +
         FormatDecimal(charge->amount, 0, 12) + "\t" + charge->currency + "\n";
}

// manifest.json: versions, the verdict's figures, the SHA-256 of the inputs
// and of every file already in `pkg`, and the attachments.
std::string ManifestJson(const Sources& s, const Package& pkg, const RequestExtract& requests,
                         const std::string& health_json) {
  const claims::ClaimRecord& c = s.claim;
  const sla::Verdict& v = s.verdict;
  nlohmann::json m;
  m["format"] = "recoup-claim-package/1";
  m["claim_id"] = c.id;
  m["account"] = c.account;
  m["region"] = c.region;
  m["service"] = c.service;
  m["month"] = c.month.ToString();
  m["recoup_version"] = s.in.recoup_version;
  m["sla_catalog_version"] = s.in.catalog_version;
  m["sla_catalog_sha256"] = s.in.catalog_sha256;
  m["sla_version"] = v.sla_version;
  // How sure the catalog is of these terms (recoup sla show): a claim under
  // unverified terms is not filed without --accept-unverified.
  m["sla_confidence"] = sla::ConfidenceName(s.in.version->confidence);
  m["sla_unverified_facts"] = s.in.version->FactsAtLeast(sla::Confidence::kUnverified);
  m["mup_pct"] = FormatPct(v.mup_pct);
  m["sum_error_rates"] = v.sum_error_rates.get_str();
  m["intervals_in_month"] = v.intervals;
  m["credit_pct"] = FormatDecimal(v.credit_pct, 0, 4);
  m["credit_usd"] = v.credit_usd ? nlohmann::json(FormatCents(*v.credit_usd)) : nlohmann::json();
  m["credit_usd_exact"] =
      v.credit_usd ? nlohmann::json(FormatUsd(*v.credit_usd)) : nlohmann::json();
  m["charges_usd"] = v.charges_usd ? nlohmann::json(FormatCents(*v.charges_usd)) : nlohmann::json();
  m["charges_usd_exact"] =
      v.charges_usd ? nlohmann::json(FormatUsd(*v.charges_usd)) : nlohmann::json();
  m["deadline"] = FormatTimestamp(c.deadline_ms);
  // The fields the service's SLA asks a claim to carry, as the failures name them.
  nlohmann::json fields = nlohmann::json::object();
  for (const ClaimField& field : s.fields) {
    fields[field.name] = {{"values", field.values}, {"distinct", field.distinct}};
  }
  m["service_fields"] = fields;
  m["masked_fields"] = s.in.mask.ToString();
  m["request_rows"] = requests.rows;
  m["failing_requests"] = static_cast<int64_t>(s.failures.size());
  m["request_extract_truncated"] = requests.truncated;
  m["body_chars"] = static_cast<int64_t>(pkg.body.size());
  m["inputs"] = {{"intervals_sha256", Sha(IntervalsCanonical(s.intervals))},
                 {"failures_sha256", Sha(FailuresCanonical(s.failures))},
                 {"charges_sha256", Sha(ChargeCanonical(s.in.charge))},
                 {"health_events_sha256", Sha(health_json)},
                 {"sla_catalog_sha256", s.in.catalog_sha256}};
  nlohmann::json files = nlohmann::json::array();
  for (const auto& [path, bytes] : pkg.files) {
    files.push_back(
        {{"path", path}, {"bytes", static_cast<int64_t>(bytes.size())}, {"sha256", Sha(bytes)}});
  }
  m["files"] = files;
  nlohmann::json atts = nlohmann::json::array();
  for (const Attachment& a : pkg.attachments) {
    atts.push_back({{"file_name", a.file_name}, {"path", a.path}});
  }
  m["attachments"] = atts;
  return m.dump(2) + "\n";
}

}  // namespace

std::vector<ClaimField> ServiceClaimFields(const sla::ServiceTerms& terms,
                                           const std::vector<events::Event>& failures) {
  std::vector<ClaimField> out;
  for (const std::string& name : terms.claim_fields) {
    // What every claim carries in its text and attachments.
    if (name == "billing_cycle" || name == "regions" || name == "incident_times" ||
        name == "request_logs") {
      continue;
    }
    ClaimField field{name, FieldLabel(name), {}, 0};
    std::set<std::string> values;
    if (name == "storage_class") {
      // Every series is measured under the default storage-class group.
      for (const sla::SubScope& sub : terms.sub_scopes) {
        if (sub.key == terms.default_sub_scope) values.insert(sub.label);
      }
    } else {
      for (const events::Event& f : failures) {
        std::string v = FieldValue(name, f);
        if (!v.empty()) values.insert(std::move(v));
      }
    }
    field.distinct = static_cast<int64_t>(values.size());
    for (const std::string& v : values) {
      if (field.values.size() >= kMaxClaimFieldValues) break;
      field.values.push_back(v);
    }
    out.push_back(std::move(field));
  }
  return out;
}

Result<Package> BuildPackage(const PackageInput& in) {
  if (in.version == nullptr) return InvalidArgument("BuildPackage: no SLA version");
  const Sources s = SortedSources(in);
  Package pkg;
  pkg.claim_id = s.claim.id;
  pkg.windows = s.windows;

  const IntervalTable table = IntervalsCsv(s);
  const std::vector<std::string> steps = MupSteps(in, table.failing);
  RECOUP_RETURN_IF_ERROR(CheckIntervalSum(s, table.sum));
  RECOUP_ASSIGN_OR_RETURN(const RequestExtract requests, CappedRequestExtract(s));
  const std::string probes_csv = ProbesCsv(in);
  const std::string health_json = HealthEventsJson(s);
  RECOUP_ASSIGN_OR_RETURN(const NamedFile intervals_att, IntervalsAttachment(s, table.csv));

  pkg.subject = CaseSubject(s);
  const CaseFacts facts{s, steps, CreditText(s.verdict), intervals_att.name, requests};
  RECOUP_ASSIGN_OR_RETURN(pkg.body, FittedCaseBody(facts));
  const std::string html = ReportHtml(facts, pkg.subject, pkg.body);

  pkg.files["case-subject.txt"] = pkg.subject + "\n";
  pkg.files["case-body.txt"] = pkg.body;
  pkg.files["intervals.csv"] = table.csv;
  pkg.files["mup-calculation.txt"] = MupCalculationTxt(s, steps);
  pkg.files["requests.csv"] = requests.csv;
  pkg.files["health-events.json"] = health_json;
  if (!probes_csv.empty()) pkg.files["probes.csv"] = probes_csv;
  pkg.files["report.html"] = html;
  pkg.files["how-to-file-in-console.txt"] =
      ConsoleFilingSteps(s.claim, pkg.subject, pkg.body.size());
  RECOUP_RETURN_IF_ERROR(AddAttachments(s, intervals_att, requests.gz, html, &pkg));

  // Every text file of the package, whatever wrote it: control characters
  // escaped (idempotent: the case text already is).
  for (auto& [path, bytes] : pkg.files) {
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".txt") == 0) {
      bytes = EscapeControls(bytes, true);
    }
  }
  const std::string manifest = ManifestJson(s, pkg, requests, health_json);
  pkg.manifest_sha256 = Sha(manifest);
  pkg.files["manifest.json"] = manifest;
  return pkg;
}

}  // namespace recoup::claims
