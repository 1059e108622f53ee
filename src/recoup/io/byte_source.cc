#include "recoup/io/byte_source.h"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>

#include "recoup/core/mutex.h"

namespace recoup::io {

namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      const ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno == EINTR) continue;
      return DataLoss(path_ + ": read failed: " + std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string path_;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view d) : data_(d) {}
  Result<size_t> Read(char* buf, size_t n) override {
    const size_t k = std::min(n, data_.size() - pos_);
    if (k > 0) std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> inner, std::string name, Buffer* scratch)
      : inner_(std::move(inner)),
        name_(std::move(name)),
        in_(scratch != nullptr ? scratch : &own_) {
    in_->Reserve(kInSize, 0);
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (done_) return size_t{0};
    n = std::min<size_t>(n, UINT32_MAX);
    state_.next_out = reinterpret_cast<uint8_t*>(buf);
    state_.avail_out = static_cast<uint32_t>(n);
    while (state_.avail_out == n) {
      if (state_.avail_in == 0 && !eof_) {
        auto r = inner_->Read(in_->data(), kInSize);
        if (!r.ok()) return r.status();
        if (*r == 0) {
          eof_ = true;
        } else {
          state_.next_in = reinterpret_cast<uint8_t*>(in_->data());
          state_.avail_in = static_cast<uint32_t>(*r);
          consumed_ += *r;
        }
      }
      if (state_.block_state == ISAL_BLOCK_FINISH) {
        // End of one member. Another may follow (concatenated gzip).
        if (state_.avail_in == 0 && eof_) {
          done_ = true;
          break;
        }
        if (state_.avail_in == 0) continue;
        // Next member: reset keeps nothing, so carry the input position over.
        uint8_t* next_in = state_.next_in;
        const uint32_t avail_in = state_.avail_in;
        uint8_t* next_out = state_.next_out;
        const uint32_t avail_out = state_.avail_out;
        isal_inflate_reset(&state_);
        state_.crc_flag = ISAL_GZIP;
        state_.next_in = next_in;
        state_.avail_in = avail_in;
        state_.next_out = next_out;
        state_.avail_out = avail_out;
        continue;
      }
      if (state_.avail_in == 0 && eof_) {
        return DataLoss(name_ + ": truncated gzip stream (input ended after " +
                        std::to_string(consumed_) + " compressed bytes)");
      }
      const int ret = isal_inflate(&state_);
      if (ret < 0) {
        return DataLoss(name_ + ": corrupt gzip stream near compressed byte " +
                        std::to_string(consumed_ - state_.avail_in) + " (isa-l error " +
                        std::to_string(ret) + ")");
      }
    }
    return n - state_.avail_out;
  }

 private:
  static constexpr size_t kInSize = 128 << 10;
  std::unique_ptr<ByteSource> inner_;
  std::string name_;
  Buffer own_;
  Buffer* in_;
  inflate_state state_{};
  bool eof_ = false;
  bool done_ = false;
  uint64_t consumed_ = 0;
};

class ObservingSource final : public ByteSource {
 public:
  ObservingSource(std::unique_ptr<ByteSource> inner, std::function<void(const char*, size_t)> fn)
      : inner_(std::move(inner)), fn_(std::move(fn)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    auto r = inner_->Read(buf, n);
    if (r.ok() && *r > 0) fn_(buf, *r);
    return r;
  }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::function<void(const char*, size_t)> fn_;
};

// Puts back bytes already read (to sniff the gzip magic).
class PrefixSource final : public ByteSource {
 public:
  PrefixSource(std::string prefix, std::unique_ptr<ByteSource> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      const size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return inner_->Read(buf, n);
  }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> inner_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound(path + ": cannot open: " + std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(fd, path));
}

std::unique_ptr<ByteSource> FromMemory(std::string_view data) {
  return std::make_unique<MemorySource>(data);
}

std::unique_ptr<ByteSource> Gunzip(std::unique_ptr<ByteSource> inner, std::string name,
                                   Buffer* scratch) {
  return std::make_unique<GzipSource>(std::move(inner), std::move(name), scratch);
}

