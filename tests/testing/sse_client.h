// A Server-Sent Events reader for end-to-end tests: opens GET /v1/stream
// on 127.0.0.1 and collects events as they arrive.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

#include <boost/asio.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace parley::testing {

struct SseEvent {
  std::string id, type, data;
};

class SseClient {
 public:
  SseClient(unsigned short port, const std::string& token, const std::string& last_event_id = "")
      : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{0, 50'000};  // reads wake up every 50 ms to check the deadline
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string request = "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
    boost::asio::write(socket_, boost::asio::buffer(request + "\r\n"));
  }

  // The status of the answer (0 if none came within `timeout`).
  unsigned Status(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    Read([&] { return header_done_; }, timeout);
    return status_;
  }

  // Reads until an event satisfies `until` or `timeout` passes; returns
  // every event read so far.
  template <class Pred>
  const std::vector<SseEvent>& Until(Pred until,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    Read(
        [&] {
          for (const auto& e : events_)
            if (until(e)) return true;
          return false;
        },
        timeout);
    return events_;
  }
  const std::vector<SseEvent>& events() const { return events_; }
  const std::string& raw() const { return raw_; }

 private:
  template <class Done>
  void Read(Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[8192];
    while (!done() && std::chrono::steady_clock::now() < deadline && !closed_) {
      // Plain recv: it honours SO_RCVTIMEO, where asio's would wait forever.
      const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n <= 0) {
        closed_ = true;
        break;
      }
      raw_.append(buf, static_cast<std::size_t>(n));
      pending_.append(buf, static_cast<std::size_t>(n));
      Parse();
    }
  }

  void Parse() {
    if (!header_done_) {
      const auto end = pending_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      status_ = static_cast<unsigned>(std::stoi(pending_.substr(9, 3)));
      pending_.erase(0, end + 4);
      header_done_ = true;
    }
    for (std::size_t end; (end = pending_.find("\n\n")) != std::string::npos;) {
      const std::string block = pending_.substr(0, end);
      pending_.erase(0, end + 2);
      SseEvent e;
      std::size_t start = 0;
      while (start <= block.size()) {
        std::size_t stop = block.find('\n', start);
        if (stop == std::string::npos) stop = block.size();
        const std::string line = block.substr(start, stop - start);
        if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
        if (line.rfind("event: ", 0) == 0) e.type = line.substr(7);
        if (line.rfind("data: ", 0) == 0) e.data = line.substr(6);
        start = stop + 1;
      }
      if (!e.type.empty()) events_.push_back(std::move(e));
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string raw_, pending_;
  bool header_done_ = false, closed_ = false;
  unsigned status_ = 0;
  std::vector<SseEvent> events_;
};

}  // namespace parley::testing
