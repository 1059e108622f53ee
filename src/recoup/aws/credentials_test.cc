#include "recoup/aws/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "recoup/aws/config_test_util.h"
#include "recoup/core/clock.h"
#include "recoup/core/time.h"

namespace recoup::aws {
namespace {

using testing::ScopedEnv;
using testing::TempDir;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
constexpr char kSourceKeyId[] = "AKIASOURCEKEY0WXYZ";
constexpr char kSourceSecret[] = "sourceSECRETsourceSECRETsourceSECRET0000";
constexpr char kStsSecret[] = "9drTJvcXLB89EXAMPLELB8923FB892xMFIstsSECRET";
constexpr char kStsToken[] = "AQoDYXdzEPT//////////wEXAMPLEtoken+STS/TOKEN==";
constexpr char kWebToken[] = "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYTOKEN.sig";

// A net::HttpClient that records requests and answers from a handler.
class FakeHttpClient : public net::HttpClient {
 public:
  using Handler = std::function<Result<net::HttpResponse>(const net::HttpRequest&)>;
  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}
  Result<net::HttpResponse> Send(const net::HttpRequest& request,
                                 const net::RequestOptions& options) override {
    requests.push_back(request);
    return handler_(request);
  }
  std::vector<net::HttpRequest> requests;

 private:
  Handler handler_;
};

std::optional<std::string> HeaderOf(const net::HttpRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return v;
    }
  }
  return std::nullopt;
}

net::HttpResponse Response(int status, std::string body) {
  return net::HttpResponse{.status = status, .headers = {}, .body = std::move(body)};
}

std::string StsXml(const std::string& action, int64_t expiration_ms) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <" +
         action +
         "Result>\n    <AssumedRoleUser>\n      "
         "<AssumedRoleId>AROA3XFRBF535PLBIFPI4:s3-access-example</AssumedRoleId>\n      "
         "<Arn>arn:aws:sts::123456789012:assumed-role/xaccounts3access/s3-access-example</Arn>\n"
         "    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>ASIAJEXAMPLEXEG2JICEA</"
         "AccessKeyId>\n      <SecretAccessKey>" +
         std::string(kStsSecret) + "</SecretAccessKey>\n      <SessionToken>" + kStsToken +
         "</SessionToken>\n      <Expiration>" + FormatTimestamp(expiration_ms) +
         "</Expiration>\n    </Credentials>\n    <PackedPolicySize>8</PackedPolicySize>\n  </" +
         action +
         "Result>\n  <ResponseMetadata>\n    "
         "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n  "
         "</ResponseMetadata>\n</" +
         action + "Response>\n";
}

void ExpectNoSecrets(const std::string& text) {
  for (const char* secret : {kSecret, kSourceSecret, kStsSecret, kStsToken, kWebToken}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "secret leaked in: " << text;
  }
}

class CredentialsTest : public ::testing::Test {
 protected:
  void WriteFiles(const std::string& config, const std::string& credentials) {
    env_.Set("AWS_CONFIG_FILE", dir_.Write("config", config));
    env_.Set("AWS_SHARED_CREDENTIALS_FILE", dir_.Write("credentials", credentials));
  }
  AwsConfig Load() {
    Result<AwsConfig> config = AwsConfig::Load();
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return *config;
  }
  // An executable script in the temp dir.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_.Write(name, "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0700);
    return path;
  }
  ProviderDeps Deps(net::HttpClient* http) { return ProviderDeps{.http = http, .clock = &clock_}; }

  ScopedEnv env_;
  TempDir dir_;
  int64_t now() const { return clock_.NowMs(); }
  // Answers every request with a successful STS `action` response whose
  // credentials expire an hour after the request.
  FakeHttpClient StsAnswering(const std::string& action) {
    return FakeHttpClient([this, action](const net::HttpRequest&) {
      return Response(200, StsXml(action, now() + 3600 * 1000));
    });
  }

  FakeClock clock_{1700000000000};  // 2023-11-14T22:13:20Z
};

// ---- Basics -------------------------------------------------------------------------

