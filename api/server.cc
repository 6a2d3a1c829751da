#include "api/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

namespace parley::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

}  // namespace

Response JsonResponse(const Request& request, http::status status, const boost::json::value& body) {
  Response res{status, request.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(request.keep_alive());
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  return res;
}

Response ErrorResponse(const Request& request, http::status status, std::string_view code,
                       std::string_view message) {
  return JsonResponse(request, status, {{"error", {{"code", code}, {"message", message}}}});
}

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::atomic<std::size_t> connections{0};
  // Writes wait for the log's sync (or a JetStream quorum): they run here,
  // so that the I/O threads go on serving reads, and so that many writes
  // wait at once and share one sync (group commit).
  asio::thread_pool writers;

  Impl(ServerOptions o, Handler h)
      : options(std::move(o)),
        handler(std::move(h)),
        io(options.threads),
        writers(static_cast<std::size_t>(std::max(1, options.write_threads))) {}

  static bool IsRead(http::verb method) { return method == http::verb::get || method == http::verb::head; }

  // The handler's reply, computed on the writers' pool for anything but a read.
  asio::awaitable<Reply> Handle(const Request& request) {
    if (IsRead(request.method())) co_return handler(request);
    // Optional: asio wants a default-constructible result.
    std::optional<Reply> reply = co_await asio::co_spawn(
        writers, [&]() -> asio::awaitable<std::optional<Reply>> { co_return handler(request); },
        asio::use_awaitable);
    co_return std::move(*reply);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // e.g. too many open files: keep serving the others
      if (connections.load() >= options.max_connections) {
        beast::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        continue;
      }
      asio::co_spawn(socket.get_executor(), Serve(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  // Answers a request that broke a limit, then closes without resetting the
  // connection: the rest of what the client sends is read and dropped for a
  // while, so that it gets to read the answer.
  asio::awaitable<void> RefuseAndClose(beast::tcp_stream& stream, http::status status,
                                       std::string_view message) {
    Request bare;
    bare.version(11);
    Response res = ErrorResponse(bare, status, "too_large", message);
    res.keep_alive(false);
    beast::error_code ec;
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(5));
    std::vector<char> sink(64 << 10);
    for (std::size_t drained = 0; !ec && drained < (64u << 20);) {
      drained +=
          co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // A response whose body is a slice of a file: the header, then the file
  // in chunks, so that a download never sits in memory.
  asio::awaitable<void> WriteFile(beast::tcp_stream& stream, Response response, const FileBody& file,
                                  beast::error_code& ec) {
    http::response<http::empty_body> head{std::move(response.base())};
    head.content_length(file.length);
    http::response_serializer<http::empty_body> header{head};
    co_await http::async_write_header(stream, header, asio::redirect_error(asio::use_awaitable, ec));
    const int fd = ::open(file.path.c_str(), O_RDONLY);
    if (fd < 0) {
      ec = asio::error::not_found;
      co_return;
    }
    std::vector<char> chunk(256 << 10);
    for (std::uint64_t offset = file.offset, left = file.length; !ec && left > 0;) {
      const ssize_t n =
          ::pread(fd, chunk.data(), std::min<std::uint64_t>(chunk.size(), left), static_cast<off_t>(offset));
      if (n <= 0) {
        ec = asio::error::eof;
        break;
      }
      co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)),
                                 asio::redirect_error(asio::use_awaitable, ec));
      offset += static_cast<std::uint64_t>(n);
      left -= static_cast<std::uint64_t>(n);
    }
    ::close(fd);
  }

  // Hands what `open` has to `send` every 25 ms, until it ends (ec stays
  // clear) or a send fails.
  template <class Send>
  static asio::awaitable<void> Pump(OpenResponse& open, asio::any_io_executor executor, Send send,
                                    beast::error_code& ec) {
    asio::steady_timer timer(executor);
    while (!ec) {
      std::optional<std::string> next = open.Next();
      if (!next) co_return;
      if (!next->empty()) {
        co_await send(*next);
        continue;
      }
      timer.expires_after(std::chrono::milliseconds(25));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // An open response: its head, then its bytes as they come. The
  // connection ends with it.
  asio::awaitable<void> Follow(beast::tcp_stream& stream, Response head, OpenResponse& open,
                               beast::error_code& ec) {
    head.keep_alive(false);
    http::response<http::empty_body> header_only{std::move(head.base())};
    http::response_serializer<http::empty_body> header{header_only};
    stream.expires_never();
    co_await http::async_write_header(stream, header, asio::redirect_error(asio::use_awaitable, ec));
    co_await Pump(
        open, stream.get_executor(),
        [&](const std::string& bytes) -> asio::awaitable<void> {
          stream.expires_after(std::chrono::seconds(30));  // a peer that stops reading is dropped
          co_await asio::async_write(stream, asio::buffer(bytes),
                                     asio::redirect_error(asio::use_awaitable, ec));
          stream.expires_never();
        },
        ec);
  }

  // The same over a WebSocket: one text message per Next(), a close frame
  // when it ends.
  asio::awaitable<void> FollowWebSocket(beast::tcp_stream stream, const Request& request,
                                        OpenResponse& open) {
    beast::websocket::stream<beast::tcp_stream> ws(std::move(stream));
    ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
    beast::error_code ec;
    co_await ws.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
    ws.text(true);
    co_await Pump(
        open, ws.get_executor(),
        [&](const std::string& message) -> asio::awaitable<void> {
          co_await ws.async_write(asio::buffer(message), asio::redirect_error(asio::use_awaitable, ec));
        },
        ec);
    if (!ec)
      co_await ws.async_close(beast::websocket::close_code::going_away,
                              asio::redirect_error(asio::use_awaitable, ec));
  }

  // One connection: read a request, answer it, until the peer or a limit ends it.
  asio::awaitable<void> Serve(beast::tcp_stream stream) {
    connections++;
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (std::size_t served = 0; served < options.max_requests_per_connection; ++served) {
      http::request_parser<http::empty_body> head;
      head.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      // The limit that applies depends on the route, known after the header.
      head.body_limit(std::max(options.max_body_bytes, options.max_upload_bytes));
      stream.expires_after(options.idle_timeout);
      co_await http::async_read_header(stream, buffer, head, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::end_of_stream) break;
      if (ec == http::error::header_limit) {
        co_await RefuseAndClose(stream, http::status::request_header_fields_too_large,
                                "The request headers are larger than this server accepts.");
        break;
      }
      if (ec && ec != http::error::body_limit) break;  // timeout, reset, malformed HTTP: nothing to answer
      const std::string upload = !ec && options.upload_file ? options.upload_file(head.get().base()) : "";
      const std::size_t limit = upload.empty() ? options.max_body_bytes : options.max_upload_bytes;
      const std::string_view too_large = upload.empty()
                                             ? "The request body is larger than this server accepts."
                                             : "The file is larger than this server accepts.";
      if (ec || head.content_length().value_or(0) > limit) {
        if (!upload.empty()) std::remove(upload.c_str());
        co_await RefuseAndClose(stream, http::status::payload_too_large, too_large);
        break;
      }
      if (beast::iequals(head.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      Request request;
      if (!upload.empty()) {
        // Uploads go to a file as they arrive: memory stays flat.
        stream.expires_after(std::chrono::minutes(10));
        http::request_parser<http::file_body> body{std::move(head)};
        body.body_limit(limit);
        body.get().body().open(upload.c_str(), beast::file_mode::write_new, ec);
        if (!ec)
          co_await http::async_read(stream, buffer, body, asio::redirect_error(asio::use_awaitable, ec));
        body.get().body().close();
        if (ec) {
          std::remove(upload.c_str());
        } else {
          request = Request(std::move(body.release().base()));
          request.set(kUploadFileField, upload);
        }
      } else {
        http::request_parser<http::string_body> body{std::move(head)};
        body.body_limit(limit);
        co_await http::async_read(stream, buffer, body, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
          request = body.release();
          request.erase(kUploadFileField);
        }
      }
      if (ec == http::error::body_limit) {  // a chunked body that grew past the limit
        co_await RefuseAndClose(stream, http::status::payload_too_large, too_large);
        break;
      }
      if (ec) break;
      Reply reply = co_await Handle(request);
      if (!upload.empty()) std::remove(upload.c_str());  // kept files were moved away
      if (reply.open && reply.open->websocket()) {
        co_await FollowWebSocket(std::move(stream), request, *reply.open);
        connections--;
        co_return;
      }
      if (reply.open) {
        co_await Follow(stream, std::move(reply.response), *reply.open, ec);
        break;
      }
      Response& response = reply.response;
      if (served + 1 == options.max_requests_per_connection) response.keep_alive(false);
      bool keep_alive = response.keep_alive();
      if (reply.file) {
        stream.expires_after(std::chrono::minutes(10));
        co_await WriteFile(stream, std::move(response), *reply.file, ec);
      } else {
        co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    connections--;
  }
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

Result<std::uint16_t> Server::Listen() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return Error::InvalidArgument("--host " + impl_->options.host + " is not an IP address");
  tcp::endpoint endpoint{address, impl_->options.port};
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::Unavailable("cannot listen on " + impl_->options.host + ":" +
                              std::to_string(impl_->options.port) + ": " + ec.message());
  }
  return acceptor.local_endpoint().port();
}

void Server::Run() {
  impl_->signals.async_wait([this](const beast::error_code& ec, int) {
    if (!ec) Stop();
  });
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.threads; ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : threads) t.join();
  impl_->writers.join();
}

void Server::Stop() {
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->signals.cancel(ignored);
    impl_->io.stop();
  });
}

}  // namespace parley::api
