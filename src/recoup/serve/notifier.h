// Sends the outbox: each pending notification goes to its channel (generic
// webhook JSON, Slack incoming webhook, SMTP email, or the log); a failure is
// retried with exponential backoff (full jitter, capped) until it succeeds,
// so a notification is never lost, across restarts included. A notification
// for a channel no longer configured is marked failed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/net/http_client.h"
#include "recoup/serve/config.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

// The message bodies, from an outbox payload (the alert as JSON).
std::string WebhookBody(const std::string& payload_json);
std::string SlackBody(const std::string& payload_json);
std::string EmailSubject(const std::string& payload_json);
// RFC 5322 message with CRLF line ends.
std::string EmailMessage(const ChannelConfig& ch, const std::string& payload_json, int64_t now_ms);

class Notifier {
 public:
  // `clock`: not owned; nullptr: the system clock.
  Notifier(std::unique_ptr<storage::Store> store, AlertsConfig config,
           const Clock* clock = nullptr);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Start();
  void Stop();  // finishes the notification in hand
  void Wake();  // new notifications queued
  int64_t sent() const;
  int64_t failed_attempts() const;

 private:
  void Run();
  Status Send(const ChannelConfig& ch, const serve::OutboxItem& item);
  Status SendEmail(const ChannelConfig& ch, const serve::OutboxItem& item);

  std::unique_ptr<storage::Store> store_;
  AlertsConfig config_;
  const Clock* clock_;
  std::map<std::string, ChannelConfig> channels_;
  std::unique_ptr<net::HttpClient> http_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool wake_ GUARDED_BY(mu_) = false;
  int64_t sent_ GUARDED_BY(mu_) = 0;
  int64_t failed_attempts_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace recoup::serve