TEST(RedactTest, MaskSecretsHidesTheKeyAndTokenWhereverTheyAppear) {
  const Credentials creds{"AKIAIOSFODNN7EXAMPLE", kSecret, kStsToken};
  std::string text = std::string("echo: ") + kSecret + " and " + kStsToken + " again " + kSecret;
  MaskSecrets(text, creds);
  EXPECT_EQ(text, "echo: **** and **** again ****");
  std::string plain = "nothing secret here";
  MaskSecrets(plain, Credentials{"AKIA", "", ""});
  EXPECT_EQ(plain, "nothing secret here");
}

TEST(RedactTest, NeverShowsSecrets) {
  EXPECT_EQ(RedactAccessKeyId("AKIAIOSFODNN7EXAMPLE"), "AKIA****MPLE");
  EXPECT_EQ(RedactAccessKeyId("short"), "****");
  ExpiringCredentials creds{{"AKIAIOSFODNN7EXAMPLE", kSecret, kStsToken}, 0};
  std::string text = DescribeCredentials(creds);
  EXPECT_EQ(text,
            "access_key_id=AKIA****MPLE secret=**** session_token=**** "
            "expiration=1970-01-01T00:00:00Z");
  ExpectNoSecrets(text);
}

TEST(ShlexSplitTest, PosixRules) {
  auto split = [](const char* s) {
    Result<std::vector<std::string>> r = ShlexSplit(s);
    if (!r.ok()) return std::string("ERR");
    std::string out;
    for (const std::string& w : *r) out += "[" + w + "]";
    return out;
  };
  EXPECT_EQ(split("  a b\tc "), "[a][b][c]");
  EXPECT_EQ(split("'/my dir/x' --p \"q w\""), "[/my dir/x][--p][q w]");
  EXPECT_EQ(split(R"(a\ b "x\"y" 'n\t' "a\b")"), R"([a b][x"y][n\t][a\b])");
  EXPECT_EQ(split("cmd; rm -rf / $(x) #c"), "[cmd;][rm][-rf][/][$(x)][#c]");
  EXPECT_EQ(split("a''b \"\""), "[ab][]");
  EXPECT_EQ(split("'open"), "ERR");
  EXPECT_EQ(split("trailing\\"), "ERR");
}

// ---- Refresh ------------------------------------------------------------------------

class CountingProvider : public RefreshingCredentialsProvider {
 public:
  explicit CountingProvider(const Clock* clock) : RefreshingCredentialsProvider(clock) {}
  std::string Name() const override { return "counting"; }
  int fetches = 0;
  bool fail = false;
  int64_t lifetime_ms = 3600 * 1000;

 protected:
  Result<ExpiringCredentials> Fetch() override {
    ++fetches;
    if (fail) return Unavailable("down");
    return ExpiringCredentials{{"AKID" + std::to_string(fetches), "s", "t"}, Now() + lifetime_ms};
  }
};

TEST(RefreshTest, RefreshesFiveMinutesBeforeExpiry) {
  FakeClock clock(1000000);
  CountingProvider provider(&clock);
  EXPECT_EQ(provider.Get()->access_key_id, "AKID1");
  clock.Advance(50 * kMsPerMinute);
  EXPECT_EQ(provider.Get()->access_key_id, "AKID1");  // 10 min left: cached
  clock.Advance(5 * kMsPerMinute + 1);
  EXPECT_EQ(provider.Get()->access_key_id, "AKID2");  // < 5 min left: refreshed
  EXPECT_EQ(provider.fetches, 2);
  // A failed refresh keeps credentials that have not expired yet...
  provider.fail = true;
  clock.Advance(57 * kMsPerMinute);
  EXPECT_EQ(provider.Get()->access_key_id, "AKID2");
  // ...but not expired ones.
  clock.Advance(4 * kMsPerMinute);
  EXPECT_EQ(provider.Get().status().code(), StatusCode::kUnavailable);
}

// ---- Environment and profiles ---------------------------------------------------------

TEST_F(CredentialsTest, EnvironmentWinsOverProfile) {
  WriteFiles("", "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = x\n");
  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  env_.Set("AWS_SESSION_TOKEN", "tok");
  env_.Set("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z");
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(nullptr));
  Result<ExpiringCredentials> creds = chain->GetExpiring();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(creds->credentials.session_token, "tok");
  EXPECT_EQ(creds->expiration_ms, *ParseTimestampMs("2030-01-01T00:00:00Z"));
  EXPECT_EQ(chain->Name(), "default chain: environment");
}

TEST_F(CredentialsTest, PartialEnvironmentIsAnError) {
  WriteFiles("", "");
  env_.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(nullptr));
  Result<Credentials> creds = chain->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(creds.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  ExpectNoSecrets(creds.status().ToString());
}

TEST_F(CredentialsTest, ProfileStaticKeys) {
  WriteFiles(
      "[profile dev]\nregion = eu-west-1\n",
      "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = " + std::string(kSecret) + "\n");
  env_.Set("AWS_PROFILE", "dev");
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(nullptr));
  Result<Credentials> creds = chain->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "AKIDDEV");
  EXPECT_EQ(creds->secret_access_key, kSecret);
  EXPECT_EQ(creds->session_token, "");
}

