#include "recoup/serve/notifier.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "recoup/core/time.h"
#include "recoup/serve/live_sink.h"

namespace recoup::serve {

namespace {

nlohmann::json Payload(const std::string& payload_json) {
  auto j = nlohmann::json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Title(const nlohmann::json& p) {
  return "[recoup] " + Upper(p.value("action", "")) + " " + p.value("kind", "") + ": " +
         p.value("summary", "");
}

}  // namespace

std::string WebhookBody(const std::string& payload_json) { return Payload(payload_json).dump(); }

std::string SlackBody(const std::string& payload_json) {
  const nlohmann::json p = Payload(payload_json);
  std::string emoji =
      p.value("action", "") == "resolved" ? ":white_check_mark:" : ":rotating_light:";
  nlohmann::json body;
  body["text"] = emoji + " " + Title(p);
  nlohmann::json fields = nlohmann::json::array();
  const nlohmann::json d = p.value("details", nlohmann::json::object());
  for (const char* k : {"mup_pct", "credit_pct", "credit_usd", "claim_deadline"}) {
    if (d.contains(k) && d[k].is_string() && !d[k].get<std::string>().empty()) {
      fields.push_back(
          {{"type", "mrkdwn"}, {"text", std::string("*") + k + "*\n" + d[k].get<std::string>()}});
    }
  }
  nlohmann::json section = {{"type", "section"},
                            {"text", {{"type", "mrkdwn"}, {"text", body["text"]}}}};
  body["blocks"] = nlohmann::json::array({section});
  if (!fields.empty()) body["blocks"].push_back({{"type", "section"}, {"fields", fields}});
  return body.dump();
}

std::string EmailSubject(const std::string& payload_json) {
  std::string s = Title(Payload(payload_json));
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

std::string EmailMessage(const ChannelConfig& ch, const std::string& payload_json, int64_t now_ms) {
  const nlohmann::json p = Payload(payload_json);
  std::string to;
  for (const std::string& r : ch.to) to += (to.empty() ? "" : ", ") + r;
  std::string m;
  m += "From: " + ch.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + EmailSubject(payload_json) + "\r\n";
  m += "Date: " + FormatRfc5322(now_ms) + "\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  m += p.value("summary", "") + "\r\n\r\n";
  const nlohmann::json d = p.value("details", nlohmann::json::object());
  for (auto it = d.begin(); it != d.end(); ++it) {
    std::string v = it->is_string() ? it->get<std::string>() : it->dump();
    m += it.key() + ": " + v + "\r\n";
  }
  m += "\r\nalert: " + p.value("key", "") + "\r\n";
  // Dot-stuffing is done by libcurl.
  return m;
}

Notifier::Notifier(std::unique_ptr<storage::Store> store, AlertsConfig config, const Clock* clock)
    : store_(std::move(store)),
      config_(std::move(config)),
      clock_(clock != nullptr ? clock : &SystemClock()),
      http_(net::MakeCurlHttpClient()) {
  for (const ChannelConfig& ch : config_.channels) channels_[ch.name] = ch;
}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Notifier::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::Wake() {
  {
    MutexLock lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

int64_t Notifier::sent() const {
  MutexLock lock(mu_);
  return sent_;
}

int64_t Notifier::failed_attempts() const {
  MutexLock lock(mu_);
  return failed_attempts_;
}

Status Notifier::Send(const ChannelConfig& ch, const serve::OutboxItem& item) {
  if (ch.type == "log") {
    std::fprintf(stderr, "recoup serve: notify %s: %s\n", ch.name.c_str(),
                 EmailSubject(item.payload_json).c_str());
    return Status::Ok();
  }
  if (ch.type == "email") return SendEmail(ch, item);
  net::HttpRequest req;
  req.method = "POST";
  req.url = ch.url;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "recoup"}};
  req.body = ch.type == "slack" ? SlackBody(item.payload_json) : WebhookBody(item.payload_json);
  net::RequestOptions ro;
  ro.timeout_ms = 15000;
  ro.idempotent = false;
  RECOUP_ASSIGN_OR_RETURN(net::HttpResponse resp, http_->Send(req, ro));
  if (resp.status < 200 || resp.status >= 300) {
    // The URL (a Slack webhook URL is a secret) is not named: the channel is.
    // Slack answers an error word in the body ("invalid_blocks", "no_text").
    std::string why = resp.body.substr(0, 80);
    for (char& c : why) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    Status st = Unavailable("channel " + ch.name + ": HTTP " + std::to_string(resp.status) +
                            (why.empty() ? "" : ": " + why));
    // A rate-limited receiver (Slack: 429) says when to come back.
    if (auto ra = resp.Header("Retry-After")) {
      int64_t secs = 0;
      auto [ptr, ec] = std::from_chars(ra->data(), ra->data() + ra->size(), secs);
      if (ec == std::errc() && secs >= 0 && secs <= 86400) {
        st.SetPayload("retry_after_ms", std::to_string(secs * 1000));
      }
    }
    return st;
  }
  return Status::Ok();
}

namespace {
struct ReadState {
  const std::string* data;
  size_t pos = 0;
};
size_t ReadBody(char* out, size_t size, size_t n, void* user) {
  auto* st = static_cast<ReadState*>(user);
  const size_t left = st->data->size() - st->pos;
  const size_t k = std::min(left, size * n);
  std::memcpy(out, st->data->data() + st->pos, k);
  st->pos += k;
  return k;
}
}  // namespace

Status Notifier::SendEmail(const ChannelConfig& ch, const serve::OutboxItem& item) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  const std::string message = EmailMessage(ch, item.payload_json, clock_->NowMs());
  ReadState rs{&message};
  curl_slist* rcpt = nullptr;
  for (const std::string& r : ch.to) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  const std::string from = "<" + ch.from + ">";
  curl_easy_setopt(curl, CURLOPT_URL, ch.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, &rs);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (ch.url.rfind("smtp://", 0) == 0) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  std::string password;
  if (!ch.password_env.empty()) {
    if (const char* p = std::getenv(ch.password_env.c_str())) password = p;
  }
  if (!ch.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, ch.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Unavailable("channel " + ch.name + ": SMTP: " + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

void Notifier::Run() {
  std::mt19937_64 rng(std::random_device{}());
  MutexLock lock(mu_);
  while (!stop_) {
    {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
      while (!(stop_ || wake_) && lock.WaitUntil(cv_, until)) {
      }
    }
    if (stop_) break;
    wake_ = false;
    lock.Unlock();
    auto due = store_->DueNotifications(clock_->NowMs(), 50);
    if (!due.ok()) {
      std::fprintf(stderr, "recoup serve: outbox: %s\n", due.status().message().c_str());
    } else {
      for (serve::OutboxItem& item : *due) {
        auto it = channels_.find(item.channel);
        const int64_t now = clock_->NowMs();
        ++item.attempts;
        if (it == channels_.end()) {
          item.state = "failed";
          item.last_error = "channel '" + item.channel + "' is not configured";
        } else {
          Status st = Send(it->second, item);
          if (st.ok()) {
            item.state = "sent";
            item.sent_ms = now;
            item.last_error.clear();
            MutexLock g(mu_);
            ++sent_;
          } else {
            // Exponential backoff with full jitter, capped.
            const int64_t cap =
                std::min<int64_t>(config_.retry_max_backoff_ms,
                                  int64_t{1000} << std::min<int64_t>(item.attempts, 20));
            item.next_attempt_ms =
                now + 500 + static_cast<int64_t>(rng() % static_cast<uint64_t>(cap));
            if (auto ra = st.GetPayload("retry_after_ms")) {
              item.next_attempt_ms = std::max<int64_t>(item.next_attempt_ms, now + std::stoll(*ra));
            }
            item.last_error = st.message();
            std::fprintf(stderr,
                         "recoup serve: notification %lld to %s failed (attempt %lld): %s\n",
                         static_cast<long long>(item.id), item.channel.c_str(),
                         static_cast<long long>(item.attempts), st.message().c_str());
            MutexLock g(mu_);
            ++failed_attempts_;
          }
        }
        Status u = store_->UpdateNotification(item);
        if (!u.ok()) std::fprintf(stderr, "recoup serve: outbox: %s\n", u.message().c_str());
      }
    }
    lock.Lock();
  }
}

}  // namespace recoup::serve
