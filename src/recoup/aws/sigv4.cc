#include "recoup/aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/check.h"
#include "recoup/core/sha256.h"
#include "recoup/core/strings.h"
#include "recoup/core/time.h"

namespace recoup::aws {
namespace {

constexpr std::string_view kMask = "****";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whitespace for header canonicalisation. CR and LF are included so that an
// obsolete folded header value ("a\n  b") canonicalises like "a b", as
// botocore and the AWS suite's get-header-value-multiline case expect.
bool IsHeaderSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and collapses every whitespace run to one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsHeaderSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool IsNeverSigned(std::string_view lower_name) {
  static constexpr std::string_view kNeverSigned[] = {
      "authorization",     "connection", "expect",     "proxy-authorization",
      "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id",
  };
  return std::find(std::begin(kNeverSigned), std::end(kNeverSigned), lower_name) !=
         std::end(kNeverSigned);
}

// (lower-case name, canonical value) for every signed header, sorted by name
// (stable, so repeated headers keep their order) with repeats merged.
std::vector<std::pair<std::string, std::string>> CanonicalHeaderList(
    const HttpRequest& request, const SigningOptions& options) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    std::string lower = AsciiLower(name);
    if (IsNeverSigned(lower)) continue;
    if (options.omit_session_token && lower == "x-amz-security-token") continue;
    headers.emplace_back(std::move(lower), CanonicalHeaderValue(value));
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& header : headers) {
    if (!merged.empty() && merged.back().first == header.first) {
      merged.back().second += ',';
      merged.back().second += header.second;
    } else {
      merged.push_back(std::move(header));
    }
  }
  return merged;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  const unsigned char* digest =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &out_len);
  // Fails only if OpenSSL itself is broken (no SHA-256), which is not
  // something a caller can handle.
  RECOUP_CHECK(digest != nullptr);
  std::string result(reinterpret_cast<const char*>(out), out_len);
  OPENSSL_cleanse(out, sizeof(out));
  return result;
}

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexLower[c >> 4]);
    out.push_back(kHexLower[c & 0xF]);
  }
  return out;
}

Status ValidateInputs(const Credentials& credentials, const SigningOptions& options,
                      const HttpRequest& request) {
  // Messages never quote credential values.
  if (credentials.access_key_id.empty()) return InvalidArgument("sigv4: empty access key id");
  if (credentials.secret_access_key.empty()) {
    return InvalidArgument("sigv4: empty secret access key");
  }
  if (options.region.empty()) return InvalidArgument("sigv4: empty region");
  if (options.service.empty()) return InvalidArgument("sigv4: empty service");
  if (request.method.empty()) return InvalidArgument("sigv4: empty HTTP method");
  if (request.FindHeader("host") == nullptr) {
    return InvalidArgument("sigv4: request has no Host header");
  }
  return Status::Ok();
}

std::string SigningKeyFor(const Credentials& credentials, const SigningOptions& options) {
  return DeriveSigningKey(credentials.secret_access_key, DateStamp(options.timestamp_ms),
                          options.region, options.service);
}

void AppendQueryParam(std::string& query, std::string_view key, std::string_view value) {
  if (!query.empty()) query += '&';
  query += UriEncode(key);
  query += '=';
  query += UriEncode(value);
}

// Masks everything after "Signature=" up to the next ',' (SigV4 Authorization).
std::string RedactAuthorization(std::string_view value) {
  constexpr std::string_view kSignatureKey = "Signature=";
  size_t pos = value.find(kSignatureKey);
  if (pos == std::string_view::npos) return std::string(kMask);
  pos += kSignatureKey.size();
  size_t end = value.find(',', pos);
  std::string out(value.substr(0, pos));
  out += kMask;
  if (end != std::string_view::npos) out += value.substr(end);
  return out;
}

bool IsSecretHeader(std::string_view name) {
  static constexpr std::string_view kSecretHeaders[] = {
      "x-amz-security-token",
      "cookie",
      "set-cookie",
      "proxy-authorization",
      "x-amz-server-side-encryption-customer-key",
      "x-amz-copy-source-server-side-encryption-customer-key",
  };
  std::string lower = AsciiLower(name);
  return std::find(std::begin(kSecretHeaders), std::end(kSecretHeaders), lower) !=
         std::end(kSecretHeaders);
}

std::string RedactQuery(std::string_view query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view piece = query.substr(start, end - start);
    if (start > 0) out += '&';
    size_t eq = piece.find('=');
    std::string key = UriDecode(piece.substr(0, eq));
    if (eq != std::string_view::npos && (EqualsIgnoreCase(key, "X-Amz-Signature") ||
                                         EqualsIgnoreCase(key, "X-Amz-Security-Token"))) {
      out += piece.substr(0, eq + 1);
      out += kMask;
    } else {
      out += piece;
    }
    start = end + 1;
  }
  return out;
}