TEST_F(CredentialsTest, PartialProfileKeysNameFileLineAndKey) {
  WriteFiles("", "[default]\n\naws_secret_access_key = " + std::string(kSecret) + "\n");
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(nullptr));
  Result<Credentials> creds = chain->Get();
  ASSERT_FALSE(creds.ok());
  const std::string& m = creds.status().message();
  EXPECT_NE(m.find(dir_.path() + "/credentials:3"), std::string::npos) << m;
  EXPECT_NE(m.find("aws_access_key_id"), std::string::npos) << m;
  ExpectNoSecrets(creds.status().ToString());
}

TEST_F(CredentialsTest, NothingConfiguredIsNotFound) {
  WriteFiles("", "");
  env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  FakeHttpClient http([](const net::HttpRequest&) { return Response(500, ""); });
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<Credentials> creds = chain->Get();
  EXPECT_EQ(creds.status().code(), StatusCode::kNotFound);
  EXPECT_NE(creds.status().message().find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
  EXPECT_TRUE(http.requests.empty());
}

// ---- credential_process -----------------------------------------------------------------

TEST_F(CredentialsTest, CredentialProcess) {
  std::string script = Script("my creds.sh",
                              "[ \"$1\" = \"--arg with space\" ] || exit 3\n"
                              "cat <<JSON\n"
                              "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
                              "\"SecretAccessKey\": \"" +
                                  std::string(kSecret) +
                                  "\", \"SessionToken\": \"tok\", "
                                  "\"Expiration\": \"2030-01-01T00:00:00Z\"}\n"
                                  "JSON\n");
  WriteFiles("[default]\ncredential_process = '" + script + "' \"--arg with space\"\n", "");
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(nullptr));
  Result<ExpiringCredentials> creds = chain->GetExpiring();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->credentials.access_key_id, "AKIDPROC");
  EXPECT_EQ(creds->credentials.secret_access_key, kSecret);
  EXPECT_EQ(creds->credentials.session_token, "tok");
  EXPECT_EQ(creds->expiration_ms, *ParseTimestampMs("2030-01-01T00:00:00Z"));
}

TEST_F(CredentialsTest, StaticKeysWinOverCredentialProcess) {
  WriteFiles("[default]\ncredential_process = /nonexistent/tool\n",
             "[default]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s\n");
  EXPECT_EQ(MakeDefaultCredentialsProvider(Load(), Deps(nullptr))->Get()->access_key_id,
            "AKIDSTATIC");
}

