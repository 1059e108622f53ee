// The AWS SDK client-side monitoring (CSM) listener: a UDP socket on
// 127.0.0.1:31000 (the SDKs' default) receiving the JSON datagrams an SDK
// sends for every API call attempt when AWS_CSM_ENABLED=true. Each
// ApiCallAttempt becomes an event (request ID, HTTP status, AWS error code);
// ApiCall summaries are skipped. Datagrams are read in bursts (recvmmsg) on
// one thread and handed to the LiveSink in batches.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/ingest/record_parser.h"
#include "recoup/serve/config.h"
#include "recoup/serve/csm_attribution.h"
#include "recoup/serve/live_sink.h"
#include "recoup/sla/catalog.h"

namespace recoup::serve {

class CsmListener {
 public:
  // `attributor` (may be null) attributes datagrams the mapping and the
  // default account do not; what it cannot yet is kept in the store.
  CsmListener(CsmSourceConfig config, std::string default_account,
              std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink,
              CsmAttributor* attributor = nullptr);
  ~CsmListener();
  CsmListener(const CsmListener&) = delete;
  CsmListener& operator=(const CsmListener&) = delete;

  // Binds the socket (errors name the address) and starts the thread.
  Status Start();
  void Stop();

  int64_t datagrams() const { return datagrams_.load(std::memory_order_relaxed); }
  int64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  int64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
  // Datagrams dropped because their source is not in allow_from.
  int64_t refused_source() const { return refused_source_.load(std::memory_order_relaxed); }
  int64_t unattributed() const { return unattributed_.load(std::memory_order_relaxed); }
  int bound_port() const { return bound_port_; }

 private:
  void Run();
  bool Allowed(const sockaddr_in& from) const;

  CsmSourceConfig config_;
  std::string default_account_;
  std::shared_ptr<const sla::Catalog> catalog_;
  LiveSink* sink_;
  CsmAttributor* attributor_;
  int fd_ = -1;
  int bound_port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> datagrams_{0}, rejected_{0}, skipped_{0}, refused_source_{0},
      unattributed_{0};
  std::vector<std::pair<uint32_t, uint32_t>> allow_;  // (network, mask), host order
  std::thread thread_;
};

}  // namespace recoup::serve
