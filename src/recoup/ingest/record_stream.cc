#include "recoup/ingest/record_stream.h"

#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>

namespace recoup::ingest {

namespace {

constexpr size_t kChunk = 256 << 10;
constexpr size_t kPadding = 64;  // simdjson's SIMDJSON_PADDING

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

template <char... kStops>
constexpr std::array<bool, 256> MakeStopTable() {
  std::array<bool, 256> t{};
  ((t[static_cast<uint8_t>(kStops)] = true), ...);
  return t;
}
template <char... kStops>
constexpr std::array<bool, 256> kStopTable = MakeStopTable<kStops...>();

// First byte in [p, e) that is one of kStops. SSE2 is part of x86-64, so no
// run-time dispatch is needed.
template <char... kStops>
inline const char* FindFirstOf(const char* p, const char* e) {
#if defined(__SSE2__)
  while (e - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i m = _mm_setzero_si128();
    ((m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(kStops)))), ...);
    const int bits = _mm_movemask_epi8(m);
    if (bits != 0) return p + __builtin_ctz(static_cast<unsigned>(bits));
    p += 16;
  }
#endif
  while (p < e && !kStopTable<kStops...>[static_cast<uint8_t>(*p)]) ++p;
  return p;
}

// The bytes that matter outside a string: quotes, brackets, newlines.
inline const char* FindOutside(const char* p, const char* e) {
  return FindFirstOf<'"', '{', '}', '[', ']', '\n'>(p, e);
}
// ... and inside one: the closing quote, escapes, newlines.
inline const char* FindInside(const char* p, const char* e) {
  return FindFirstOf<'"', '\\', '\n'>(p, e);
}

}  // namespace

RecordStream::RecordStream(io::ByteSource* source, std::string name, ErrorFn on_error,
                           size_t max_record_bytes, io::Buffer* buffer)
    : source_(source),
      name_(std::move(name)),
      on_error_(std::move(on_error)),
      max_record_(max_record_bytes),
      buf_(buffer != nullptr ? *buffer : own_) {
  buf_.Reserve(kChunk * 2 + kPadding, 0);
}

void RecordStream::Report(const std::string& what, int64_t line) {
  if (on_error_) on_error_(name_ + ":" + std::to_string(line) + ": " + what);
}

// Reads more bytes, keeping everything from begin_ on. Returns false at EOF.
Result<bool> RecordStream::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    pos_ -= begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  buf_.Reserve(end_ + kChunk + kPadding, end_);
  auto r = source_->Read(buf_.data() + end_, kChunk);
  if (!r.ok()) {
    eof_ = true;
    return r.status();
  }
  if (*r == 0) {
    eof_ = true;
    return false;
  }
  end_ += *r;
  bytes_read_ += static_cast<int64_t>(*r);
  return true;
}

Result<bool> RecordStream::Refill(size_t keep_from) {
  begin_ = keep_from;
  return Fill();
}

// Keeps the piece from its start, or, once it is oversize (it will be
// skipped), nothing before pos_; `start` follows the bytes Fill moves.
inline Result<bool> RecordStream::RefillKeeping(Piece* piece) {
  const size_t keep_from = piece->oversize ? pos_ : piece->start;
  RECOUP_ASSIGN_OR_RETURN(const bool more, Refill(keep_from));
  if (!piece->oversize) piece->start -= keep_from;
  return more;
}

inline void RecordStream::MarkOversize(Piece* piece) const {
  if (!piece->oversize && pos_ - piece->start > max_record_) piece->oversize = true;
}

Result<bool> RecordStream::Next(RawRecord* out) {
  for (;;) {
    RECOUP_ASSIGN_OR_RETURN(const bool at_record, SkipToRecord());
    if (!at_record) return false;
    RECOUP_ASSIGN_OR_RETURN(const Piece piece, ScanRecord());
    switch (Finish(piece, out)) {
      case Finished::kYielded:
        return true;
      case Finished::kEnded:
        return false;
      case Finished::kSkipped:
        break;
    }
  }
}