TEST_F(CredentialsTest, CredentialProcessErrorsHaveNoSecrets) {
  std::string wrong_version =
      Script("v2.sh", "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" +
                          std::string(kSecret) + "\"}'\n");
  std::string not_json = Script("nj.sh", "echo 'SecretAccessKey=" + std::string(kSecret) + "'\n");
  std::string failing = Script("fail.sh", "echo 'token expired' >&2\nexit 7\n");
  std::string no_secret = Script("ns.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n");
  struct Case {
    std::string command;
    std::string expect;
  } cases[] = {{wrong_version, "Version"},
               {not_json, "not a JSON object"},
               {failing, "exited with status 7: token expired"},
               {no_secret, "missing SecretAccessKey"},
               {"/nonexistent/tool", "cannot run"},
               {"'unterminated", "no closing quotation"}};
  for (const Case& c : cases) {
    auto provider = MakeProcessCredentialsProvider(c.command, "p", &SystemClock());
    Result<Credentials> creds = provider->Get();
    ASSERT_FALSE(creds.ok()) << c.command;
    EXPECT_NE(creds.status().message().find(c.expect), std::string::npos)
        << creds.status().ToString();
    EXPECT_NE(creds.status().message().find("profile 'p' credential_process"), std::string::npos);
    ExpectNoSecrets(creds.status().ToString());
  }
}

TEST_F(CredentialsTest, CredentialProcessRefreshesOnExpiry) {
  std::string counter = dir_.path() + "/count";
  std::string script =
      Script("counting.sh", "n=$(cat '" + counter +
                                "' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '" + counter +
                                "'\n"
                                "echo \"{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"AKID$n\\\", "
                                "\\\"SecretAccessKey\\\": \\\"s\\\", \\\"Expiration\\\": "
                                "\\\"2023-11-14T23:13:20Z\\\"}\"\n");
  auto provider = MakeProcessCredentialsProvider(script, "p", &clock_);
  EXPECT_EQ(provider->Get()->access_key_id, "AKID1");
  EXPECT_EQ(provider->Get()->access_key_id, "AKID1");
  clock_.Advance(56 * kMsPerMinute);
  EXPECT_EQ(provider->Get()->access_key_id, "AKID2");
}

// ---- AssumeRole -------------------------------------------------------------------------

TEST_F(CredentialsTest, AssumeRoleIsSignedWithSourceProfileAndCached) {
  WriteFiles(
      "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/Read Only\n"
      "source_profile = base\nrole_session_name = recoup-test\nexternal_id = ext-1\n"
      "region = eu-west-1\nduration_seconds = 1800\n",
      "[base]\naws_access_key_id = " + std::string(kSourceKeyId) +
          "\naws_secret_access_key = " + kSourceSecret + "\n");
  env_.Set("AWS_PROFILE", "role");
  env_.Set("AWS_ENDPOINT_URL_STS", "http://localhost:5000");
  FakeHttpClient http = StsAnswering("AssumeRole");
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<ExpiringCredentials> creds = chain->GetExpiring();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->credentials.access_key_id, "ASIAJEXAMPLEXEG2JICEA");
  EXPECT_EQ(creds->credentials.secret_access_key, kStsSecret);
  EXPECT_EQ(creds->credentials.session_token, kStsToken);
  EXPECT_EQ(creds->expiration_ms, now() + 3600 * 1000);

  ASSERT_EQ(http.requests.size(), 1u);
  const net::HttpRequest& sent = http.requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "http://localhost:5000/");
  EXPECT_EQ(
      sent.body,
      "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%"
      "3Arole%2FRead%20Only&RoleSessionName=recoup-test&DurationSeconds=1800&ExternalId=ext-1");
  EXPECT_EQ(HeaderOf(sent, "Host"), "localhost:5000");
  std::optional<std::string> auth = HeaderOf(sent, "Authorization");
  ASSERT_TRUE(auth.has_value());
  EXPECT_NE(auth->find("Credential=" + std::string(kSourceKeyId) +
                       "/20231114/eu-west-1/sts/"
                       "aws4_request"),
            std::string::npos)
      << *auth;
  // Re-sign what was sent with the source keys: the signature must match.
  HttpRequest resign{.method = "POST", .path = "/", .query = "", .headers = {}, .body = sent.body};
  for (const auto& [k, v] : sent.headers) {
    if (k != "Authorization") resign.headers.emplace_back(k, v);
  }
  SigningOptions options{.region = "eu-west-1", .service = "sts", .timestamp_ms = now()};
  ASSERT_TRUE(Sign({kSourceKeyId, kSourceSecret, ""}, options, resign).ok());
  EXPECT_EQ(resign.FindHeader("Authorization") ? *resign.FindHeader("Authorization") : "", *auth);

  // Cached until 5 minutes before expiry, then refreshed.
  clock_.Advance(54 * kMsPerMinute);
  ASSERT_TRUE(chain->Get().ok());
  EXPECT_EQ(http.requests.size(), 1u);
  clock_.Advance(2 * kMsPerMinute);
  ASSERT_TRUE(chain->Get().ok());
  EXPECT_EQ(http.requests.size(), 2u);
  ExpectNoSecrets(chain->Name());
}

