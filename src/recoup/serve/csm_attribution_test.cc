// CSM attribution end to end inside one process: real UDP datagrams to the
// listener, the live commit path into a real SQLite store, and a lookup
// standing in for sts:GetAccessKeyInfo (the integration test uses moto's).
#include "recoup/serve/csm_attribution.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "recoup/core/clock.h"
#include "recoup/report/report.h"
#include "recoup/serve/csm_listener.h"
#include "recoup/serve/live_sink.h"
#include "recoup/storage/temp_store_test_util.h"

namespace recoup::serve {
namespace {

constexpr const char* kKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kOwner = "210987654321";

std::string Datagram(int64_t t_ms, const std::string& rid, const std::string& key) {
  return R"({"Version":1,"ClientId":"t","Type":"ApiCallAttempt","Service":"KMS","Api":"Decrypt",)"
         R"("Timestamp":)" +
         std::to_string(t_ms) + R"(,"AttemptLatency":12,"Region":"us-east-1","AccessKey":")" + key +
         R"(","HttpStatusCode":200,"XAmznRequestId":")" + rid + R"("})";
}

// Waits for `done` (checked every 10 ms, at most 60 s): the threads under
// test report through the store, not through a callback.
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class CsmAttributionTest : public storage::TempStoreTest {
 protected:
  // The serve runtime's CSM path: sink, attributor, listener on a free port.
  struct Runtime {
    std::unique_ptr<LiveSink> sink;
    std::unique_ptr<CsmAttributor> attributor;
    std::unique_ptr<CsmListener> listener;
    ~Runtime() { Stop(); }
    void Stop() {
      if (listener) listener->Stop();
      if (attributor) attributor->Stop();
      if (sink) sink->Stop();
    }
  };

  std::unique_ptr<Runtime> Start(AttributionOptions ao) {
    auto rt = std::make_unique<Runtime>();
    auto catalog = sla::Catalog::Default();
    rt->sink = std::make_unique<LiveSink>(OpenStore(), 20, catalog->FinestIntervalMs());
    rt->sink->Start();
    ao.scan_every_ms = 20;
    rt->attributor =
        std::make_unique<CsmAttributor>(std::move(ao), OpenStore(), catalog, rt->sink.get());
    rt->attributor->Start();
    CsmSourceConfig cc;
    cc.listen.port = 0;
    cc.access_key_accounts = {};
    rt->listener =
        std::make_unique<CsmListener>(cc, "", catalog, rt->sink.get(), rt->attributor.get());
    EXPECT_TRUE(rt->listener->Start().ok());
    return rt;
  }

  void Send(int port, const std::vector<std::string>& datagrams) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    for (const std::string& d : datagrams) {
      ASSERT_EQ(sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
                static_cast<ssize_t>(d.size()));
    }
    close(fd);
  }

  std::vector<std::string> Calls(int n, const std::string& key) {
    std::vector<std::string> out;
    const int64_t now = SystemClock().NowMs();
    for (int i = 0; i < n; ++i)
      out.push_back(Datagram(now, key + "-req-" + std::to_string(i), key));
    return out;
  }

  // Requests `recoup report` counts for `account` in us-east-1 this month.
  int64_t Requests(const std::string& account) {
    auto store = OpenStore();
    storage::SeriesFilter f;
    f.account = account;
    auto rows = report::BuildReport(*store, *sla::Catalog::Default(), f);
    if (!rows.ok()) return -1;
    int64_t n = 0;
    for (const auto& r : *rows) n += r.verdict.requests;
    return n;
  }

  int64_t Kept() {
    auto store = OpenStore();
    auto counts = store->CountUnattributed();
    if (!counts.ok()) return -1;
    int64_t n = 0;
    for (const auto& [k, c] : *counts) n += c;
    return n;
  }
};

