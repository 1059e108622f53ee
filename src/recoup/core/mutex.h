// A mutex the compiler can check: clang's thread-safety analysis (built with
// -Wthread-safety in the `tidy` preset, which CI runs) proves that every
// member marked GUARDED_BY(mu_) is touched only with mu_ held, and that
// functions marked REQUIRES(mu_) are called with it. Other compilers see
// plain std::mutex code: the annotations expand to nothing.
//
//   mutable Mutex mu_;
//   int64_t count_ GUARDED_BY(mu_) = 0;
//   ...
//   MutexLock lock(mu_);
//   while (count_ == 0) lock.Wait(cv_);   // a predicate written inline, so
//                                         // the analysis sees it under the lock
//
// Condition variables are std::condition_variable_any, waited on through the
// MutexLock that holds the mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#if defined(__clang__)
#define RECOUP_TSA(x) __attribute__((x))
#else
#define RECOUP_TSA(x)
#endif

#define CAPABILITY(x) RECOUP_TSA(capability(x))
#define SCOPED_CAPABILITY RECOUP_TSA(scoped_lockable)
#define GUARDED_BY(x) RECOUP_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) RECOUP_TSA(pt_guarded_by(x))
#define REQUIRES(...) RECOUP_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) RECOUP_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) RECOUP_TSA(release_capability(__VA_ARGS__))
#define EXCLUDES(...) RECOUP_TSA(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS RECOUP_TSA(no_thread_safety_analysis)

namespace recoup {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope; Unlock()/Lock() let go of it and take it
// again within the scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_.unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.lock();
    held_ = true;
  }

  // Releases the mutex until `cv` is notified (or spuriously), then holds it
  // again. Callers re-check their condition in a loop.
  void Wait(std::condition_variable_any& cv) { cv.wait(mu_); }
  // The same, for at most `timeout`; false if it timed out.
  template <class Rep, class Period>
  bool WaitFor(std::condition_variable_any& cv, std::chrono::duration<Rep, Period> timeout) {
    return cv.wait_for(mu_, timeout) == std::cv_status::no_timeout;
  }
  // The same, until `deadline` (steady clock); false once it has passed:
  //   while (!ready_ && lock.WaitUntil(cv_, deadline)) {}
  bool WaitUntil(std::condition_variable_any& cv, std::chrono::steady_clock::time_point deadline) {
    return cv.wait_until(mu_, deadline) == std::cv_status::no_timeout ||
           std::chrono::steady_clock::now() < deadline;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

}  // namespace recoup
