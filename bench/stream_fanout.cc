// Live stream fan-out (issue bar: 1,000 concurrent stream connections on
// 2 cores receive a posted message with p99 delivery under 100 ms).
//
//   parley-stream-fanout PORT CONVERSATION STAFF_TOKEN CLIENT_TOKEN [CONNECTIONS] [MESSAGES]
//
// Opens CONNECTIONS GET /v1/stream connections to 127.0.0.1:PORT (half as
// the staff user, half as the client), then posts MESSAGES messages to
// CONVERSATION, one every 200 ms, each carrying the monotonic time it was
// sent. One epoll thread reads every connection and takes, for each
// message a connection receives, now minus that time. Prints p50, p99,
// max and how many deliveries never came.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      std::perror("send");
      std::exit(1);
    }
    sent += static_cast<std::size_t>(n);
  }
}

// One POST on its own connection; returns the status line.
std::string Post(int port, const std::string& path, const std::string& token, const std::string& body) {
  int fd = Connect(port);
  SendAll(fd, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                  "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: parley-stream-fanout PORT CONVERSATION STAFF_TOKEN CLIENT_TOKEN [CONNECTIONS] [MESSAGES]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string conversation = argv[2], staff = argv[3], client = argv[4];
  const int connections = argc > 5 ? std::atoi(argv[5]) : 1000;
  const int messages = argc > 6 ? std::atoi(argv[6]) : 20;

  int epoll = ::epoll_create1(0);
  std::vector<int> fds;
  std::vector<std::string> pending(static_cast<std::size_t>(connections));
  for (int i = 0; i < connections; ++i) {
    int fd = Connect(port);
    SendAll(fd, "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
                    std::string(i % 2 ? client : staff) + "\r\n\r\n");
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
  }
  std::fprintf(stderr, "%d stream connections open\n", connections);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  std::vector<double> latencies_ms;
  std::atomic<bool> posting_done = false;
  std::thread poster([&] {
    for (int m = 0; m < messages; ++m) {
      const std::string status = Post(port, "/v1/conversations/" + conversation + "/messages", staff,
                                      R"({"body":"fanout )" + std::to_string(NowNanos()) + R"( ns"})");
      if (status.find(" 201 ") == std::string::npos) std::fprintf(stderr, "post: %s\n", status.c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));  // stragglers
    posting_done = true;
  });

  std::vector<epoll_event> ready(256);
  char buf[16384];
  while (!posting_done) {
    const int n = ::epoll_wait(epoll, ready.data(), static_cast<int>(ready.size()), 100);
    for (int k = 0; k < n; ++k) {
      const std::uint32_t i = ready[static_cast<std::size_t>(k)].data.u32;
      for (ssize_t got; (got = ::recv(fds[i], buf, sizeof buf, 0)) > 0;) {
        std::string& text = pending[i];
        text.append(buf, static_cast<std::size_t>(got));
        const std::int64_t now = NowNanos();
        // Each message's body says when it was sent: "fanout <ns> ns".
        for (std::size_t at; (at = text.find("fanout ")) != std::string::npos;) {
          const std::size_t end = text.find(" ns", at + 7);
          if (end == std::string::npos) break;
          const std::int64_t sent = std::stoll(text.substr(at + 7, end - at - 7));
          latencies_ms.push_back(static_cast<double>(now - sent) / 1e6);
          text.erase(0, end + 3);
        }
        if (text.size() > (1 << 16)) text.erase(0, text.size() - 64);
      }
    }
  }
  poster.join();
  for (int fd : fds) ::close(fd);
  const std::size_t expected = static_cast<std::size_t>(connections) * static_cast<std::size_t>(messages);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[static_cast<std::size_t>(p * (latencies_ms.size() - 1))];
  };
  std::printf("%d connections, %d messages: %zu of %zu deliveries, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              connections, messages, latencies_ms.size(), expected, pct(0.5), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  return latencies_ms.size() == expected ? 0 : 1;
}
