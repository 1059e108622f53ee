// AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing.
//
// The signer is split into pure helpers that can be tested one at a time
// against the AWS signing test suite (CanonicalRequest, StringToSign,
// DeriveSigningKey, ...) and two entry points that modify a request:
// Sign() adds an Authorization header, Presign() adds the X-Amz-* query
// parameters of a presigned URL. Nothing here reads the clock: the signing
// time is SigningOptions::timestamp_ms. Nothing here does I/O.
//
// Secrets: signatures, session tokens and secret keys must never reach a log.
// Use Redact() to render a request for debugging.
//
// Example:
//   HttpRequest request{.method = "GET", .path = "/", .headers = {{"Host", host}}};
//   SigningOptions options{.region = "us-east-1", .service = "health",
//                          .timestamp_ms = clock.Now()};
//   RECOUP_ASSIGN_OR_RETURN(SigningResult signed_info, Sign(credentials, options, request));
//
// All functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/status.h"

namespace recoup::aws {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// Longest lifetime AWS accepts for a presigned URL (7 days).
inline constexpr int64_t kMaxPresignExpiresSeconds = 7 * 24 * 3600;

// An HTTP/1.1 request as the signer sees it. A plain value; header names keep
// the case they were given, and headers keep their order.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // The path as it is (or will be) sent on the request line, without the
  // query: already percent-encoded, e.g. "/my%20object". Empty means "/".
  std::string path;
  // The raw query string as sent, without the leading '?'. May be empty.
  std::string query;
  // In wire order. A name may repeat; values are kept verbatim (untrimmed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header called `name` (ASCII case-insensitive), or
  // nullptr.
  const std::string* FindHeader(std::string_view name) const;
  // Replaces the value of the first header called `name` in place and drops
  // any later ones; appends `name: value` if there is none.
  void SetHeader(std::string_view name, std::string value);
  // Removes every header called `name`.
  void RemoveHeader(std::string_view name);
};

// AWS credentials. session_token is empty for long-term (IAM user) keys.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// What to sign for, and how.
struct SigningOptions {
  std::string region;   // "us-east-1"
  std::string service;  // signing name, e.g. "health", "s3"
  // Signing time, UTC milliseconds since the epoch (sub-second part ignored).
  int64_t timestamp_ms = 0;
  // Remove "." and ".." segments and collapse repeated slashes in the path.
  // Every service except S3 expects this.
  bool normalize_path = true;
  // Percent-encode the (already encoded) wire path once more, as every
  // service except S3 expects ("double encoding"). When false (S3), the path
  // is decoded and encoded exactly once.
  bool double_encode_path = true;
  // Sign(): also send and sign the payload hash as x-amz-content-sha256.
  bool sign_body = false;
  // Use the literal "UNSIGNED-PAYLOAD" instead of the SHA-256 of the body.
  bool unsigned_payload = false;
  // Leave X-Amz-Security-Token out of the signature and add it afterwards
  // (some older services want this). Ignored without a session token.
  bool omit_session_token = false;
  // Presign(): lifetime of the URL, 1..kMaxPresignExpiresSeconds.
  int64_t expires_seconds = 3600;

  // S3 conventions: service "s3", unnormalized and single-encoded path,
  // payload hash sent as x-amz-content-sha256.
  static SigningOptions ForS3(std::string region, int64_t timestamp_ms);
};

// What Sign()/Presign() computed. Handy when AWS answers
// SignatureDoesNotMatch (its error message quotes its canonical request).
// `signature` is a bearer secret until the request expires: do not log it.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // 64 lower-case hex digits
};

// ---- Pure helpers ---------------------------------------------------------

// RFC 3986 percent-encoding: keeps A-Z a-z 0-9 - _ . ~ (and '/' when
// keep_slash), encodes every other byte as %XX with upper-case hex.
std::string UriEncode(std::string_view text, bool keep_slash = false);
// Decodes %XX sequences; a '%' not followed by two hex digits stays as is.
// '+' is not treated as a space.
std::string UriDecode(std::string_view text);