TEST_F(CredentialsTest, AssumeRoleUsesDefaultRegionalStsEndpoint) {
  WriteFiles("[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n", "");
  env_.Set("AWS_REGION", "ap-northeast-1");
  Result<AwsConfig> config = AwsConfig::Load();
  ASSERT_TRUE(config.ok());
  // Environment keys come first in the chain, so use the profile provider.
  env_.Set("AWS_ACCESS_KEY_ID", kSourceKeyId);
  env_.Set("AWS_SECRET_ACCESS_KEY", kSourceSecret);
  FakeHttpClient http = StsAnswering("AssumeRole");
  auto provider = MakeProfileCredentialsProvider(*config, "default", Deps(&http));
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  ASSERT_TRUE((*provider)->Get().ok());
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url, "https://sts.ap-northeast-1.amazonaws.com/");
  EXPECT_NE(HeaderOf(http.requests[0], "Authorization")->find("/ap-northeast-1/sts/"),
            std::string::npos);
}

TEST_F(CredentialsTest, AssumeRoleErrorHasNoSecrets) {
  WriteFiles("[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n",
             "[base]\naws_access_key_id = " + std::string(kSourceKeyId) +
                 "\naws_secret_access_key = " + kSourceSecret + "\n");
  FakeHttpClient http([](const net::HttpRequest&) {
    return Response(403,
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    "<Message>User is not authorized to perform: sts:AssumeRole</Message>"
                    "</Error></ErrorResponse>");
  });
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<Credentials> creds = chain->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(creds.status().message().find("AccessDenied: User is not authorized"),
            std::string::npos)
      << creds.status().ToString();
  EXPECT_NE(creds.status().message().find("arn:aws:iam::1:role/r"), std::string::npos);
  ExpectNoSecrets(creds.status().ToString());
}

TEST_F(CredentialsTest, RoleChainingAndConfigErrors) {
  WriteFiles(
      "[profile a]\nrole_arn = arn:a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:b\nsource_profile = a\n"
      "[profile c]\nrole_arn = arn:c\nsource_profile = missing\n"
      "[profile d]\nrole_arn = arn:d\n"
      "[profile e]\nrole_arn = arn:e\nsource_profile = e\n"
      "[profile f]\nrole_arn = arn:f\nsource_profile = g\n"
      "[profile g]\nrole_arn = arn:g\nsource_profile = h\n"
      "[profile h]\naws_access_key_id = AKIDH\naws_secret_access_key = " +
          std::string(kSecret) + "\n",
      "");
  AwsConfig config = Load();
  auto error_of = [&](const char* profile) {
    auto p = MakeProfileCredentialsProvider(config, profile, Deps(nullptr));
    return p.ok() ? std::string("OK") : p.status().message();
  };
  EXPECT_NE(error_of("a").find("cycle a -> b -> a"), std::string::npos) << error_of("a");
  EXPECT_NE(error_of("c").find("'missing', which does not exist"), std::string::npos);
  EXPECT_NE(error_of("c").find("config:9"), std::string::npos) << error_of("c");
  EXPECT_NE(error_of("d").find("needs source_profile"), std::string::npos);
  EXPECT_NE(error_of("e").find("refers to itself"), std::string::npos);
  EXPECT_EQ(error_of("f"), "OK");

  // f -> g -> h: two AssumeRole calls, the second signed with the first's result.
  env_.Set("AWS_ENDPOINT_URL", "http://sts.local");
  AwsConfig with_endpoint = Load();
  FakeHttpClient http = StsAnswering("AssumeRole");
  auto f = MakeProfileCredentialsProvider(with_endpoint, "f", Deps(&http));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Get().ok());
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_NE(http.requests[0].body.find("RoleArn=arn%3Ag"), std::string::npos);
  EXPECT_NE(HeaderOf(http.requests[0], "Authorization")->find("Credential=AKIDH/"),
            std::string::npos);
  EXPECT_NE(http.requests[1].body.find("RoleArn=arn%3Af"), std::string::npos);
  EXPECT_NE(HeaderOf(http.requests[1], "Authorization")->find("Credential=ASIAJEXAMPLEXEG2JICEA/"),
            std::string::npos);
  EXPECT_EQ(HeaderOf(http.requests[1], "X-Amz-Security-Token"), kStsToken);
}

