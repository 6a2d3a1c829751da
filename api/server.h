// The HTTP/1.1 server (Boost.Beast): a listener that accepts, sessions that
// only do I/O, and a plain function that maps a request to a response.
#pragma once

#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace parley::api {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A response that goes on after its head (Server-Sent Events): the server
// asks it for more bytes every few milliseconds and closes the connection
// when it returns nullopt or the peer goes away.
class OpenResponse {
 public:
  virtual ~OpenResponse() = default;
  // The next bytes to send ("" if nothing yet); nullopt ends the response.
  // Over a WebSocket, each call gives at most one message.
  virtual std::optional<std::string> Next() = 0;
  // True: the server accepts the request's WebSocket upgrade and sends
  // each Next() as a text message instead.
  virtual bool websocket() const { return false; }
};

// A slice of a file the server streams as a response's body (downloads):
// it never sits in memory.
struct FileBody {
  std::string path;
  std::uint64_t offset = 0, length = 0;
};

// What a handler answers: `response`, whose body may instead be a slice of
// a file, or go on as an open response (then `response` is its head).
struct Reply {
  Reply(Response r) : response(std::move(r)) {}  // every plain response is a reply
  Response response;
  std::optional<FileBody> file;
  std::unique_ptr<OpenResponse> open;
};
using Handler = std::function<Reply(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;             // 0: pick a free port
  int threads = 2;                       // I/O threads (and reads)
  int write_threads = 64;                // writes, which wait for the log's sync
  std::size_t max_body_bytes = 1 << 20;  // larger bodies answer 413
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::seconds idle_timeout{30};  // a silent connection is closed
  std::size_t max_connections = 10'000;   // more are accepted and closed at once
  std::size_t max_requests_per_connection = 10'000;
  // Requests whose body is streamed to a file instead of memory (uploads):
  // returns the file to write, or "" for an ordinary request. The handler
  // finds the path in the request's kUploadFileField.
  std::function<std::string(const http::request_header<>&)> upload_file;
  std::size_t max_upload_bytes = 25 << 20;  // larger uploads answer 413
};

// The file an upload's body was written to: set by the server on uploads,
// removed from every other request, so a client can never name a file.
inline constexpr std::string_view kUploadFileField = "X-Parley-Upload-File";

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();

  // Binds and listens; returns the port (the chosen one when options.port is 0).
  Result<std::uint16_t> Listen();
  // Serves until Stop() or SIGINT/SIGTERM; returns once every thread has ended.
  void Run();
  // Thread-safe; Run() returns soon after.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A response whose body is `body` serialized as JSON.
Response JsonResponse(const Request& request, http::status status, const boost::json::value& body);

// The JSON error body of SPEC.md: {"error": {"code": ..., "message": ...}}.
Response ErrorResponse(const Request& request, http::status status, std::string_view code,
                       std::string_view message);

}  // namespace parley::api
