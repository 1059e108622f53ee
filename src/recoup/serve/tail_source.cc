#include "recoup/serve/tail_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "recoup/ingest/record_parser.h"

namespace recoup::serve {

namespace {
constexpr size_t kChunk = 1 << 20;
constexpr size_t kPadding = 64;
constexpr size_t kMaxLine = 16 << 20;
}  // namespace

std::string TailPosition::ToString() const {
  return std::to_string(device) + ":" + std::to_string(inode) + ":" + std::to_string(offset);
}

bool TailPosition::Parse(const std::string& text, TailPosition* out) {
  unsigned long long d = 0, i = 0;
  long long o = 0;
  if (std::sscanf(text.c_str(), "%llu:%llu:%lld", &d, &i, &o) != 3 || o < 0) return false;
  out->device = d;
  out->inode = i;
  out->offset = o;
  return true;
}

TailSource::TailSource(JsonlSourceConfig config, std::string default_account,
                       std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink)
    : config_(std::move(config)),
      default_account_(std::move(default_account)),
      catalog_(std::move(catalog)),
      sink_(sink) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(config_.path, ec);
  name_ = "jsonl:" + (ec ? config_.path : abs.string());
  checkpoint_key_ = name_;
}

TailSource::~TailSource() { Stop(); }

Status TailSource::Start(storage::Store& store) {
  if (!config_.mapping.empty()) {
    auto m = ingest::JsonlMapping::Parse(config_.mapping);
    if (!m.ok()) return m.status().WithPrefix("sources.jsonl " + config_.path + ": mapping");
  }
  RECOUP_ASSIGN_OR_RETURN(auto cps, store.LoadCheckpoints(checkpoint_key_));
  auto it = cps.find(checkpoint_key_);
  if (it != cps.end() && !TailPosition::Parse(it->second, &pos_)) {
    return DataLoss(checkpoint_key_ + ": unreadable checkpoint '" + it->second + "'");
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void TailSource::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TailSource::Run() {
  ingest::ParserOptions po;
  po.format = ingest::InputFormat::kJsonl;
  po.default_account = config_.account.empty() ? default_account_ : config_.account;
  if (!config_.mapping.empty()) {
    auto m = ingest::JsonlMapping::Parse(config_.mapping);
    if (m.ok()) po.mapping = *m;
  }
  po.clock = &sink_->clock();
  ingest::RecordParser parser(catalog_, po);
  std::vector<char> buf;
  std::string error;
  int64_t line_no = 0;
  int fd = -1;
  bool warned = false;

  while (!stop_.load()) {
    struct stat path_st {};
    const bool exists = ::stat(config_.path.c_str(), &path_st) == 0;
    if (fd < 0 && exists) {
      fd = ::open(config_.path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      if (fd >= 0 && ::fstat(fd, &st) == 0) {
        if (st.st_dev != pos_.device || st.st_ino != pos_.inode || st.st_size < pos_.offset) {
          pos_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), 0};
        }
      }
    }
    bool progressed = false;
    if (fd >= 0) {
      // Read complete lines from the offset.
      const size_t have = buf.size();
      buf.resize(have + kChunk + kPadding);
      const ssize_t n =
          ::pread(fd, buf.data() + have, kChunk, pos_.offset + static_cast<int64_t>(have));
      buf.resize(have + (n > 0 ? static_cast<size_t>(n) : 0));
      size_t start = 0;
      LiveBatch batch;
      batch.source = name_;
      batch.arrival_ns = sink_->clock().MonotonicNs();
      for (size_t i = 0; i < buf.size(); ++i) {
        if (buf[i] != '\n') continue;
        ++line_no;
        size_t end = i;
        if (end > start && buf[end - 1] == '\r') --end;
        bool blank = true;
        for (size_t k = start; k < end && blank; ++k) blank = buf[k] == ' ' || buf[k] == '\t';
        if (!blank) {
          std::string padded(buf.data() + start, end - start);
          padded.append(kPadding, '\0');
          ingest::RawRecord rec;
          rec.json = std::string_view(padded.data(), end - start);
          rec.capacity = padded.size();
          rec.line = line_no;
          events::EventView v;
          switch (parser.Parse(rec, &v, &error)) {
            case ingest::ParseOutcome::kAccepted:
              batch.events.push_back(events::Event::From(v));
              break;
            case ingest::ParseOutcome::kSkipped:
              break;
            case ingest::ParseOutcome::kRejected:
              ++batch.rejected;
              if (!warned) {
                std::fprintf(stderr, "recoup serve: %s: %s\n", name_.c_str(), error.c_str());
                warned = true;
              }
              break;
          }
        }
        start = i + 1;
      }
      if (start > 0) {
        pos_.offset += static_cast<int64_t>(start);
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(start));
        batch.checkpoints.emplace_back(checkpoint_key_, pos_.ToString());
        (void)sink_->Submit(std::move(batch));
        progressed = true;
      } else if (buf.size() > kMaxLine) {
        std::fprintf(stderr, "recoup serve: %s: line over 16 MiB at offset %" PRId64 " skipped\n",
                     name_.c_str(), pos_.offset);
        pos_.offset += static_cast<int64_t>(buf.size());
        buf.clear();
      }
      // Rotated or truncated: finish the old file, then switch.
      if (!progressed && n == 0) {
        const bool rotated = exists && (static_cast<uint64_t>(path_st.st_ino) != pos_.inode ||
                                        static_cast<uint64_t>(path_st.st_dev) != pos_.device);
        const bool truncated = exists && !rotated && path_st.st_size < pos_.offset;
        if (rotated || truncated || !exists) {
          ::close(fd);
          fd = -1;
          buf.clear();
          if (truncated) pos_.offset = 0;
          continue;
        }
      }
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(config_.poll_ms));
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace recoup::serve
