#include "recoup/aws/s3_client.h"

#include <cctype>
#include <cstdlib>
#include <utility>

namespace recoup::aws {

namespace {

bool ValidBucketName(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(b.front())) != 0 &&
         std::isalnum(static_cast<unsigned char>(b.back())) != 0;
}

}  // namespace

bool IsS3Url(std::string_view text) { return text.substr(0, 5) == "s3://"; }

Result<S3Url> ParseS3Url(std::string_view text) {
  if (!IsS3Url(text)) return InvalidArgument(std::string(text) + ": not an s3:// URL");
  std::string_view rest = text.substr(5);
  const size_t slash = rest.find('/');
  S3Url url;
  url.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) url.prefix = std::string(rest.substr(slash + 1));
  if (!ValidBucketName(url.bucket)) {
    return InvalidArgument(std::string(text) + ": '" + url.bucket + "' is not a valid bucket name");
  }
  return url;
}

namespace {

// One <Contents> element of a ListBucketResult.
Result<S3Object> ParseContents(std::string_view block) {
  S3Object obj;
  std::optional<std::string> key = XmlElementText(block, "Key");
  if (!key) return DataLoss("ListObjectsV2: <Contents> without <Key>");
  obj.key = std::move(*key);
  const std::string size = XmlTagText(block, "Size");
  char* end = nullptr;
  obj.size = std::strtoll(size.c_str(), &end, 10);
  if (size.empty() || *end != 0 || obj.size < 0) {
    return DataLoss("ListObjectsV2: " + obj.key + ": bad <Size> '" + size + "'");
  }
  obj.etag = XmlTagText(block, "ETag");
  obj.last_modified = XmlTagText(block, "LastModified");
  return obj;
}

}  // namespace

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return DataLoss("ListObjectsV2: the response is not a ListBucketResult");
  }
  S3ListPage page;
  size_t pos = 0;
  std::string outside;  // the text outside <Contents> elements
  for (;;) {
    const size_t b = xml.find("<Contents>", pos);
    if (b == std::string_view::npos) break;
    const std::optional<XmlElement> contents = FindXmlElement(xml, "Contents", b);
    if (!contents) return DataLoss("ListObjectsV2: unterminated <Contents>");
    outside.append(xml.substr(pos, b - pos));
    RECOUP_ASSIGN_OR_RETURN(S3Object obj, ParseContents(contents->inner));
    page.objects.push_back(std::move(obj));
    pos = contents->end;
  }
  outside.append(xml.substr(pos));
  page.is_truncated = XmlTagText(outside, "IsTruncated") == "true";
  page.next_continuation_token = XmlTagText(outside, "NextContinuationToken");
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return DataLoss("ListObjectsV2: IsTruncated without NextContinuationToken");
  }
  return page;
}

S3ErrorInfo ParseS3Error(std::string_view xml) {
  return S3ErrorInfo{.code = XmlTagText(xml, "Code"),
                     .message = XmlTagText(xml, "Message"),
                     .request_id = XmlTagText(xml, "RequestId")};
}

S3Client::S3Client(net::HttpClient* http, CredentialsProvider* credentials, S3ClientOptions options)
    : http_(http), credentials_(credentials), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &SystemClock();
  EndpointUrlParts parts = SplitEndpointUrl(options_.endpoint.url);
  scheme_ = std::move(parts.scheme);
  authority_ = std::move(parts.authority);
  base_path_ = std::move(parts.base_path);
}

Result<net::HttpRequest> S3Client::BuildRequest(const std::string& method,
                                                const std::string& bucket, const std::string& key,
                                                const std::string& query,
                                                const Credentials& credentials,
                                                int64_t timestamp_ms) const {
  const bool path_style = options_.path_style || bucket.find('.') != std::string::npos;
  HttpRequest request;
  request.method = method;
  std::string host;
  if (path_style) {
    host = authority_;
    request.path = base_path_ + "/" + UriEncode(bucket);
    if (!key.empty()) request.path += "/" + UriEncode(key, /*keep_slash=*/true);
  } else {
    host = bucket + "." + authority_;
    request.path = base_path_ + "/" + UriEncode(key, /*keep_slash=*/true);
  }
  request.query = query;
  request.headers.emplace_back("Host", host);
  SigningOptions signing =
      SigningOptions::ForS3(options_.endpoint.signing_region, timestamp_ms);  // empty-body hash
  RECOUP_ASSIGN_OR_RETURN(SigningResult signed_info, Sign(credentials, signing, request));
  (void)signed_info;
  net::HttpRequest wire;
  wire.method = method;
  wire.url = scheme_ + "://" + host + request.path + (query.empty() ? "" : "?" + query);
  wire.headers = request.headers;
  return wire;
}

