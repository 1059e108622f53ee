// The one seam all bytes come through: sequential readers over files,
// memory and (later) network bodies, with gzip as a decorator.
// A ByteSource is used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/sha256.h"
#include "recoup/core/status.h"
#include "recoup/io/buffer.h"

namespace recoup::io {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into buf. Returns the number read; 0 means end of
  // input. DATA_LOSS for corrupt or truncated input (the message says where).
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// Reads a file with plain read(2). NOT_FOUND if it cannot be opened.
Result<std::unique_ptr<ByteSource>> OpenFile(const std::string& path);

// Reads from memory the caller keeps alive.
std::unique_ptr<ByteSource> FromMemory(std::string_view data);

// Inflates a gzip stream (all members) with ISA-L. `name` labels errors.
// `scratch`, if given, is the input buffer (reused across files; must outlive
// the source).
std::unique_ptr<ByteSource> Gunzip(std::unique_ptr<ByteSource> inner, std::string name,
                                   Buffer* scratch = nullptr);

// Reads `prefix` (which the caller keeps alive) and then `rest`.
std::unique_ptr<ByteSource> Concat(std::string_view prefix, std::unique_ptr<ByteSource> rest);

// Passes bytes through, feeding them to `hash` (which must outlive it).
std::unique_ptr<ByteSource> Hashing(std::unique_ptr<ByteSource> inner, Sha256* hash);
// Passes bytes through, calling `observe` on each chunk read.
std::unique_ptr<ByteSource> Observing(std::unique_ptr<ByteSource> inner,
                                      std::function<void(const char*, size_t)> observe);

// Reads from `inner` without owning it (the caller keeps it alive).
std::unique_ptr<ByteSource> Borrow(ByteSource* inner);

// A bounded, thread-safe pipe: one producer thread pushes bytes (e.g. an HTTP
// body as it arrives), one consumer reads them as a ByteSource. The producer
// blocks while `capacity` bytes are waiting, so memory stays bounded.
class Pipe final : public ByteSource {
 public:
  explicit Pipe(size_t capacity = 4u << 20);
  ~Pipe() override;
  // Producer: appends bytes, blocking while the pipe is full. Returns false
  // once the consumer has closed its end (the producer should stop).
  bool Write(const char* data, size_t n);
  // Producer: no more bytes. A non-OK status is what Read returns after the
  // buffered bytes (the transfer failed part-way).
  void CloseWrite(Status status = Status::Ok());
  // Consumer: stop reading; unblocks and fails later Writes.
  void CloseRead();
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Opens a file, inflating it if it starts with the gzip magic bytes
// (whatever its name says). With `hash`, the file's stored bytes are hashed
// as they are read. `scratch` as for Gunzip.
Result<std::unique_ptr<ByteSource>> OpenMaybeGzip(const std::string& path, Sha256* hash = nullptr,
                                                  Buffer* scratch = nullptr);

// Whole-file helpers for small files (config, catalog): never for evidence.
Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 64 << 20);

// An entry of a walked folder that is not read, and why ("a FIFO (named
// pipe)", "a dangling symbolic link", "a symbolic link loop", "a symbolic link
// to a character device", ...).
struct SkippedEntry {
  std::string path;
  std::string reason;
  std::string Message() const { return path + ": skipped: " + reason; }
};

// Files under each path (a file is returned as is; folders are walked
// recursively, following no symlinked folders), sorted, skipping hidden
// files and CloudTrail digest files. NOT_FOUND names a path that does not exist.
// Inside a walked folder, anything that is not a regular file or a link to
// one (devices, FIFOs, sockets, dangling links, link loops, links to folders)
// is never opened: it is appended to `skipped`, when given, in path order.
Result<std::vector<std::string>> ListInputFiles(const std::vector<std::string>& paths,
                                                std::vector<SkippedEntry>* skipped = nullptr);

}  // namespace recoup::io
