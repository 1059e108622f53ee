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
                         std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink,
                         CsmAttributor* attributor)
    : config_(std::move(config)),
      default_account_(std::move(default_account)),
      catalog_(std::move(catalog)),
      sink_(sink),
      attributor_(attributor) {}

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
  if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    // Any host that reaches the port can add events (and series) to the
    // store: say so, and how to narrow it.
    std::fprintf(stderr,
                 "recoup: warning: csm: %s:%d is not a loopback address: any host that can "
                 "reach it can send datagrams%s\n",
                 host.c_str(), bound_port_,
                 config_.allow_from.empty()
                     ? "; restrict the senders with sources.csm.allow_from (or --csm-allow)"
                     : "; only the addresses in sources.csm.allow_from are taken");
  }
  for (const std::string& a : config_.allow_from) {
    uint32_t net = 0, mask = 0;
    if (!ParseIpv4Range(a, &net, &mask)) {
      close(fd_);
      fd_ = -1;
      return InvalidArgument("sources.csm.allow_from: '" + a + "' is not an IPv4 address or range");
    }
    allow_.emplace_back(net, mask);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void CsmListener::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool CsmListener::Allowed(const sockaddr_in& from) const {
  if (allow_.empty()) return true;
  const uint32_t a = ntohl(from.sin_addr.s_addr);
  for (const auto& [net, mask] : allow_) {
    if ((a & mask) == net) return true;
  }
  return false;
}

void CsmListener::Run() {
  ingest::ParserOptions po;
  po.format = ingest::InputFormat::kCsm;
  po.default_account = config_.account.empty() ? default_account_ : config_.account;
  po.access_key_accounts = config_.access_key_accounts;
  po.keep_unattributed = attributor_ != nullptr && po.default_account.empty();
  po.clock = &sink_->clock();
  ingest::RecordParser parser(catalog_, po);

  std::vector<char> bufs(kBurst * (kMaxDatagram + kPadding));
  std::vector<mmsghdr> msgs(kBurst);
  std::vector<iovec> iov(kBurst);
  std::vector<sockaddr_in> from(kBurst);
  bool named_refused = false;
  for (int i = 0; i < kBurst; ++i) {
    iov[i].iov_base = bufs.data() + static_cast<size_t>(i) * (kMaxDatagram + kPadding);
    iov[i].iov_len = kMaxDatagram;
  }
  LiveBatch batch;
  batch.source = "csm";
  int64_t batch_rejected = 0;
  std::string error;
  bool warned = false, warned_full = false;

  auto flush = [&] {
    if (batch.events.empty() && batch.unattributed.empty() && batch_rejected == 0) return;
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
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    const int n = recvmmsg(fd_, msgs.data(), kBurst, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        std::fprintf(stderr, "recoup serve: csm: recvmmsg: %s\n", std::strerror(errno));
      }
      // Idle: hand over what is waiting, then sleep until data or 20 ms.
      const bool waiting = !batch.events.empty() || !batch.unattributed.empty();
      if (waiting && sink_->clock().MonotonicNs() - batch.arrival_ns >= kFlushNs) flush();
      pollfd p{fd_, POLLIN, 0};
      (void)poll(&p, 1, waiting ? 5 : 100);
      continue;
    }
    const int64_t now = sink_->clock().MonotonicNs();
    datagrams_.fetch_add(n, std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      if (!Allowed(from[i])) {
        refused_source_.fetch_add(1, std::memory_order_relaxed);
        if (!named_refused) {  // once: the rest are counted (refused_source)
          char text[INET_ADDRSTRLEN] = "?";
          inet_ntop(AF_INET, &from[i].sin_addr, text, sizeof text);
          std::fprintf(stderr,
                       "recoup: warning: csm: dropped a datagram from %s (not in "
                       "sources.csm.allow_from); further ones are only counted\n",
                       text);
          named_refused = true;
        }
        continue;
      }
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
        case ingest::ParseOutcome::kAccepted: {
          if (batch.events.empty() && batch.unattributed.empty()) batch.arrival_ns = now;
          if (!v.account.empty() || attributor_ == nullptr) {
            batch.events.push_back(events::Event::From(v));
            break;
          }
          // No account from the mapping or the default: the attributor's.
          const std::string key(parser.csm_access_key());
          if (std::optional<std::string> account = attributor_->AccountOf(key)) {
            events::Event e = events::Event::From(v);
            e.account = *account;
            batch.events.push_back(std::move(e));
            break;
          }
          if (!attributor_->MayKeep()) {
            rejected_.fetch_add(1, std::memory_order_relaxed);
            ++batch_rejected;
            if (!warned_full) {
              std::fprintf(stderr,
                           "recoup serve: csm: too many datagrams wait for an account: "
                           "rejecting more until they are attributed (sources.csm.access_keys)\n");
              warned_full = true;
            }
            break;
          }
          storage::UnattributedRecord kept;
          kept.source = "csm";
          kept.access_key = key;
          kept.received_ms = sink_->clock().NowMs();
          kept.record.assign(data, len);
          batch.unattributed.push_back(std::move(kept));
          unattributed_.fetch_add(1, std::memory_order_relaxed);
          break;
        }
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
    const size_t held = batch.events.size() + batch.unattributed.size();
    if (held >= kFlushEvents || (held > 0 && now - batch.arrival_ns >= kFlushNs)) {
      flush();
    }
  }
  flush();
}

}  // namespace recoup::serve