std::unique_ptr<ByteSource> Concat(std::string_view prefix, std::unique_ptr<ByteSource> rest) {
  return std::make_unique<PrefixSource>(std::string(prefix), std::move(rest));
}

namespace {
class BorrowedSource final : public ByteSource {
 public:
  explicit BorrowedSource(ByteSource* inner) : inner_(inner) {}
  Result<size_t> Read(char* buf, size_t n) override { return inner_->Read(buf, n); }

 private:
  ByteSource* inner_;
};
}  // namespace

std::unique_ptr<ByteSource> Borrow(ByteSource* inner) {
  return std::make_unique<BorrowedSource>(inner);
}

struct Pipe::State {
  Mutex mu;
  std::condition_variable_any readable, writable;
  std::deque<std::string> chunks GUARDED_BY(mu);
  size_t front_offset GUARDED_BY(mu) = 0;  // bytes of chunks.front() already read
  size_t buffered GUARDED_BY(mu) = 0;
  size_t capacity = 0;  // set once, before any other thread sees the pipe
  bool write_closed GUARDED_BY(mu) = false;
  bool read_closed GUARDED_BY(mu) = false;
  Status final_status GUARDED_BY(mu);
};

Pipe::Pipe(size_t capacity) : state_(std::make_unique<State>()) {
  state_->capacity = capacity == 0 ? 1 : capacity;
}

Pipe::~Pipe() = default;

bool Pipe::Write(const char* data, size_t n) {
  State& st = *state_;
  MutexLock lock(st.mu);
  while (n > 0) {
    while (!(st.read_closed || st.buffered < st.capacity)) lock.Wait(st.writable);
    if (st.read_closed) return false;
    const size_t take = std::min(n, st.capacity - st.buffered);
    st.chunks.emplace_back(data, take);
    st.buffered += take;
    data += take;
    n -= take;
    st.readable.notify_one();
  }
  return !st.read_closed;
}

void Pipe::CloseWrite(Status status) {
  State& st = *state_;
  MutexLock lock(st.mu);
  st.write_closed = true;
  st.final_status = std::move(status);
  st.readable.notify_all();
}

void Pipe::CloseRead() {
  State& st = *state_;
  MutexLock lock(st.mu);
  st.read_closed = true;
  st.chunks.clear();
  st.buffered = 0;
  st.writable.notify_all();
}

Result<size_t> Pipe::Read(char* buf, size_t n) {
  State& st = *state_;
  MutexLock lock(st.mu);
  while (!(!st.chunks.empty() || st.write_closed || st.read_closed)) lock.Wait(st.readable);
  if (st.chunks.empty()) {
    if (!st.final_status.ok() && !st.read_closed) return st.final_status;
    return size_t{0};
  }
  size_t done = 0;
  while (done < n && !st.chunks.empty()) {
    std::string& front = st.chunks.front();
    const size_t take = std::min(n - done, front.size() - st.front_offset);
    // Bytes, not a C string: no terminator is wanted.
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    std::memcpy(buf + done, front.data() + st.front_offset, take);
    done += take;
    st.front_offset += take;
    if (st.front_offset == front.size()) {
      st.chunks.pop_front();
      st.front_offset = 0;
    }
  }
  st.buffered -= done;
  st.writable.notify_one();
  return done;
}

std::unique_ptr<ByteSource> Hashing(std::unique_ptr<ByteSource> inner, Sha256* hash) {
  return Observing(std::move(inner), [hash](const char* p, size_t n) { hash->Update(p, n); });
}

std::unique_ptr<ByteSource> Observing(std::unique_ptr<ByteSource> inner,
                                      std::function<void(const char*, size_t)> observe) {
  return std::make_unique<ObservingSource>(std::move(inner), std::move(observe));
}