// Between records: consumes separators, array brackets, the rest of a wrapper
// object and garbage. True with pos_ at a record's '{'; false at end of input.
Result<bool> RecordStream::SkipToRecord() {
  for (;;) {
    if (pos_ == end_) {
      RECOUP_ASSIGN_OR_RETURN(const bool more, Refill(pos_));
      if (!more) {
        if (ctx_ != Ctx::kTop) Report("input ended inside an unterminated array or object", line_);
        return false;
      }
      continue;
    }
    const char c = buf_.data()[pos_];
    if (IsSpace(c) || (c == ',' && ctx_ == Ctx::kArray)) {
      if (c == '\n') ++line_;
      ++pos_;
    } else if (ctx_ == Ctx::kArray && c == ']') {
      ++pos_;
      ctx_ = wrapper_depth_ > 0 ? Ctx::kWrapper : Ctx::kTop;
    } else if (ctx_ == Ctx::kWrapper) {
      RECOUP_RETURN_IF_ERROR(SkipWrapperRest());
    } else if (c == '[' && ctx_ == Ctx::kTop) {
      ++pos_;
      ctx_ = Ctx::kArray;
    } else if (c != '{') {
      RECOUP_RETURN_IF_ERROR(SkipGarbage());
    } else {
      return true;
    }
  }
}

// After a wrapper's records array: skips its other keys (e.g. "NextToken")
// until the wrapper object closes.
Status RecordStream::SkipWrapperRest() {
  bool in_str = false, esc = false;
  for (;;) {
    if (pos_ == end_) {
      RECOUP_ASSIGN_OR_RETURN(const bool more, Refill(pos_));
      if (!more) break;
    }
    const char d = buf_.data()[pos_++];
    if (d == '\n') ++line_;
    if (in_str) {
      if (esc)
        esc = false;
      else if (d == '\\')
        esc = true;
      else if (d == '"')
        in_str = false;
    } else if (d == '"') {
      in_str = true;
    } else if (d == '{' || d == '[') {
      ++wrapper_depth_;
    } else if (d == '}' || d == ']') {
      if (--wrapper_depth_ == 0) break;
    }
  }
  ctx_ = Ctx::kTop;
  wrapper_depth_ = 0;
  return Status::Ok();
}

// Garbage: reports it once, at the line it starts on, and skips to a
// plausible record start (a '{', the array's ']', or the next line at top level).
Status RecordStream::SkipGarbage() {
  const int64_t at = line_;
  for (;;) {
    if (pos_ == end_) {
      RECOUP_ASSIGN_OR_RETURN(const bool more, Refill(pos_));
      if (!more) break;
    }
    const char d = buf_.data()[pos_];
    if (d == '{' || (ctx_ == Ctx::kArray && d == ']')) break;
    if (d == '\n') {
      ++line_;
      if (ctx_ == Ctx::kTop) {
        ++pos_;
        break;
      }
    }
    ++pos_;
  }
  Report("unexpected text outside any JSON record: skipped", at);
  return Status::Ok();
}

// Scans from the '{' at pos_ to the bracket that closes it, or to where the
// piece stops short: the end of input (depth > 0), a newline in JSON-lines
// input (cut), or the '[' of a top-level object's "Records"/"Events" (wrapper).
Result<RecordStream::Piece> RecordStream::ScanRecord() {
  const bool may_wrap = ctx_ == Ctx::kTop;
  Piece piece;  // a local the helpers below see inlined: kept in registers
  piece.start = pos_;
  piece.start_line = line_;
  KeyState key_state = KeyState::kNone;
  for (;;) {
    if (pos_ == end_) {
      RECOUP_ASSIGN_OR_RETURN(const bool more, RefillKeeping(&piece));
      if (!more) return piece;
    }
    MarkOversize(&piece);
    if (key_state != KeyState::kNone) {
      if (StepAfterKey(&key_state)) {
        piece.wrapper = true;
        return piece;
      }
      if (key_state != KeyState::kNone) continue;  // consumed a blank or the ':'
    }
    const char* p = FindOutside(buf_.data() + pos_, buf_.data() + end_);
    pos_ = static_cast<size_t>(p - buf_.data());
    if (pos_ == end_) continue;
    const char d = *p;
    ++pos_;
    if (d == '"') {
      StringEnd end;
      while ((end = ScanString()) == StringEnd::kMore) {
        MarkOversize(&piece);
        RECOUP_ASSIGN_OR_RETURN(const bool more, RefillKeeping(&piece));
        if (!more) return piece;
      }
      if (end == StringEnd::kCut) {
        piece.cut = true;
        return piece;
      }
      if (may_wrap && piece.depth == 1 && !piece.oversize && ClosedWrapperKey(piece.start)) {
        key_state = KeyState::kAfterKey;
      }
    } else if (d == '\n') {
      ++line_;
      if (line_mode_) {
        piece.cut = true;
        return piece;
      }
    } else if (d == '{' || d == '[') {
      ++piece.depth;
    } else if (--piece.depth == 0) {  // '}' or ']'
      return piece;
    }
  }
}