void ReplaceAll(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), kMask);
    pos += kMask.size();
  }
}

}  // namespace

// ---- HttpRequest ------------------------------------------------------------

const std::string* HttpRequest::FindHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (EqualsIgnoreCase(header.first, name)) return &header.second;
  }
  return nullptr;
}

void HttpRequest::SetHeader(std::string_view name, std::string value) {
  auto it = std::find_if(headers.begin(), headers.end(),
                         [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  if (it == headers.end()) {
    headers.emplace_back(std::string(name), std::move(value));
    return;
  }
  it->second = std::move(value);
  auto first_later = std::next(it);
  headers.erase(std::remove_if(first_later, headers.end(),
                               [&](const auto& h) { return EqualsIgnoreCase(h.first, name); }),
                headers.end());
}

void HttpRequest::RemoveHeader(std::string_view name) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return EqualsIgnoreCase(h.first, name); }),
                headers.end());
}

SigningOptions SigningOptions::ForS3(std::string region, int64_t timestamp_ms) {
  SigningOptions options;
  options.region = std::move(region);
  options.service = "s3";
  options.timestamp_ms = timestamp_ms;
  options.normalize_path = false;
  options.double_encode_path = false;
  options.sign_body = true;
  return options;
}

// ---- Pure helpers ---------------------------------------------------------

std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xF]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string AmzDate(int64_t timestamp_ms) {
  int64_t days = FloorDiv(timestamp_ms, kMsPerDay);
  int64_t second_of_day = (timestamp_ms - days * kMsPerDay) / kMsPerSecond;
  CivilDate date = CivilFromDays(days);
  char buf[32];
  std::snprintf(
      buf, sizeof(buf), "%04lld%02u%02uT%02lld%02lld%02lldZ", static_cast<long long>(date.year),
      date.month, date.day, static_cast<long long>(second_of_day / 3600),
      static_cast<long long>(second_of_day / 60 % 60), static_cast<long long>(second_of_day % 60));
  return buf;
}

std::string DateStamp(int64_t timestamp_ms) { return AmzDate(timestamp_ms).substr(0, 8); }

std::string CredentialScope(const SigningOptions& options) {
  return DateStamp(options.timestamp_ms) + "/" + options.region + "/" + options.service +
         "/aws4_request";
}

std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    bool last = end == path.size();
    if (segment.empty() || segment == ".") {
      // "//" collapses; "/." keeps the directory. A trailing "/" or "/."
      // leaves the path ending in '/'.
      if (last) trailing_slash = true;
    } else if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      if (last) trailing_slash = true;
    } else {
      segments.push_back(segment);
      if (last) trailing_slash = false;
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (trailing_slash && !segments.empty()) out += '/';
  return out;
}

std::string CanonicalUri(std::string_view path, const SigningOptions& options) {
  if (path.empty()) return "/";
  std::string working = options.normalize_path ? NormalizePath(path) : std::string(path);
  if (options.double_encode_path) return UriEncode(working, /*keep_slash=*/true);
  // S3: the wire path is already encoded once; decode and re-encode so that
  // the result is encoded exactly once whatever form the caller used.
  return UriEncode(UriDecode(working), /*keep_slash=*/true);
}

std::string CanonicalQueryString(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start < raw_query.size()) {
    size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view piece = raw_query.substr(start, end - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      std::string_view key = piece.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
      params.emplace_back(UriEncode(UriDecode(key)), UriEncode(UriDecode(value)));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string SignedHeaders(const HttpRequest& request, const SigningOptions& options) {
  std::string out;
  for (const auto& header : CanonicalHeaderList(request, options)) {
    if (!out.empty()) out += ';';
    out += header.first;
  }
  return out;
}

std::string PayloadHash(const HttpRequest& request, const SigningOptions& options) {
  if (options.unsigned_payload) return std::string(kUnsignedPayload);
  return Sha256::Hex(request.body);
}

std::string CanonicalRequest(const HttpRequest& request, const SigningOptions& options) {
  std::string out = request.method;
  out += '\n';
  out += CanonicalUri(request.path, options);
  out += '\n';
  out += CanonicalQueryString(request.query);
  out += '\n';
  std::string signed_headers;
  for (const auto& [name, value] : CanonicalHeaderList(request, options)) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }
  out += '\n';
  out += signed_headers;
  out += '\n';
  out += PayloadHash(request, options);
  return out;
}

std::string StringToSign(std::string_view canonical_request, const SigningOptions& options) {
  std::string out(kSigV4Algorithm);
  out += '\n';
  out += AmzDate(options.timestamp_ms);
  out += '\n';
  out += CredentialScope(options);
  out += '\n';
  out += Sha256::Hex(canonical_request);
  return out;
}

std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string seed = "AWS4";
  seed += secret_access_key;
  std::string date_key = HmacSha256(seed, date);
  std::string region_key = HmacSha256(date_key, region);
  std::string service_key = HmacSha256(region_key, service);
  std::string signing_key = HmacSha256(service_key, "aws4_request");
  Wipe(seed);
  Wipe(date_key);
  Wipe(region_key);
  Wipe(service_key);
  return signing_key;
}

