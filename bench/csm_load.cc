// CSM load generator for bench/csm_bench.py: sends `total` ApiCallAttempt
// datagrams (botocore's format) to 127.0.0.1:<port> at `rate` per second,
// with sendmmsg in bursts of 64. Every datagram has a unique request ID;
// every `fail_every`-th one is a KMSInternalException (HTTP 500).
//   csm_load <port> <total> <rate> <fail_every> <account-less: ignored>
// Prints one JSON line: {"sent":N,"seconds":S,"rate":R}.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: csm_load <port> <total> <rate> <fail_every>\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const long total = std::atol(argv[2]);
  const double rate = std::atof(argv[3]);
  const long fail_every = std::atol(argv[4]);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);

  constexpr int kBurst = 64;
  std::vector<std::string> bodies(kBurst);
  std::vector<mmsghdr> msgs(kBurst);
  std::vector<iovec> iov(kBurst);
  const auto t0 = std::chrono::steady_clock::now();
  long sent = 0;
  while (sent < total) {
    const int n = static_cast<int>(std::min<long>(kBurst, total - sent));
    const long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    for (int i = 0; i < n; ++i) {
      const long id = sent + i;
      const bool fail = fail_every > 0 && id % fail_every == 0;
      char buf[640];
      const int len = std::snprintf(
          buf, sizeof(buf),
          "{\"Version\":1,\"ClientId\":\"bench\",\"Type\":\"ApiCallAttempt\",\"Service\":\"KMS\","
          "\"Api\":\"Decrypt\",\"Timestamp\":%lld,\"AttemptLatency\":7,"
          "\"Fqdn\":\"kms.us-east-1.amazonaws.com\",\"UserAgent\":\"Boto3/1.34 bench\","
          "\"AccessKey\":\"AKIAIOSFODNN7EXAMPLE\",\"Region\":\"us-east-1\","
          "\"HttpStatusCode\":%d,\"XAmznRequestId\":\"bench-%010ld-4b1c-9a1e-000000000000\"%s}",
          now_ms, fail ? 500 : 200, id,
          fail ? ",\"AwsException\":\"KMSInternalException\",\"AwsExceptionMessage\":\"bench\""
               : "");
      bodies[i].assign(buf, static_cast<size_t>(len));
      iov[i].iov_base = bodies[i].data();
      iov[i].iov_len = bodies[i].size();
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_name = &to;
      msgs[i].msg_hdr.msg_namelen = sizeof(to);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int done = 0;
    while (done < n) {
      const int k = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(n - done), 0);
      if (k > 0) done += k;
    }
    sent += n;
    // Pace: where we should be at `rate`.
    const auto due = t0 + std::chrono::duration<double>(static_cast<double>(sent) / rate);
    std::this_thread::sleep_until(due);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"sent\":%ld,\"seconds\":%.3f,\"rate\":%.0f}\n", sent, secs,
              static_cast<double>(sent) / secs);
  close(fd);
  return 0;
}
