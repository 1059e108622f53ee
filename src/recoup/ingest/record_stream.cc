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

// Bytes the scanner must stop at outside strings.
constexpr std::array<uint8_t, 256> MakeOutside() {
  std::array<uint8_t, 256> t{};
  t['"'] = t['{'] = t['}'] = t['['] = t[']'] = t['\n'] = 1;
  return t;
}
// ... and inside strings.
constexpr std::array<uint8_t, 256> MakeInside() {
  std::array<uint8_t, 256> t{};
  t['"'] = t['\\'] = t['\n'] = 1;
  return t;
}
constexpr auto kOutside = MakeOutside();
constexpr auto kInside = MakeInside();

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// First byte in [p, e) that matters outside a string ('"', brackets, '\n').
// SSE2 is part of x86-64, so no run-time dispatch is needed.
inline const char* FindOutside(const char* p, const char* e) {
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8('"'), lb = _mm_set1_epi8('{'), rb = _mm_set1_epi8('}'),
                ls = _mm_set1_epi8('['), rs = _mm_set1_epi8(']'), nl = _mm_set1_epi8('\n');
  while (e - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, nl)),
                                  _mm_or_si128(_mm_cmpeq_epi8(v, lb), _mm_cmpeq_epi8(v, rb))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, ls), _mm_cmpeq_epi8(v, rs)));
    const int bits = _mm_movemask_epi8(m);
    if (bits != 0) return p + __builtin_ctz(static_cast<unsigned>(bits));
    p += 16;
  }
#endif
  while (p < e && !kOutside[static_cast<uint8_t>(*p)]) ++p;
  return p;
}

// First byte in [p, e) that matters inside a string ('"', '\\', '\n').
inline const char* FindInside(const char* p, const char* e) {
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), nl = _mm_set1_epi8('\n');
  while (e - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                   _mm_cmpeq_epi8(v, nl));
    const int bits = _mm_movemask_epi8(m);
    if (bits != 0) return p + __builtin_ctz(static_cast<unsigned>(bits));
    p += 16;
  }
#endif
  while (p < e && !kInside[static_cast<uint8_t>(*p)]) ++p;
  return p;
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

