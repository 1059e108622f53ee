#include "recoup/io/byte_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace recoup::io {
namespace {

std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Result<std::string> Drain(ByteSource* s, size_t chunk = 7) {
  std::string out;
  std::string buf(chunk, '\0');
  for (;;) {
    RECOUP_ASSIGN_OR_RETURN(size_t k, s->Read(buf.data(), buf.size()));
    if (k == 0) return out;
    out.append(buf.data(), k);
  }
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/recoup-io-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& data) {
    const std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << data;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Payload(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "{\"eventID\":\"" + std::to_string(i * 7919) + "\"}\n";
  s.resize(n);
  return s;
}

TEST(ByteSourceTest, GunzipRoundTripsAnyChunkSize) {
  const std::string data = Payload(3 << 20);
  const std::string gz = Gzip(data);
  for (size_t chunk : {1u, 7u, 4096u, 1u << 20}) {
    auto src = Gunzip(FromMemory(gz), "mem");
    auto out = Drain(src.get(), chunk);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, data);
  }
}

TEST(ByteSourceTest, ConcatenatedGzipMembersAreAllRead) {
  const std::string a = Payload(1000), b = Payload(5000);
  const std::string both = Gzip(a) + Gzip(b);
  auto src = Gunzip(FromMemory(both), "mem");
  EXPECT_EQ(*Drain(src.get()), a + b);
}

TEST(ByteSourceTest, TruncatedGzipIsDataLossNamingTheFile) {
  const std::string gz = Gzip(Payload(200000));
  for (size_t cut : {gz.size() / 2, gz.size() - 4, size_t{5}}) {
    auto src = Gunzip(FromMemory(std::string_view(gz).substr(0, cut)), "logs/x.json.gz");
    auto out = Drain(src.get(), 4096);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(out.status().message().find("logs/x.json.gz"), std::string::npos);
  }
}

TEST(ByteSourceTest, CorruptGzipIsDataLoss) {
  std::string gz = Gzip(Payload(100000));
  gz[gz.size() / 2] ^= 0x55;
  gz[gz.size() / 2 + 1] ^= 0x55;
  auto src = Gunzip(FromMemory(gz), "bad.gz");
  EXPECT_FALSE(Drain(src.get(), 4096).ok());
}

TEST(ByteSourceTest, OpenMaybeGzipSniffsMagicNotExtension) {
  TempDir dir;
  const std::string data = Payload(10000);
  auto plain = OpenMaybeGzip(dir.Write("a.json.gz", data));  // misnamed: plain
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*Drain(plain->get()), data);
  auto gz = OpenMaybeGzip(dir.Write("b.json", Gzip(data)));  // misnamed: gzip
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(*Drain(gz->get()), data);
  auto empty = OpenMaybeGzip(dir.Write("empty", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*Drain(empty->get()), "");
  auto missing = OpenMaybeGzip(dir.path() + "/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(ByteSourceTest, ListsFilesRecursivelySortedSkippingDigestsAndHidden) {
  TempDir dir;
  dir.Write("AWSLogs/1/CloudTrail/us-east-1/2026/10/02/b.json.gz", "x");
  dir.Write("AWSLogs/1/CloudTrail/us-east-1/2026/10/01/a.json.gz", "x");
  dir.Write("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/10/01/d.json.gz", "x");
  dir.Write(".hidden/z.json", "x");
  auto files = ListInputFiles({dir.path()});
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_NE((*files)[0].find("/01/a.json.gz"), std::string::npos);
  EXPECT_NE((*files)[1].find("/02/b.json.gz"), std::string::npos);
  EXPECT_EQ(ListInputFiles({dir.path() + "/missing"}).status().code(), StatusCode::kNotFound);
}

TEST(ByteSourceTest, NamesAndSkipsDevicesFifosDanglingLinksAndLoops) {
  namespace fs = std::filesystem;
  TempDir dir;
  dir.Write("in/a.json", "x");
  dir.Write("in/sub/b.json", "x");
  const std::string in = dir.path() + "/in";
  ASSERT_EQ(::mkfifo((in + "/fifo").c_str(), 0600), 0);
  fs::create_symlink(in + "/a.json", in + "/link-to-a.json");
  fs::create_symlink(in + "/nowhere.json", in + "/dangling.json");
  fs::create_symlink(in + "/loop2", in + "/loop1");
  fs::create_symlink(in + "/loop1", in + "/loop2");
  fs::create_symlink("/dev/zero", in + "/zero.json");
  fs::create_symlink(in + "/sub", in + "/link-to-sub");
  std::vector<SkippedEntry> skipped;
  auto files = ListInputFiles({in}, &skipped);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(*files,
            (std::vector<std::string>{in + "/a.json", in + "/link-to-a.json", in + "/sub/b.json"}));
  std::vector<std::string> got;
  for (const SkippedEntry& e : skipped) got.push_back(e.Message());
  EXPECT_EQ(got, (std::vector<std::string>{
                     in + "/dangling.json: skipped: a dangling symbolic link (to " + in +
                         "/nowhere.json)",
                     in + "/fifo: skipped: a FIFO (named pipe)",
                     in + "/link-to-sub: skipped: a symbolic link to a folder (not followed)",
                     in + "/loop1: skipped: a symbolic link loop",
                     in + "/loop2: skipped: a symbolic link loop",
                     in + "/zero.json: skipped: a symbolic link to a character device"}));
  // Without a list to fill, the same files and no throw.
  auto again = ListInputFiles({in});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 3u);
}

TEST(PipeTest, CarriesBytesAcrossThreadsWithBoundedBuffer) {
  Pipe pipe(1000);  // far smaller than what goes through
  std::string sent;
  for (int i = 0; i < 20000; ++i) sent += std::to_string(i) + ",";
  std::thread producer([&] {
    for (size_t off = 0; off < sent.size(); off += 777) {
      ASSERT_TRUE(pipe.Write(sent.data() + off, std::min<size_t>(777, sent.size() - off)));
    }
    pipe.CloseWrite();
  });
  std::string got;
  char buf[333];
  for (;;) {
    auto r = pipe.Read(buf, sizeof(buf));
    ASSERT_TRUE(r.ok());
    if (*r == 0) break;
    got.append(buf, *r);
  }
  producer.join();
  EXPECT_EQ(got, sent);
}

TEST(PipeTest, ProducerFailureReachesReaderAfterBufferedBytes) {
  Pipe pipe(64);
  ASSERT_TRUE(pipe.Write("abc", 3));
  pipe.CloseWrite(Unavailable("connection reset"));
  char buf[16];
  auto r = pipe.Read(buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, *r), "abc");
  auto e = pipe.Read(buf, sizeof(buf));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "connection reset");
}

TEST(PipeTest, ClosingTheReadEndUnblocksAFullProducer) {
  Pipe pipe(8);
  std::atomic<bool> refused{false};
  std::thread producer([&] {
    std::string big(1000, 'x');
    refused = !pipe.Write(big.data(), big.size());  // blocks when full
  });
  char buf[4];
  ASSERT_TRUE(pipe.Read(buf, sizeof(buf)).ok());
  pipe.CloseRead();
  producer.join();
  EXPECT_TRUE(refused.load());
}

}  // namespace
}  // namespace recoup::io
