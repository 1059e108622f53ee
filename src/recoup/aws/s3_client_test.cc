#include "recoup/aws/s3_client.h"

#include <gtest/gtest.h>

#include <deque>

namespace recoup::aws {
namespace {

// Signatures below were computed by botocore 1.x (S3SigV4Auth) for the same
// requests, credentials and time (2026-11-28T02:11:52Z).
constexpr int64_t kTime = 1795831912000;
const Credentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

std::string Find(const net::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// The Authorization header of a us-east-1 S3 request signed at kTime.
std::string Authorization(const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/us-east-1/s3/aws4_request, "
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" +
         signature;
}

S3ClientOptions Opts(std::string url, bool path_style) {
  S3ClientOptions o;
  o.endpoint = Endpoint{.url = std::move(url), .signing_region = "us-east-1", .source = "test"};
  o.path_style = path_style;
  static const FakeClock clock(kTime);
  o.clock = &clock;
  return o;
}

TEST(S3ClientTest, PathStyleListMatchesBotocore) {
  S3Client client(nullptr, nullptr, Opts("http://127.0.0.1:5000", true));
  auto r = client.BuildRequest("GET", "my-bucket", "", "list-type=2&prefix=AWSLogs%2Fo-1", kCreds,
                               kTime);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->url, "http://127.0.0.1:5000/my-bucket?list-type=2&prefix=AWSLogs%2Fo-1");
  EXPECT_EQ(Find(*r, "Host"), "127.0.0.1:5000");
  EXPECT_EQ(Find(*r, "x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Find(*r, "Authorization"),
            Authorization("0d4fa0204ead1644a7821834fbc8184fe70aed63be5af2d91e03fe3a17fc7d95"));
}

TEST(S3ClientTest, VirtualHostedGetMatchesBotocore) {
  S3Client client(nullptr, nullptr, Opts("https://s3.us-east-1.amazonaws.com", false));
  auto r = client.BuildRequest("GET", "my-bucket", "AWSLogs/o-1/a b.json.gz", "", kCreds, kTime);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->url, "https://my-bucket.s3.us-east-1.amazonaws.com/AWSLogs/o-1/a%20b.json.gz");
  EXPECT_EQ(Find(*r, "Authorization"),
            Authorization("05189335fee4219e52d8ca46fa99964f2a2e9b312deb16973cf3fef7ca845111"));
}

TEST(S3ClientTest, DottedBucketUsesPathStyle) {
  S3Client client(nullptr, nullptr, Opts("https://s3.eu-west-1.amazonaws.com/", false));
  auto r = client.BuildRequest("GET", "logs.example.com", "k", "", kCreds, kTime);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "https://s3.eu-west-1.amazonaws.com/logs.example.com/k");
}

TEST(S3ClientTest, ParsesListPageWithEntities) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<Prefix>AWSLogs</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>AWSLogs/a&amp;b&lt;c&#39;&#x e9;.json.gz</Key><LastModified>2026-10-14T00:05:00.000Z</LastModified>
<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>AWSLogs/caf&#233;.json</Key><LastModified>x</LastModified><ETag>"e2"</ETag><Size>0</Size></Contents>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>)";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "AWSLogs/a&b<c'&#x e9;.json.gz");  // malformed ref kept
  EXPECT_EQ(page->objects[0].size, 1234);
  EXPECT_EQ(page->objects[0].etag, "\"9b2cf535f27731c974343645a3985328\"");
  EXPECT_EQ(page->objects[0].last_modified, "2026-10-14T00:05:00.000Z");
  EXPECT_EQ(page->objects[1].key, "AWSLogs/caf\xC3\xA9.json");
  EXPECT_EQ(page->objects[1].size, 0);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3ClientTest, RejectsNonListBodies) {
  EXPECT_FALSE(ParseListObjectsV2("<Error><Code>x</Code></Error>").ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size></Contents>").ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents>")
          .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>").ok());
}

TEST(S3ClientTest, ParsesS3Urls) {
  auto u = ParseS3Url("s3://my-bucket/AWSLogs/o-1/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->bucket, "my-bucket");
  EXPECT_EQ(u->prefix, "AWSLogs/o-1/");
  EXPECT_EQ(ParseS3Url("s3://my-bucket")->prefix, "");
  EXPECT_FALSE(ParseS3Url("s3://").ok());
  EXPECT_FALSE(ParseS3Url("s3://Bad_Bucket/x").ok());
  EXPECT_FALSE(ParseS3Url("/local/path").ok());
}

// Replays canned responses and records the requests.
class FakeHttp : public net::HttpClient {
 public:
  std::deque<net::HttpResponse> responses;
  std::vector<net::HttpRequest> requests;
  Result<net::HttpResponse> Send(const net::HttpRequest& request,
                                 const net::RequestOptions& options) override {
    requests.push_back(request);
    net::HttpResponse r = responses.front();
    responses.pop_front();
    if (options.body_sink && r.status / 100 == 2) {
      options.body_sink(r.body.data(), r.body.size());
      r.body.clear();
    }
    return r;
  }
};

TEST(S3ClientTest, PaginatesStreamsAndReportsTypedErrors) {
  FakeHttp http;
  StaticCredentialsProvider creds(
      ExpiringCredentials{.credentials = kCreds, .expiration_ms = std::nullopt}, "test");
  S3Client client(&http, &creds, Opts("http://127.0.0.1:5000", true));
  http.responses.push_back(
      {200,
       {},
       "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key>"
       "<Size>1</Size></Contents><NextContinuationToken>t/1=</NextContinuationToken>"
       "</ListBucketResult>"});
  http.responses.push_back({200,
                            {},
                            "<ListBucketResult><Contents><Key>b</Key><Size>2</Size>"
                            "</Contents><IsTruncated>false</IsTruncated></ListBucketResult>"});
  auto all = client.ListAll("bkt", "AWSLogs/");
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].key, "b");
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:5000/bkt?list-type=2&prefix=AWSLogs%2F");
  EXPECT_EQ(http.requests[1].url,
            "http://127.0.0.1:5000/bkt?list-type=2&continuation-token=t%2F1%3D&prefix=AWSLogs%2F");

  http.responses.push_back({200, {{"etag", "\"e1\""}}, "hello"});
  std::string got, etag;
  ASSERT_TRUE(client
                  .GetObject(
                      "bkt", "a",
                      [&](const char* p, size_t n) {
                        got.append(p, n);
                        return true;
                      },
                      &etag)
                  .ok());
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(etag, "\"e1\"");

  http.responses.push_back(
      {403,
       {},
       "<Error><Code>SignatureDoesNotMatch</Code><Message>bad "
       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
       "</Message><RequestId>R1</RequestId><StringToSign>x</StringToSign></Error>"});
  auto err = client.ListObjectsV2("bkt", "", "");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), StatusCode::kPermissionDenied);
  const std::string& m = err.status().message();
  EXPECT_NE(m.find("SignatureDoesNotMatch"), std::string::npos) << m;
  EXPECT_NE(m.find("R1"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 403"), std::string::npos) << m;
  EXPECT_EQ(m.find("EXAMPLEKEY"), std::string::npos) << m;
  EXPECT_EQ(m.find("StringToSign"), std::string::npos) << m;
}

}  // namespace
}  // namespace recoup::aws
