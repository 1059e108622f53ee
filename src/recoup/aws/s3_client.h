// A minimal Amazon S3 client: ListObjectsV2 (paginated) and GetObject
// (streamed), SigV4-signed. Just what `recoup ingest s3://...` needs.
//
// Addressing: path-style (https://endpoint/bucket/key) when the endpoint was
// configured (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, endpoint_url: moto,
// MinIO, LocalStack...) or the bucket name holds a '.'; virtual-hosted
// (https://bucket.s3.region.amazonaws.com/key) otherwise.
//
// Errors: an S3 error response becomes a Status naming the operation, the
// s3:// URL, S3's Code, Message and RequestId and the HTTP status; 403 is
// PERMISSION_DENIED, 404 NOT_FOUND, anything else UNAVAILABLE. Messages never
// contain secrets (the secret key and session token are masked if a server
// ever echoes them).
//
// One S3Client may be used from one thread at a time (the HttpClient is
// per-thread); the credentials provider may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/aws/sigv4.h"
#include "recoup/aws/xml.h"
#include "recoup/core/clock.h"
#include "recoup/core/status.h"
#include "recoup/net/http_client.h"

namespace recoup::aws {

// "s3://bucket/prefix" split in two. The prefix may be empty.
struct S3Url {
  std::string bucket;
  std::string prefix;
  std::string ToString() const { return "s3://" + bucket + "/" + prefix; }
};
bool IsS3Url(std::string_view text);
// INVALID_ARGUMENT for anything but s3://BUCKET[/PREFIX] with a valid bucket name.
Result<S3Url> ParseS3Url(std::string_view text);

struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string etag;           // as S3 sends it, quotes included
  std::string last_modified;  // ISO 8601
};

struct S3ListPage {
  std::vector<S3Object> objects;
  bool is_truncated = false;
  std::string next_continuation_token;
};

// Parses a ListObjectsV2 response body (ListBucketResult), decoding XML
// entities. DATA_LOSS when it is not one.
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);

// The error fields of an S3 XML error body (<Error><Code>...), empty when absent.
struct S3ErrorInfo {
  std::string code, message, request_id;
};
S3ErrorInfo ParseS3Error(std::string_view xml);

struct S3ClientOptions {
  Endpoint endpoint;             // from AwsConfig::ResolveEndpoint("S3", region)
  bool path_style = false;       // also forced for buckets with a '.'
  const Clock* clock = nullptr;  // recoup::SystemClock() when null; not owned
  int64_t timeout_ms = 300000;   // per request
};

class S3Client {
 public:
  // `http` and `credentials` must outlive the client.
  S3Client(net::HttpClient* http, CredentialsProvider* credentials, S3ClientOptions options);

  // The signed wire request for `method` on bucket/key with `query` (raw,
  // already encoded). key empty: the bucket itself. Exposed for tests.
  Result<net::HttpRequest> BuildRequest(const std::string& method, const std::string& bucket,
                                        const std::string& key, const std::string& query,
                                        const Credentials& credentials, int64_t timestamp_ms) const;

  // One page of ListObjectsV2.
  Result<S3ListPage> ListObjectsV2(const std::string& bucket, const std::string& prefix,
                                   const std::string& continuation_token);
  // Every object under prefix (all pages), in S3's order (UTF-8 binary key order).
  Result<std::vector<S3Object>> ListAll(const std::string& bucket, const std::string& prefix);

  // Streams the object's bytes to `sink` (returning false aborts). `etag`,
  // if given, receives the ETag of what was sent.
  Status GetObject(const std::string& bucket, const std::string& key,
                   const std::function<bool(const char*, size_t)>& sink,
                   std::string* etag = nullptr);

 private:
  Result<net::HttpResponse> Send(const std::string& what, const std::string& method,
                                 const std::string& bucket, const std::string& key,
                                 const std::string& query,
                                 std::function<bool(const char*, size_t)> sink);

  net::HttpClient* http_;
  CredentialsProvider* credentials_;
  S3ClientOptions options_;
  std::string scheme_, authority_, base_path_;
};

}  // namespace recoup::aws
