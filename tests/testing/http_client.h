// A small synchronous HTTP/1.1 client over Boost.Beast for end-to-end tests:
// one keep-alive connection to 127.0.0.1.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <map>
#include <memory>
#include <string>

namespace parley::testing {

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;

  boost::json::value json() const { return boost::json::parse(body); }
};

class HttpClient {
 public:
  explicit HttpClient(unsigned short port) : port_(port) { Connect(); }

  HttpResponse Request(boost::beast::http::verb method, const std::string& target,
                       const std::string& body = "", const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty()) {
      req.body() = body;
      if (req.find(http::field::content_type) == req.end())
        req.set(http::field::content_type, "application/json");
    }
    req.prepare_payload();
    if (ClosedByPeer()) Reconnect();
    http::write(*stream_, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(*stream_, buffer, parser);
    auto res = parser.release();
    HttpResponse out;
    out.status = res.result_int();
    out.body = res.body();
    for (const auto& field : res) out.headers[std::string(field.name_string())] = std::string(field.value());
    if (!res.keep_alive()) Reconnect();
    return out;
  }

  HttpResponse Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return Request(boost::beast::http::verb::get, target, "", headers);
  }

  // Sends raw bytes and returns whatever the server answers before closing.
  std::string Raw(const std::string& bytes) {
    // The server may answer and stop reading before all is sent (a 413):
    // a failed write is expected then; its answer is what counts.
    boost::beast::error_code ec;
    boost::asio::write(stream_->socket(), boost::asio::buffer(bytes), ec);
    std::string out;
    char buf[4096];
    for (;;) {
      std::size_t n = stream_->socket().read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    Reconnect();
    return out;
  }

 private:
  void Connect() {
    stream_ = std::make_unique<boost::beast::tcp_stream>(io_);
    boost::asio::ip::tcp::resolver resolver(io_);
    stream_->connect(resolver.resolve("127.0.0.1", std::to_string(port_)));
  }
  // The server closes a keep-alive connection that stays silent longer than
  // its idle timeout (30 s), as a browser's connection would find it: a test
  // that waits that long (an outage) must not fail on the stale socket.
  bool ClosedByPeer() {
    pollfd fd{stream_->socket().native_handle(), POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0) return false;  // nothing to read: still open
    char byte;
    return ::recv(fd.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
  }
  void Reconnect() {
    boost::beast::error_code ec;
    stream_->socket().close(ec);
    Connect();
  }

  unsigned short port_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::beast::tcp_stream> stream_;
};

}  // namespace parley::testing