std::string ComputeSignature(std::string_view signing_key, std::string_view string_to_sign) {
  return ToHex(HmacSha256(signing_key, string_to_sign));
}

// ---- Signing --------------------------------------------------------------

Result<SigningResult> Sign(const Credentials& credentials, const SigningOptions& options,
                           HttpRequest& request) {
  RECOUP_RETURN_IF_ERROR(ValidateInputs(credentials, options, request));

  request.RemoveHeader("authorization");
  if (!credentials.session_token.empty()) {
    request.SetHeader("X-Amz-Security-Token", credentials.session_token);
  }
  request.SetHeader("X-Amz-Date", AmzDate(options.timestamp_ms));
  // Lower-case on purpose: this is the spelling the AWS suite (aws-c-auth)
  // emits, and header names are case-insensitive anyway.
  if (options.sign_body) request.SetHeader("x-amz-content-sha256", PayloadHash(request, options));

  SigningResult result;
  result.canonical_request = CanonicalRequest(request, options);
  result.signed_headers = SignedHeaders(request, options);
  result.string_to_sign = StringToSign(result.canonical_request, options);
  std::string key = SigningKeyFor(credentials, options);
  result.signature = ComputeSignature(key, result.string_to_sign);
  Wipe(key);

  std::string authorization(kSigV4Algorithm);
  authorization += " Credential=";
  authorization += credentials.access_key_id;
  authorization += '/';
  authorization += CredentialScope(options);
  authorization += ", SignedHeaders=";
  authorization += result.signed_headers;
  authorization += ", Signature=";
  authorization += result.signature;
  request.SetHeader("Authorization", std::move(authorization));
  return result;
}

Result<SigningResult> Presign(const Credentials& credentials, const SigningOptions& options,
                              HttpRequest& request) {
  RECOUP_RETURN_IF_ERROR(ValidateInputs(credentials, options, request));
  if (options.expires_seconds < 1 || options.expires_seconds > kMaxPresignExpiresSeconds) {
    return InvalidArgument("sigv4: presign expiry " + std::to_string(options.expires_seconds) +
                           "s is outside 1.." + std::to_string(kMaxPresignExpiresSeconds));
  }

  SigningResult result;
  result.signed_headers = SignedHeaders(request, options);
  const bool has_token = !credentials.session_token.empty();
  std::string& query = request.query;
  AppendQueryParam(query, "X-Amz-Algorithm", kSigV4Algorithm);
  AppendQueryParam(query, "X-Amz-Credential",
                   credentials.access_key_id + "/" + CredentialScope(options));
  AppendQueryParam(query, "X-Amz-Date", AmzDate(options.timestamp_ms));
  AppendQueryParam(query, "X-Amz-SignedHeaders", result.signed_headers);
  AppendQueryParam(query, "X-Amz-Expires", std::to_string(options.expires_seconds));
  if (has_token && !options.omit_session_token) {
    AppendQueryParam(query, "X-Amz-Security-Token", credentials.session_token);
  }

  result.canonical_request = CanonicalRequest(request, options);
  result.string_to_sign = StringToSign(result.canonical_request, options);
  std::string key = SigningKeyFor(credentials, options);
  result.signature = ComputeSignature(key, result.string_to_sign);
  Wipe(key);

  if (has_token && options.omit_session_token) {
    AppendQueryParam(query, "X-Amz-Security-Token", credentials.session_token);
  }
  AppendQueryParam(query, "X-Amz-Signature", result.signature);
  return result;
}

// ---- Rendering --------------------------------------------------------------

std::string FormatHttpRequest(const HttpRequest& request) {
  std::string out = request.method;
  out += ' ';
  out += request.path.empty() ? "/" : request.path;
  if (!request.query.empty()) {
    out += '?';
    out += request.query;
  }
  out += " HTTP/1.1\n";
  for (const auto& [name, value] : request.headers) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  out += '\n';
  out += request.body;
  return out;
}

std::string Redact(const HttpRequest& request) {
  HttpRequest copy = request;
  copy.query = RedactQuery(copy.query);
  for (auto& [name, value] : copy.headers) {
    if (EqualsIgnoreCase(name, "authorization")) {
      value = RedactAuthorization(value);
    } else if (IsSecretHeader(name)) {
      value = std::string(kMask);
    }
  }
  return FormatHttpRequest(copy);
}

std::string Redact(const HttpRequest& request, const Credentials& credentials) {
  std::string out = Redact(request);
  for (const std::string* secret : {&credentials.secret_access_key, &credentials.session_token}) {
    if (secret->empty()) continue;
    ReplaceAll(out, *secret);
    ReplaceAll(out, UriEncode(*secret));
  }
  return out;
}

}  // namespace recoup::aws
