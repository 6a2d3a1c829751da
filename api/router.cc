#include "api/router.h"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <vector>

#include "common/sha256.h"

namespace parley::api {
namespace {

namespace json = boost::json;

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto end = path.find('/');
    out.push_back(path.substr(0, end));
    path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  }
  return out;
}

Response Fail(const Request& request, const Error& error) {
  Response res = ErrorResponse(request, StatusOf(error.code), ToString(error.code), error.message);
  if (error.code == ErrorCode::kUnauthenticated) res.set(http::field::www_authenticate, "Bearer");
  return res;
}

Result<Claims> Authenticate(Services& services, const Request& request) {
  auto header = request.find(http::field::authorization);
  if (header == request.end()) return Error::Unauthenticated("A bearer token is required.");
  std::string_view value = header->value();
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || !value.starts_with(kBearer)) {
    return Error::Unauthenticated("A bearer token is required.");
  }
  return VerifyJwt(value.substr(kBearer.size()), services.jwt_secret, services.clock.Now());
}

// The value of `name` in the query string (no percent-decoding: the values
// Parley takes are ids, numbers and words).
std::string QueryParam(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto end = query.find('&');
    std::string_view pair = query.substr(0, end);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    query.remove_prefix(end == std::string_view::npos ? query.size() : end + 1);
  }
  return {};
}

Result<json::object> JsonBody(const Request& request, bool may_be_empty = false) {
  if (may_be_empty && request.body().empty()) return json::object();
  auto type = request.find(http::field::content_type);
  if (type == request.end() || !std::string_view(type->value()).starts_with("application/json")) {
    return Error{ErrorCode::kUnsupportedMediaType, "Send the body as application/json."};
  }
  json::error_code ec;
  json::value value = json::parse(request.body(), ec);
  if (ec) return Error::InvalidArgument("The body is not valid JSON.");
  if (!value.is_object()) return Error::InvalidArgument("The body must be a JSON object.");
  return std::move(value.as_object());
}

// ETag: "<version>" of the conversation a response shows or wrote to.
void SetETag(Response& res, const json::object& resource, std::optional<std::uint64_t> version) {
  if (!version) {
    const json::value* v = resource.if_contains("version");
    if (v == nullptr || !v->is_number()) return;
    version = v->to_number<std::uint64_t>();
  }
  res.set(http::field::etag, "\"" + std::to_string(*version) + "\"");
}

Response Written(const Request& request, const Result<struct Written>& written) {
  if (!written.ok()) return Fail(request, written.error());
  Response res =
      JsonResponse(request, written->created ? http::status::created : http::status::ok, written->resource);
  SetETag(res, written->resource, written->version);
  return res;
}

Response Read(const Request& request, const Result<json::object>& read) {
  if (!read.ok()) return Fail(request, read.error());
  Response res = JsonResponse(request, http::status::ok, *read);
  SetETag(res, *read, std::nullopt);
  return res;
}

Response NotFound(const Request& request) {
  return ErrorResponse(request, http::status::not_found, "not_found", "There is nothing at this path.");
}

Response WrongMethod(const Request& request) {
  return ErrorResponse(request, http::status::method_not_allowed, "invalid_argument",
                       "This path does not take that method.");
}

// /v1/dossiers/{d}/conversations and /v1/dossiers/{d}/counters
Response Dossiers(Services& services, const Request& request, const Caller& caller,
                  const std::vector<std::string_view>& s) {
  if (s.size() != 4) return NotFound(request);
  const std::string dossier(s[2]);
  const bool get = request.method() == http::verb::get;
  if (s[3] == "counters")
    return get ? Read(request, services.service.Counters(caller, dossier)) : WrongMethod(request);
  if (s[3] != "conversations") return NotFound(request);
  if (get) {
    const std::string target(request.target());
    std::string status = QueryParam(target, "status");
    std::string limit = QueryParam(target, "limit");
    std::size_t n = 20;
    if (!limit.empty()) {
      try {
        n = std::stoul(limit);
      } catch (...) {
        return Fail(request, Error::InvalidArgument("\"limit\" is a number from 1 to 100."));
      }
    }
    return Read(request, services.service.ListConversations(caller, dossier, status.empty() ? "open" : status,
                                                            n, QueryParam(target, "cursor")));
  }
  if (request.method() != http::verb::post) return WrongMethod(request);
  auto body = JsonBody(request);
  if (!body.ok()) return Fail(request, body.error());
  return Written(request, services.service.StartConversation(caller, dossier, *body));
}

// /v1/conversations/{c}[/messages[/{m}] | /notes | /read | /close | /reopen | /participants]
Response Conversations(Services& services, const Request& request, const Caller& caller,
                       const std::vector<std::string_view>& s) {
  if (s.size() < 3 || s.size() > 5) return NotFound(request);
  const std::string id(s[2]);
  const auto method = request.method();
  if (s.size() == 3) {
    return method == http::verb::get ? Read(request, services.service.GetConversation(caller, id))
                                     : WrongMethod(request);
  }
  const std::string_view action = s[3];
  if (s.size() == 5) {  // one message: edit or delete
    if (action != "messages") return NotFound(request);
    const std::string message(s[4]);
    if (method == http::verb::delete_)
      return Written(request, services.service.DeleteMessage(caller, id, message));
    if (method != http::verb::patch) return WrongMethod(request);
    auto body = JsonBody(request);
    if (!body.ok()) return Fail(request, body.error());
    return Written(request, services.service.EditMessage(caller, id, message, *body));
  }
  if (action != "messages" && action != "notes" && action != "read" && action != "close" &&
      action != "reopen" && action != "participants") {
    return NotFound(request);
  }
  if (method != http::verb::post) return WrongMethod(request);
  auto body = JsonBody(request, action == "read" || action == "close" || action == "reopen");
  if (!body.ok()) return Fail(request, body.error());
  if (action == "messages") return Written(request, services.service.PostMessage(caller, id, *body));
  if (action == "notes") return Written(request, services.service.AddNote(caller, id, *body));
  if (action == "participants") return Written(request, services.service.AddParticipant(caller, id, *body));
  if (action == "read") {
    auto read = services.service.MarkRead(caller, id, *body);
    if (!read.ok()) return Fail(request, read.error());
    Response res{http::status::no_content, request.version()};
    res.keep_alive(request.keep_alive());
    res.prepare_payload();
    return res;
  }
  return Written(request, services.service.CloseOrReopen(caller, id, action == "reopen"));
}