// ---- Web identity ---------------------------------------------------------------------

TEST_F(CredentialsTest, WebIdentityFromEnvironmentIsUnsigned) {
  WriteFiles("", "");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Write("token", std::string(kWebToken) + "\n"));
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::1:role/web");
  env_.Set("AWS_ROLE_SESSION_NAME", "pod-1");
  env_.Set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000");
  FakeHttpClient http = StsAnswering("AssumeRoleWithWebIdentity");
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<Credentials> creds = chain->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "ASIAJEXAMPLEXEG2JICEA");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:5000/");
  EXPECT_EQ(http.requests[0].body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%"
            "3Arole%2Fweb&RoleSessionName=pod-1&WebIdentityToken=" +
                UriEncode(kWebToken));
  EXPECT_FALSE(HeaderOf(http.requests[0], "Authorization").has_value());
}

TEST_F(CredentialsTest, WebIdentityFromProfileErrorsHideToken) {
  WriteFiles("[default]\nrole_arn = arn:r\nweb_identity_token_file = " +
                 dir_.Write("token", kWebToken) + "\n",
             "");
  FakeHttpClient http([](const net::HttpRequest&) {
    return Response(400,
                    "<ErrorResponse><Error><Code>InvalidIdentityToken</Code>"
                    "<Message>Token expired</Message></Error></ErrorResponse>");
  });
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<Credentials> creds = chain->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("InvalidIdentityToken"), std::string::npos);
  EXPECT_NE(creds.status().message().find("https://sts.us-east-1.amazonaws.com"), std::string::npos)
      << creds.status().message();
  ExpectNoSecrets(creds.status().ToString());
}

// ---- Container ------------------------------------------------------------------------

std::string ContainerJson(int64_t expiration_ms) {
  return R"({"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": ")" + std::string(kSecret) +
         R"(", "Token": "ctok", "Expiration": ")" + FormatTimestamp(expiration_ms) +
         R"(", "RoleArn": "arn:aws:iam::1:role/task"})";
}

TEST_F(CredentialsTest, ContainerRelativeUri) {
  WriteFiles("", "");
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  FakeHttpClient http(
      [this](const net::HttpRequest&) { return Response(200, ContainerJson(now() + 3600000)); });
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<ExpiringCredentials> creds = chain->GetExpiring();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->credentials.access_key_id, "ASIACONTAINER");
  EXPECT_EQ(creds->credentials.session_token, "ctok");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url, "http://169.254.170.2/v2/credentials/abc");
  EXPECT_FALSE(HeaderOf(http.requests[0], "Authorization").has_value());
}