// After a "Records"/"Events" key: consumes a blank or the ':' (the state
// stays set), or the '[' after the ':' (returns true: the object is a
// wrapper); any other byte clears the state, to be scanned as usual.
inline bool RecordStream::StepAfterKey(KeyState* state) {
  const char d = buf_.data()[pos_];
  if (IsSpace(d)) {
    if (d == '\n') ++line_;
    ++pos_;
    return false;
  }
  if (*state == KeyState::kAfterKey && d == ':') {
    *state = KeyState::kAfterColon;
    ++pos_;
    return false;
  }
  if (*state == KeyState::kAfterColon && d == '[') {
    ++pos_;
    return true;
  }
  *state = KeyState::kNone;
  return false;
}

// Scans a string body from pos_ up to and past its closing quote (kClosed),
// or a newline that cuts a JSON-lines record (kCut); kMore when the buffer
// ends first (pos_ stays where scanning resumes once refilled).
inline RecordStream::StringEnd RecordStream::ScanString() {
  for (;;) {
    const char* q = buf_.data() + pos_;
    const char* qe = buf_.data() + end_;
    q = FindInside(q, qe);
    pos_ = static_cast<size_t>(q - buf_.data());
    if (q == qe || (*q == '\\' && q + 1 == qe)) return StringEnd::kMore;
    if (*q == '\\') {
      pos_ += 2;
      continue;
    }
    if (*q == '\n') {
      ++line_;
      if (line_mode_) {
        ++pos_;
        return StringEnd::kCut;
      }
      ++pos_;
      continue;
    }
    ++pos_;
    return StringEnd::kClosed;
  }
}

// Whether the string that just closed (its quote at pos_-1) is "Records" or
// "Events": scans back over at most 8 bytes, within the piece from `start`.
inline bool RecordStream::ClosedWrapperKey(size_t start) const {
  const char* s = buf_.data() + pos_ - 1;
  auto ends_with = [&](const char* w, size_t n) {
    return static_cast<size_t>(s - (buf_.data() + start)) >= n + 1 &&
           std::memcmp(s - n, w, n) == 0 && *(s - n - 1) == '"';
  };
  return ends_with("Records", 7) || ends_with("Events", 6);
}

// Turns a scanned piece into a record, or reports and skips it.
RecordStream::Finished RecordStream::Finish(const Piece& piece, RawRecord* out) {
  if (piece.wrapper) {
    ctx_ = Ctx::kArray;
    wrapper_depth_ = 1;
    line_mode_known_ = true;  // a wrapper file is not JSON lines
    begin_ = pos_;
    return Finished::kSkipped;
  }
  if (piece.cut) {
    Report("record is not terminated on its line (JSON lines input): skipped", piece.start_line);
    ctx_ = Ctx::kTop;
    begin_ = pos_;
    return Finished::kSkipped;
  }
  if (piece.depth != 0) {
    Report("input ended inside a record: skipped", piece.start_line);
    begin_ = pos_;
    return Finished::kEnded;
  }
  if (piece.oversize) {
    Report("record larger than " + std::to_string(max_record_ >> 10) + " KiB: skipped",
           piece.start_line);
    begin_ = pos_;
    return Finished::kSkipped;
  }
  if (!line_mode_known_ && ctx_ == Ctx::kTop) {
    line_mode_known_ = true;
    line_mode_ = piece.start_line == line_;  // first top-level record fit on one line
  }
  out->json = std::string_view(buf_.data() + piece.start, pos_ - piece.start);
  out->capacity = buf_.size() - piece.start;
  out->line = piece.start_line;
  out->index = index_++;
  begin_ = piece.start;  // keep the record readable until the next call
  return Finished::kYielded;
}

}  // namespace recoup::ingest