// PUT /v1/admin/firms/{firm}[/users/{user} | /dossiers/{dossier}]
Response Admin(Services& services, const Request& request, const Claims& caller,
               const std::vector<std::string_view>& s) {
  if (s.size() < 4 || s[2] != "firms" || (s.size() != 4 && s.size() != 6) ||
      (s.size() == 6 && s[4] != "users" && s[4] != "dossiers")) {
    return ErrorResponse(request, http::status::not_found, "not_found", "There is nothing at this path.");
  }
  if (request.method() != http::verb::put) {
    return ErrorResponse(request, http::status::method_not_allowed, "invalid_argument",
                         "Use PUT on this path.");
  }
  auto body = JsonBody(request);
  if (!body.ok()) return Fail(request, body.error());
  const std::string firm(s[3]);
  if (s.size() == 4) return Written(request, services.service.PutFirm(caller, firm, *body));
  const std::string id(s[5]);
  if (s[4] == "users") return Written(request, services.service.PutUser(caller, firm, id, *body));
  return Written(request, services.service.PutDossier(caller, firm, id, *body));
}

}  // namespace

http::status StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return http::status::bad_request;
    case ErrorCode::kUnauthenticated:
      return http::status::unauthorized;
    case ErrorCode::kForbidden:
      return http::status::forbidden;
    case ErrorCode::kNotFound:
      return http::status::not_found;
    case ErrorCode::kConflict:
    case ErrorCode::kConversationClosed:
      return http::status::conflict;
    case ErrorCode::kTooLarge:
      return http::status::payload_too_large;
    case ErrorCode::kUnsupportedMediaType:
      return http::status::unsupported_media_type;
    case ErrorCode::kUnavailable:
      return http::status::service_unavailable;
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

namespace {
Response Dispatch(Services& services, const Request& request);
}

Response Route(Services& services, const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Response response = Dispatch(services, request);
  if (services.metrics) {
    const std::string_view target = request.target();
    services.metrics->Record(
        Metrics::RouteOf(target.substr(0, target.find('?'))), response.result_int(),
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return response;
}

namespace {

Response Dispatch(Services& services, const Request& request) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    if (request.method() != http::verb::get) {
      return ErrorResponse(request, http::status::method_not_allowed, "invalid_argument",
                           "Only GET is allowed on /healthz.");
    }
    return JsonResponse(request, http::status::ok,
                        {{"status", "ok"}, {"log_position", services.store.LastPosition()}});
  }
  if (path == "/metrics" && services.metrics) {
    if (request.method() != http::verb::get) return WrongMethod(request);
    Response res{http::status::ok, request.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.keep_alive(request.keep_alive());
    const std::uint64_t position = services.store.LastPosition();
    res.body() =
        services.metrics->Render(services.store.Stats(), position,
                                 services.projector ? services.projector->AppliedPosition() : position);
    res.prepare_payload();
    return res;
  }
  const auto segments = Segments(path);
  if (segments.size() < 2 || segments[0] != "v1") {
    return ErrorResponse(request, http::status::not_found, "not_found", "There is nothing at this path.");
  }
  auto caller = Authenticate(services, request);
  if (!caller.ok()) return Fail(request, caller.error());
  if (segments[1] == "admin") return Admin(services, request, *caller, segments);
  if (segments.size() == 2 && segments[1] == "inbox") {
    return request.method() == http::verb::get ? Read(request, services.service.Inbox(*caller))
                                               : WrongMethod(request);
  }
  Caller with_preconditions{*caller};
  if (auto match = request.find(http::field::if_match); match != request.end()) {
    // If-Match: "<version>" (the ETag of a conversation).
    std::string_view value = match->value();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    std::uint64_t version = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return Fail(request, Error::InvalidArgument("If-Match takes a conversation's ETag, such as \"7\"."));
    }
    with_preconditions.if_match = version;
  }
  if (auto key = request.find("Idempotency-Key");
      key != request.end() && request.method() != http::verb::get) {
    if (key->value().empty() || key->value().size() > 255) {
      return Fail(request, Error::InvalidArgument("Idempotency-Key takes 1 to 255 characters."));
    }
    with_preconditions.idempotency_scope = caller->firm + "/" + caller->subject + "/" +
                                           std::string(request.method_string()) + " " + std::string(path) +
                                           "/" + std::string(key->value());
    with_preconditions.body_sha = ToHex(Sha256(request.body()));
  }
  if (segments[1] == "dossiers") return Dossiers(services, request, with_preconditions, segments);
  if (segments[1] == "conversations") return Conversations(services, request, with_preconditions, segments);
  return ErrorResponse(request, http::status::not_found, "not_found", "There is nothing at this path.");
}

}  // namespace

}  // namespace parley::api
