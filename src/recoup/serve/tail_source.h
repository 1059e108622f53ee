// Follows a JSON-lines log file as it grows (like `tail -F`): complete lines
// from the checkpointed offset are parsed with the configured field mapping
// and committed together with the new offset, so a restart resumes exactly
// after the last committed line. A rotated file (new inode) is read from its
// start; a truncated file (size below the offset) too.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "recoup/core/status.h"
#include "recoup/serve/config.h"
#include "recoup/serve/live_sink.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

// The checkpoint value: "<device>:<inode>:<offset>".
struct TailPosition {
  uint64_t device = 0, inode = 0;
  int64_t offset = 0;
  std::string ToString() const;
  static bool Parse(const std::string& text, TailPosition* out);
};

class TailSource {
 public:
  TailSource(JsonlSourceConfig config, std::string default_account,
             std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink);
  ~TailSource();
  TailSource(const TailSource&) = delete;
  TailSource& operator=(const TailSource&) = delete;

  // Reads the checkpoint from `store`, validates the mapping, starts the thread.
  Status Start(storage::Store& store);
  void Stop();
  const std::string& source_name() const { return name_; }

 private:
  void Run();

  JsonlSourceConfig config_;
  std::string default_account_;
  std::shared_ptr<const sla::Catalog> catalog_;
  LiveSink* sink_;
  std::string name_, checkpoint_key_;
  TailPosition pos_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace recoup::serve
