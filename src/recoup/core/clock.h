// The one time seam. Everything in recoup that asks "what time is it" or
// "how long has it been" asks a Clock, so tests can run on a FakeClock and
// never wait on real time.
//
//   * NowMs(): wall time, ms since the Unix epoch, UTC (may jump).
//   * MonotonicNs(): a steady count for durations and deadlines (never jumps
//     back; its origin is arbitrary).
//   * SleepFor(ms): pauses the caller; a FakeClock advances itself instead of
//     sleeping, so loops paced by it run at once.
//
// SystemClock() is the real clock, shared and thread-safe. FakeClock is
// thread-safe too: one thread may Advance() while others read.
#pragma once

#include <atomic>
#include <cstdint>

namespace recoup {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
  virtual int64_t MonotonicNs() const = 0;
  virtual void SleepFor(int64_t ms) const = 0;

  int64_t MonotonicMs() const { return MonotonicNs() / 1'000'000; }
};

// The process's real clock (system_clock and steady_clock).
const Clock& SystemClock();

// A clock that moves only when told to. Both readings move together:
// Advance(d) adds d to wall and monotonic time alike.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 0) : now_ms_(now_ms), mono_ns_(1'000'000'000) {}

  int64_t NowMs() const override { return now_ms_.load(std::memory_order_acquire); }
  int64_t MonotonicNs() const override { return mono_ns_.load(std::memory_order_acquire); }
  // Advances instead of sleeping.
  void SleepFor(int64_t ms) const override { const_cast<FakeClock*>(this)->Advance(ms); }

  void Advance(int64_t ms) {
    if (ms <= 0) return;
    mono_ns_.fetch_add(ms * 1'000'000, std::memory_order_acq_rel);
    now_ms_.fetch_add(ms, std::memory_order_acq_rel);
  }
  // Sets wall time (monotonic time moves by the same amount when it goes
  // forward, and stays when wall time goes back, as a real clock would).
  void SetNowMs(int64_t ms) {
    const int64_t d = ms - now_ms_.exchange(ms, std::memory_order_acq_rel);
    if (d > 0) mono_ns_.fetch_add(d * 1'000'000, std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> mono_ns_;
};

}  // namespace recoup