TEST_F(CredentialsTest, ContainerFullUriWithToken) {
  WriteFiles("", "");
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds");
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc");
  FakeHttpClient http(
      [this](const net::HttpRequest&) { return Response(200, ContainerJson(now() + 3600000)); });
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  ASSERT_TRUE(chain->Get().ok());
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:8080/creds");
  EXPECT_EQ(HeaderOf(http.requests[0], "Authorization"), "Basic abc");

  // The token file wins over the variable.
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.Write("eks-token", "from-file\n"));
  auto again = MakeContainerCredentialsProvider(ProcessEnv(), Deps(&http));
  ASSERT_TRUE(again->Get().ok());
  EXPECT_EQ(HeaderOf(http.requests.back(), "Authorization"), "from-file");
}

TEST_F(CredentialsTest, ContainerRejectsPlainHttpToRemoteHosts) {
  WriteFiles("", "");
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example/creds");
  FakeHttpClient http([](const net::HttpRequest&) { return Response(200, "{}"); });
  Result<Credentials> creds = MakeDefaultCredentialsProvider(Load(), Deps(&http))->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(http.requests.empty());
}

// ---- IMDS -------------------------------------------------------------------------------

TEST_F(CredentialsTest, ImdsV2) {
  WriteFiles("", "");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]/");
  FakeHttpClient http([this](const net::HttpRequest& r) -> Result<net::HttpResponse> {
    if (r.method == "PUT") return Response(200, "IMDS-SESSION-TOKEN");
    if (r.url.ends_with("/security-credentials/")) return Response(200, "my-role\n");
    return Response(200, R"({"Code": "Success", "Type": "AWS-HMAC", )"
                         R"("AccessKeyId": "ASIAIMDS", "SecretAccessKey": ")" +
                             std::string(kSecret) + R"(", "Token": "itok", "Expiration": ")" +
                             FormatTimestamp(now() + 6 * 3600000) + "\"}");
  });
  auto chain = MakeDefaultCredentialsProvider(Load(), Deps(&http));
  Result<ExpiringCredentials> creds = chain->GetExpiring();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(creds->credentials.session_token, "itok");
  ASSERT_EQ(http.requests.size(), 3u);
  EXPECT_EQ(http.requests[0].method, "PUT");
  EXPECT_EQ(http.requests[0].url, "http://[fd00:ec2::254]/latest/api/token");
  EXPECT_EQ(HeaderOf(http.requests[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(http.requests[1].url,
            "http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(http.requests[2].url,
            "http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/my-role");
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(HeaderOf(http.requests[i], "X-aws-ec2-metadata-token"), "IMDS-SESSION-TOKEN");
  }
}

TEST_F(CredentialsTest, ImdsUnreachableAndDisabled) {
  WriteFiles("", "");
  FakeHttpClient down(
      [](const net::HttpRequest&) -> Result<net::HttpResponse> { return Unavailable("connect"); });
  Result<Credentials> creds = MakeDefaultCredentialsProvider(Load(), Deps(&down))->Get();
  EXPECT_EQ(creds.status().code(), StatusCode::kNotFound);
  ASSERT_EQ(down.requests.size(), 1u);
  EXPECT_EQ(down.requests[0].url, "http://169.254.169.254/latest/api/token");

  env_.Set("AWS_EC2_METADATA_DISABLED", "True");
  FakeHttpClient unused([](const net::HttpRequest&) { return Response(200, ""); });
  EXPECT_EQ(MakeDefaultCredentialsProvider(Load(), Deps(&unused))->Get().status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(unused.requests.empty());
}

TEST_F(CredentialsTest, ImdsV1FallbackWhenTokenForbidden) {
  WriteFiles("", "");
  FakeHttpClient http([](const net::HttpRequest& r) -> Result<net::HttpResponse> {
    if (r.method == "PUT") return Response(403, "");
    if (r.url.ends_with("/")) return Response(200, "role");
    return Response(200, R"({"AccessKeyId": "ASIAV1", "SecretAccessKey": "s", "Token": "t"})");
  });
  Result<Credentials> creds = MakeDefaultCredentialsProvider(Load(), Deps(&http))->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "ASIAV1");
  EXPECT_FALSE(HeaderOf(http.requests[1], "X-aws-ec2-metadata-token").has_value());
}

}  // namespace
}  // namespace recoup::aws