Result<net::HttpResponse> S3Client::Send(const std::string& what, const std::string& method,
                                         const std::string& bucket, const std::string& key,
                                         const std::string& query,
                                         std::function<bool(const char*, size_t)> sink) {
  RECOUP_ASSIGN_OR_RETURN(Credentials creds, credentials_->Get());
  auto wire = BuildRequest(method, bucket, key, query, creds, options_.clock->NowMs());
  if (!wire.ok()) return wire.status().WithPrefix(what);
  net::RequestOptions ro;
  ro.timeout_ms = options_.timeout_ms;
  ro.body_sink = std::move(sink);
  auto response = http_->Send(*wire, ro);
  if (!response.ok()) return response.status().WithPrefix(what);
  if (response->status / 100 == 2) return std::move(*response);
  const S3ErrorInfo err = ParseS3Error(response->body);
  std::string text = what + ": ";
  if (err.code.empty() && err.message.empty()) {
    // No S3 error document (a HEAD answer, a proxy's page): name who answered.
    const size_t start = wire->url.find("://") + 3;
    const std::string host = wire->url.substr(start, wire->url.find('/', start) - start);
    text += "HTTP " + std::to_string(response->status) + " from " + host +
            " with no S3 error in the response";
    if (!err.request_id.empty()) text += " (request id " + err.request_id + ")";
  } else {
    text += err.code.empty() ? "error" : err.code;
    if (!err.message.empty()) text += ": " + err.message.substr(0, 500);
    text += " (HTTP " + std::to_string(response->status);
    if (!err.request_id.empty()) text += ", request id " + err.request_id;
    text += ")";
  }
  MaskSecrets(text, creds);
  StatusCode code = StatusCode::kUnavailable;
  if (response->status == 403) code = StatusCode::kPermissionDenied;
  if (response->status == 404) code = StatusCode::kNotFound;
  return Status(code, text);
}

Result<S3ListPage> S3Client::ListObjectsV2(const std::string& bucket, const std::string& prefix,
                                           const std::string& continuation_token) {
  std::string query = "list-type=2";
  if (!continuation_token.empty()) query += "&continuation-token=" + UriEncode(continuation_token);
  if (!prefix.empty()) query += "&prefix=" + UriEncode(prefix);
  const std::string what = "s3://" + bucket + "/" + prefix + ": ListObjectsV2";
  RECOUP_ASSIGN_OR_RETURN(net::HttpResponse response,
                          Send(what, "GET", bucket, "", query, nullptr));
  auto page = ParseListObjectsV2(response.body);
  if (!page.ok()) return page.status().WithPrefix("s3://" + bucket + "/" + prefix);
  return page;
}

Result<std::vector<S3Object>> S3Client::ListAll(const std::string& bucket,
                                                const std::string& prefix) {
  std::vector<S3Object> out;
  std::string token;
  for (int pages = 0;; ++pages) {
    RECOUP_ASSIGN_OR_RETURN(S3ListPage page, ListObjectsV2(bucket, prefix, token));
    for (auto& o : page.objects) out.push_back(std::move(o));
    if (!page.is_truncated) break;
    if (page.next_continuation_token == token) {
      return DataLoss("s3://" + bucket + "/" + prefix + ": ListObjectsV2 repeated its token");
    }
    token = page.next_continuation_token;
  }
  return out;
}

Status S3Client::GetObject(const std::string& bucket, const std::string& key,
                           const std::function<bool(const char*, size_t)>& sink,
                           std::string* etag) {
  const std::string what = "s3://" + bucket + "/" + key + ": GetObject";
  RECOUP_ASSIGN_OR_RETURN(net::HttpResponse response, Send(what, "GET", bucket, key, "", sink));
  if (etag != nullptr) {
    etag->clear();
    for (const auto& [name, value] : response.headers) {
      if (name.size() == 4 && std::tolower(static_cast<unsigned char>(name[0])) == 'e' &&
          std::tolower(static_cast<unsigned char>(name[1])) == 't' &&
          std::tolower(static_cast<unsigned char>(name[2])) == 'a' &&
          std::tolower(static_cast<unsigned char>(name[3])) == 'g') {
        *etag = value;
      }
    }
  }
  return Status::Ok();
}

}  // namespace recoup::aws