// "20150830T123600Z" and "20150830" for a timestamp in UTC ms.
std::string AmzDate(int64_t timestamp_ms);
std::string DateStamp(int64_t timestamp_ms);
// "20150830/us-east-1/service/aws4_request".
std::string CredentialScope(const SigningOptions& options);

// RFC 3986 section 5.2.4 dot-segment removal plus collapsing of empty
// segments ("//"). Always starts with '/'; keeps a trailing slash.
std::string NormalizePath(std::string_view path);
// The canonical URI line for `path` under options.normalize_path and
// options.double_encode_path.
std::string CanonicalUri(std::string_view path, const SigningOptions& options);
// Parameters re-encoded with UriEncode (after UriDecode), sorted by encoded
// key, then encoded value; "k" without '=' becomes "k=".
std::string CanonicalQueryString(std::string_view raw_query);
// The signed header names: lower-case, sorted, ';'-joined. Hop-by-hop and
// proxy-mutated headers (authorization, connection, expect,
// proxy-authorization, transfer-encoding, upgrade, user-agent,
// x-amzn-trace-id) are never signed; neither is x-amz-security-token when
// options.omit_session_token is set.
std::string SignedHeaders(const HttpRequest& request, const SigningOptions& options);
// Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
std::string PayloadHash(const HttpRequest& request, const SigningOptions& options);

// The canonical request of `request` exactly as it stands (no headers or
// parameters are added):
//   METHOD \n URI \n QUERY \n name:value\n... \n SIGNED-HEADERS \n PAYLOAD-HASH
// Header values are trimmed and each run of whitespace (including folded
// line breaks) becomes one space; repeated headers are joined with ','.
std::string CanonicalRequest(const HttpRequest& request, const SigningOptions& options);
// "AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256(canonical_request)>".
std::string StringToSign(std::string_view canonical_request, const SigningOptions& options);
// The binary (32-byte) signing key HMAC chain for `date` ("YYYYMMDD").
std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service);
// Hex HMAC-SHA256 of string_to_sign under signing_key.
std::string ComputeSignature(std::string_view signing_key, std::string_view string_to_sign);

// ---- Signing --------------------------------------------------------------

// Header signing. Removes any Authorization header, then sets (replacing in
// place if present, else appending in this order) X-Amz-Security-Token (when
// credentials carry a token), X-Amz-Date, x-amz-content-sha256 (when
// options.sign_body) and finally Authorization.
// Returns INVALID_ARGUMENT, leaving `request` untouched, when credentials,
// region, service or method are empty or the request has no Host header.
Result<SigningResult> Sign(const Credentials& credentials, const SigningOptions& options,
                           HttpRequest& request);

// Query-string signing (presigned URL). Appends to request.query, in this
// order: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders,
// X-Amz-Expires, X-Amz-Security-Token (when there is a token) and
// X-Amz-Signature. Headers are signed but not modified. Returns
// INVALID_ARGUMENT as Sign() does, and also when options.expires_seconds is
// outside 1..kMaxPresignExpiresSeconds.
Result<SigningResult> Presign(const Credentials& credentials, const SigningOptions& options,
                              HttpRequest& request);

// ---- Rendering --------------------------------------------------------------

// "METHOD path[?query] HTTP/1.1\nName:value\n...\n\nbody", the layout of the
// AWS test suite's *-signed-request.txt files. Contains secrets once signed:
// use Redact() for anything that may be logged.
std::string FormatHttpRequest(const HttpRequest& request);

// FormatHttpRequest() with secrets replaced by "****": the Signature= part of
// Authorization (other Authorization schemes entirely), the values of
// X-Amz-Security-Token, Cookie, Proxy-Authorization and SSE-C key headers,
// and the X-Amz-Signature / X-Amz-Security-Token query parameters. The
// overload taking credentials also masks any occurrence of the secret key or
// session token (raw or percent-encoded) anywhere, body included.
std::string Redact(const HttpRequest& request);
std::string Redact(const HttpRequest& request, const Credentials& credentials);

}  // namespace recoup::aws