Result<bool> RecordStream::Next(RawRecord* out) {
  for (;;) {
    // Between records: skip separators.
    if (pos_ == end_) {
      begin_ = pos_;
      RECOUP_ASSIGN_OR_RETURN(bool more, Fill());
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
      continue;
    }
    if (ctx_ == Ctx::kArray && c == ']') {
      ++pos_;
      ctx_ = wrapper_depth_ > 0 ? Ctx::kWrapper : Ctx::kTop;
      continue;
    }
    if (ctx_ == Ctx::kWrapper) {
      // Skip the rest of the wrapper object (e.g. "NextToken") until it closes.
      bool in_str = false, esc = false;
      for (;;) {
        if (pos_ == end_) {
          begin_ = pos_;
          RECOUP_ASSIGN_OR_RETURN(bool more, Fill());
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
      continue;
    }
    if (c == '[' && ctx_ == Ctx::kTop) {
      ++pos_;
      ctx_ = Ctx::kArray;
      continue;
    }
    if (c != '{') {
      // Garbage: report once, then skip to a plausible record start.
      const int64_t at = line_;
      for (;;) {
        if (pos_ == end_) {
          begin_ = pos_;
          RECOUP_ASSIGN_OR_RETURN(bool more, Fill());
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
      continue;
    }

    // A record (or, at top level, possibly a wrapper) starts at pos_.
    const bool may_wrap = ctx_ == Ctx::kTop;
    size_t start = pos_;
    const int64_t start_line = line_;
    bool oversize = false;
    bool cut = false;  // a JSON-lines record broken by a newline
    int depth = 0;
    bool became_wrapper = false;
    // Key matching for "Records"/"Events" at depth 1 of a top-level object.
    enum { kNone, kAfterKey, kAfterColon } key_state = kNone;

    for (;;) {
      if (pos_ == end_) {
        begin_ = oversize ? pos_ : start;
        const size_t shift = begin_;
        RECOUP_ASSIGN_OR_RETURN(bool more, Fill());
        if (!oversize) start -= shift;
        if (!more) break;
      }
      if (!oversize && pos_ - start > max_record_) oversize = true;
      if (key_state != kNone) {
        const char d = buf_.data()[pos_];
        if (IsSpace(d)) {
          if (d == '\n') ++line_;
          ++pos_;
          continue;
        }
        if (key_state == kAfterKey && d == ':') {
          key_state = kAfterColon;
          ++pos_;
          continue;
        }
        if (key_state == kAfterColon && d == '[') {
          ++pos_;
          became_wrapper = true;
          break;
        }
        key_state = kNone;  // fall through and scan d normally
      }
      const char* p = buf_.data() + pos_;
      const char* e = buf_.data() + end_;
      p = FindOutside(p, e);
      pos_ = static_cast<size_t>(p - buf_.data());
      if (p == e) continue;
      const char d = *p;
      ++pos_;
      if (d == '"') {
        // Scan the string body; it may need more input.
        bool closed = false;
        for (;;) {
          const char* q = buf_.data() + pos_;
          const char* qe = buf_.data() + end_;
          q = FindInside(q, qe);
          pos_ = static_cast<size_t>(q - buf_.data());
          if (q == qe || (*q == '\\' && q + 1 == qe)) {
            if (!oversize && pos_ - start > max_record_) oversize = true;
            begin_ = oversize ? pos_ : start;
            const size_t shift = begin_;
            RECOUP_ASSIGN_OR_RETURN(bool more, Fill());
            if (!oversize) start -= shift;
            if (!more) break;
            continue;
          }
          if (*q == '\\') {
            pos_ += 2;
            continue;
          }
          if (*q == '\n') {
            ++line_;
            if (line_mode_) {
              ++pos_;
              cut = true;
              break;
            }
            ++pos_;
            continue;
          }
          ++pos_;  // closing quote
          closed = true;
          break;
        }
        if (cut || !closed) break;
        if (may_wrap && depth == 1 && !oversize) {
          // The string just closed ends at pos_-1; find its opening quote by
          // scanning back over at most 8 bytes ("Records" / "Events").
          const char* s = buf_.data() + pos_ - 1;
          auto ends_with = [&](const char* w, size_t n) {
            return static_cast<size_t>(s - (buf_.data() + start)) >= n + 1 &&
                   std::memcmp(s - n, w, n) == 0 && *(s - n - 1) == '"';
          };
          if (ends_with("Records", 7) || ends_with("Events", 6)) key_state = kAfterKey;
        }
        continue;
      }
      if (d == '\n') {
        ++line_;
        if (line_mode_) {
          cut = true;
          break;
        }
        continue;
      }
      if (d == '{' || d == '[') {
        ++depth;
        continue;
      }
      // '}' or ']'
      if (--depth == 0) break;
    }

    if (became_wrapper) {
      ctx_ = Ctx::kArray;
      wrapper_depth_ = 1;
      line_mode_known_ = true;  // a wrapper file is not JSON lines
      begin_ = pos_;
      continue;
    }
    if (cut) {
      Report("record is not terminated on its line (JSON lines input): skipped", start_line);
      ctx_ = Ctx::kTop;
      begin_ = pos_;
      continue;
    }
    if (depth != 0) {
      Report("input ended inside a record: skipped", start_line);
      begin_ = pos_;
      return false;
    }
    if (oversize) {
      Report("record larger than " + std::to_string(max_record_ >> 10) + " KiB: skipped",
             start_line);
      begin_ = pos_;
      continue;
    }
    if (!line_mode_known_ && ctx_ == Ctx::kTop) {
      line_mode_known_ = true;
      line_mode_ = start_line == line_;  // first top-level record fit on one line
    }
    out->json = std::string_view(buf_.data() + start, pos_ - start);
    out->capacity = buf_.size() - start;
    out->line = start_line;
    out->index = index_++;
    begin_ = start;  // keep the record readable until the next call
    return true;
  }
}

}  // namespace recoup::ingest
