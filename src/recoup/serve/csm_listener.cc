#include "recoup/serve/csm_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace recoup::serve {

namespace {
constexpr int kBurst = 64;
constexpr size_t kMaxDatagram = 65536;
constexpr size_t kPadding = 64;  // the JSON parser reads past the end
constexpr size_t kFlushEvents = 4096;
constexpr int64_t kFlushNs = 20'000'000;  // a partial batch waits at most 20 ms
}  // namespace

CsmListener::CsmListener(CsmSourceConfig config, std::string default_account,
                         std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink)
    : config_(std::move(config)),
      default_account_(std::move(default_account)),
      catalog_(std::move(catalog)),
      sink_(sink) {}

CsmListener::~CsmListener() { Stop(); }

Status CsmListener::Start() {
  const std::string where = "sources.csm.listen " + config_.listen.ToString();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(config_.listen.port));
  const std::string host = config_.listen.host == "localhost" ? "127.0.0.1" : config_.listen.host;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument(where + ": not an IPv4 address");
  }
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Unavailable(where + ": socket: " + std::strerror(errno));
  // A large receive buffer absorbs bursts while a batch is being handed over.
  int want = static_cast<int>(config_.receive_buffer_bytes);
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0) {
    (void)setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  }
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string err = std::strerror(errno);
    close(fd_);
    fd_ = -1;
    return Unavailable(where + ": bind: " + err);
  }
  socklen_t len = sizeof(addr);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  bound_port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void CsmListener::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void CsmListener::Run() {
  ingest::ParserOptions po;
  po.format = ingest::InputFormat::kCsm;
  po.default_account = config_.account.empty() ? default_account_ : config_.account;
  po.access_key_accounts = config_.access_key_accounts;
  po.clock = &sink_->clock();
  ingest::RecordParser parser(catalog_, po);

  std::vector<char> bufs(kBurst * (kMaxDatagram + kPadding));
  std::vector<mmsghdr> msgs(kBurst);
  std::vector<iovec> iov(kBurst);
  for (int i = 0; i < kBurst; ++i) {
    iov[i].iov_base = bufs.data() + static_cast<size_t>(i) * (kMaxDatagram + kPadding);
    iov[i].iov_len = kMaxDatagram;
  }
  LiveBatch batch;
  batch.source = "csm";
  int64_t batch_rejected = 0;
  std::string error;
  bool warned = false;

  auto flush = [&] {
    if (batch.events.empty() && batch_rejected == 0) return;
    batch.rejected = batch_rejected;
    (void)sink_->Submit(std::move(batch));
    batch = LiveBatch{};
    batch.source = "csm";
    batch_rejected = 0;
  };

  while (!stop_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBurst; ++i) {
      std::memset(&msgs[i].msg_hdr, 0, sizeof(msghdr));
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd_, msgs.data(), kBurst, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        std::fprintf(stderr, "recoup serve: csm: recvmmsg: %s\n", std::strerror(errno));
      }
      // Idle: hand over what is waiting, then sleep until data or 20 ms.
      if (!batch.events.empty() && sink_->clock().MonotonicNs() - batch.arrival_ns >= kFlushNs)
        flush();
      pollfd p{fd_, POLLIN, 0};
      (void)poll(&p, 1, batch.events.empty() ? 100 : 5);
      continue;
    }
    const int64_t now = sink_->clock().MonotonicNs();
    datagrams_.fetch_add(n, std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      char* data = static_cast<char*>(iov[i].iov_base);
      const size_t len = msgs[i].msg_len;
      std::memset(data + len, 0, kPadding);
      ingest::RawRecord rec;
      rec.json = std::string_view(data, len);
      rec.capacity = len + kPadding;
      rec.line = 1;
      rec.index = datagrams_.load(std::memory_order_relaxed);
      events::EventView v;
      switch (parser.Parse(rec, &v, &error)) {
        case ingest::ParseOutcome::kAccepted:
          if (batch.events.empty()) batch.arrival_ns = now;
          batch.events.push_back(events::Event::From(v));
          break;
        case ingest::ParseOutcome::kSkipped:
          skipped_.fetch_add(1, std::memory_order_relaxed);
          break;
        case ingest::ParseOutcome::kRejected:
          rejected_.fetch_add(1, std::memory_order_relaxed);
          ++batch_rejected;
          if (!warned) {  // once: a misconfigured SDK sends the same thing every call
            std::fprintf(stderr, "recoup serve: csm: datagram rejected: %s\n", error.c_str());
            warned = true;
          }
          break;
      }
    }
    if (batch.events.size() >= kFlushEvents ||
        (!batch.events.empty() && now - batch.arrival_ns >= kFlushNs)) {
      flush();
    }
  }
  flush();
}

}  // namespace recoup::serve