TEST_F(CsmAttributionTest, AnUnknownKeyIsKeptDurablyAndAttributedWhenAMappingAppears) {
  std::atomic<int> calls{0};
  AttributionOptions ao;
  ao.lookup = [&](const std::string&) -> Result<std::string> {
    ++calls;
    return FailedPrecondition("not authorized to perform sts:GetAccessKeyInfo");
  };
  ao.retry_lookup_ms = 3600 * 1000;
  {
    auto rt = Start(ao);
    Send(rt->listener->bound_port(), Calls(7, kKey));
    ASSERT_TRUE(WaitFor([&] { return Kept() == 7; })) << Kept();
    ASSERT_TRUE(WaitFor([&] { return rt->attributor->pending_total() == 7; }));
    EXPECT_EQ(rt->sink->Stats()["csm"].unattributed, 7);
    EXPECT_EQ(rt->sink->Stats()["csm"].events_in, 0);
    EXPECT_EQ(rt->listener->rejected(), 0);
    EXPECT_EQ(calls.load(), 1);  // one lookup per new key, not per datagram
  }
  // A restart keeps them (they are in the store) until the key is mapped.
  EXPECT_EQ(Kept(), 7);
  EXPECT_EQ(Requests(kOwner), 0);
  ao.mapping = {{kKey, kOwner}};
  auto rt = Start(ao);
  ASSERT_TRUE(WaitFor([&] { return Requests(kOwner) == 7; })) << Requests(kOwner);
  EXPECT_EQ(Kept(), 0);
  ASSERT_TRUE(WaitFor([&] { return rt->attributor->pending_total() == 0; }));
  ASSERT_TRUE(WaitFor([&] { return rt->attributor->attributed() == 7; }))
      << rt->attributor->attributed();
}

TEST_F(CsmAttributionTest, TheLookupAttributesLiveAndKeptDatagramsOncePerKey) {
  std::atomic<int> calls{0};
  std::atomic<bool> answer{false};
  AttributionOptions ao;
  ao.lookup = [&](const std::string& key) -> Result<std::string> {
    ++calls;
    // Until released, the lookup has not answered yet (first datagrams are kept).
    while (!answer.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (key == kKey) return std::string(kOwner);
    return NotFound("no such key");
  };
  auto rt = Start(ao);
  const int port = rt->listener->bound_port();
  Send(port, Calls(4, kKey));
  ASSERT_TRUE(WaitFor([&] { return Kept() == 4; }));
  answer = true;
  ASSERT_TRUE(WaitFor([&] { return Requests(kOwner) == 4; }));
  // Known now: attributed as they arrive, without another lookup.
  std::vector<std::string> live;
  const int64_t now = SystemClock().NowMs();
  for (int i = 0; i < 6; ++i) live.push_back(Datagram(now, "live-" + std::to_string(i), kKey));
  Send(port, live);
  ASSERT_TRUE(WaitFor([&] { return Requests(kOwner) == 10; })) << Requests(kOwner);
  EXPECT_EQ(Kept(), 0);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(rt->sink->Stats()["csm"].events_in, 10);
  EXPECT_EQ(rt->sink->Stats()["csm"].unattributed, 4);
}

TEST_F(CsmAttributionTest, KeptRecordsAreBounded) {
  AttributionOptions ao;  // no lookup: nothing attributes these
  ao.max_kept = 3;
  auto rt = Start(ao);
  Send(rt->listener->bound_port(), Calls(5, kKey));
  ASSERT_TRUE(WaitFor([&] { return Kept() + rt->listener->rejected() == 5; }));
  EXPECT_EQ(Kept(), 3);
  EXPECT_EQ(rt->listener->rejected(), 2);
  EXPECT_EQ(rt->listener->unattributed(), 3);
}

TEST(MaskAccessKey, KeepsEnoughToRecogniseTheKey) {
  EXPECT_EQ(MaskAccessKey("AKIAIOSFODNN7EXAMPLE"), "AKIA...MPLE");
  EXPECT_EQ(MaskAccessKey(""), "(none)");
  EXPECT_EQ(MaskAccessKey("short"), "sh...");
}

}  // namespace
}  // namespace recoup::serve