Result<std::unique_ptr<ByteSource>> OpenMaybeGzip(const std::string& path, Sha256* hash,
                                                  Buffer* scratch) {
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> f, OpenFile(path));
  if (hash != nullptr) f = Hashing(std::move(f), hash);
  char magic[2];
  size_t got = 0;
  while (got < 2) {
    RECOUP_ASSIGN_OR_RETURN(size_t k, f->Read(magic + got, 2 - got));
    if (k == 0) break;
    got += k;
  }
  const bool gz = got == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
                  static_cast<unsigned char>(magic[1]) == 0x8b;
  auto src = std::make_unique<PrefixSource>(std::string(magic, got), std::move(f));
  if (gz) return Gunzip(std::move(src), path, scratch);
  return std::unique_ptr<ByteSource>(std::move(src));
}

Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> src, OpenMaybeGzip(path));
  std::string out;
  char buf[64 << 10];
  for (;;) {
    RECOUP_ASSIGN_OR_RETURN(size_t k, src->Read(buf, sizeof buf));
    if (k == 0) break;
    out.append(buf, k);
    if (out.size() > max_bytes) {
      return InvalidArgument(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

namespace {

const char* KindName(std::filesystem::file_type t) {
  namespace fs = std::filesystem;
  switch (t) {
    case fs::file_type::fifo:
      return "a FIFO (named pipe)";
    case fs::file_type::socket:
      return "a socket";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::directory:
      return "a folder";
    default:
      return "not a regular file";
  }
}

// Why a walked entry is not read, or nullopt when it is a regular file or a
// link to one.
std::optional<std::string> SkipReason(const std::filesystem::directory_entry& e) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status own = e.symlink_status(ec);
  if (ec) return "cannot stat: " + ec.message();
  if (fs::is_regular_file(own)) return std::nullopt;
  if (!fs::is_symlink(own)) return std::string(KindName(own.type()));
  const fs::file_status target = fs::status(e.path(), ec);
  if (ec == std::errc::too_many_symbolic_link_levels) return std::string("a symbolic link loop");
  if (ec == std::errc::no_such_file_or_directory || (!ec && !fs::exists(target))) {
    std::error_code rec;
    const fs::path to = fs::read_symlink(e.path(), rec);
    return "a dangling symbolic link" + (rec ? std::string() : " (to " + to.string() + ")");
  }
  if (ec) return "cannot follow symbolic link: " + ec.message();
  if (fs::is_regular_file(target)) return std::nullopt;
  if (fs::is_directory(target)) return std::string("a symbolic link to a folder (not followed)");
  return std::string("a symbolic link to ") + KindName(target.type());
}

}  // namespace

Result<std::vector<std::string>> ListInputFiles(const std::vector<std::string>& paths,
                                                std::vector<SkippedEntry>* skipped) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return NotFound(p + ": no such file or folder");
    if (fs::is_regular_file(st)) {
      out.push_back(p);
      continue;
    }
    if (!fs::is_directory(st)) return InvalidArgument(p + ": not a file or folder");
    std::vector<std::string> found;
    std::vector<SkippedEntry> passed;
    for (auto it =
             fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      // A real folder (never a link to one: is_directory() here would follow
      // it, and would throw on a link loop).
      std::error_code sec;
      const bool folder = fs::is_directory(it->symlink_status(sec)) && !sec;
      if (!name.empty() && name[0] == '.') {
        if (folder) it.disable_recursion_pending();
        continue;
      }
      if (folder) {
        if (name == "CloudTrail-Digest") it.disable_recursion_pending();
        continue;
      }
      if (std::optional<std::string> why = SkipReason(*it)) {
        passed.push_back(SkippedEntry{it->path().string(), std::move(*why)});
        continue;
      }
      found.push_back(it->path().string());
    }
    if (ec) return Unavailable(p + ": cannot list folder: " + ec.message());
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
    if (skipped != nullptr) {
      std::sort(passed.begin(), passed.end(),
                [](const SkippedEntry& a, const SkippedEntry& b) { return a.path < b.path; });
      skipped->insert(skipped->end(), passed.begin(), passed.end());
    }
  }
  return out;
}

}  // namespace recoup::io
