#include "api/router.h"

#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <tuple>
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
  return services.tokens.Verify(value.substr(kBearer.size()), services.jwt_secret,
                                services.token_clock.Now());
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
  // Appended, not operator+: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string etag(1, '"');
  etag.append(std::to_string(*version)).push_back('"');
  res.set(http::field::etag, etag);
}

// `status`: instead of 201 created / 200 updated (202 for work that follows).
Response Written(const Request& request, const Result<struct Written>& written,
                 std::optional<http::status> status = std::nullopt) {
  if (!written.ok()) return Fail(request, written.error());
  Response res =
      JsonResponse(request, status.value_or(written->created ? http::status::created : http::status::ok),
                   written->resource);
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

// The captured `{...}` segments of a route, in order.
using Params = std::vector<std::string>;
using RouteHandler = std::function<Reply(Services&, const Request&, const Caller&, const Params&)>;

Response NoContent(const Request& request) {
  Response res{http::status::no_content, request.version()};
  res.keep_alive(request.keep_alive());
  res.prepare_payload();
  return res;
}

// A handler that parses a JSON body (or takes an empty one) and writes.
template <class F>
Response WithBody(const Request& request, bool may_be_empty, F&& write) {
  auto body = JsonBody(request, may_be_empty);
  if (!body.ok()) return Fail(request, body.error());
  return write(*body);
}

// A time parameter (`as_of`, `from`, `to`) as micros since the epoch;
// nullopt without it.
Result<std::optional<Micros>> TimeParam(const Request& request, std::string_view name) {
  const std::string text = QueryParam(request.target(), name);
  if (text.empty()) return std::optional<Micros>();
  auto at = ParseRfc3339(text);
  if (!at) {
    std::string message("\"");
    message.append(name).append("\" is an RFC 3339 time, such as 2026-11-22T09:14:03Z.");
    return Error::InvalidArgument(message);
  }
  // Times are shown to the millisecond: an instant given as an upper bound
  // covers its whole millisecond, so "as of" a time shown includes what
  // happened then.
  if (name != "from" && *at >= 0) *at += 999 - *at % 1000;
  return std::optional<Micros>(*at);
}

// `?limit=`, or `fallback` without it.
Result<std::size_t> LimitParam(const Request& request, std::size_t fallback) {
  const std::string limit = QueryParam(request.target(), "limit");
  if (limit.empty()) return fallback;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
  if (ec != std::errc() || end != limit.data() + limit.size() || n == 0)
    return Error::InvalidArgument("\"limit\" is a positive number.");
  return n;
}

Response ListConversations(Services& services, const Request& request, const Caller& caller,
                           const Params& p) {
  const std::string status = QueryParam(request.target(), "status");
  auto limit = LimitParam(request, 20);
  if (!limit.ok()) return Fail(request, limit.error());
  return Read(request, services.service.ListConversations(caller, p[0], status.empty() ? "open" : status,
                                                          *limit, QueryParam(request.target(), "cursor")));
}

Response DossierHistory(Services& services, const Request& request, const Caller& caller, const Params& p) {
  auto from = TimeParam(request, "from");
  auto to = TimeParam(request, "to");
  auto limit = LimitParam(request, 100);
  if (!from.ok()) return Fail(request, from.error());
  if (!to.ok()) return Fail(request, to.error());
  if (!limit.ok()) return Fail(request, limit.error());
  return Read(request, services.service.DossierHistory(caller, p[0], *from, *to,
                                                       QueryParam(request.target(), "cursor"), *limit));
}

// POST /v1/dossiers/{d}/attachments: the body is already in a file (the
// server streamed it there); keep it by its hash, then record the upload.
Response Upload(Services& services, const Request& request, const Caller& caller, const Params& p) {
  const std::string file(request[kUploadFileField]);
  if (file.empty() || services.attachments == nullptr)
    return Fail(request, Error::Unavailable("This server does not take uploads."));
  const std::string name(request["X-Filename"]);
  if (name.empty()) return Fail(request, Error::InvalidArgument("Name the file in the X-Filename header."));
  std::error_code size_error;
  const std::uint64_t size = std::filesystem::file_size(file, size_error);
  return Written(request, services.service.Upload(
                              caller, p[0], name, std::string(request[http::field::content_type]),
                              size_error ? 0 : size, [&] { return services.attachments->Keep(file); }));
}

// "bytes=a-b", "bytes=a-" or "bytes=-n" within `size`: {offset, length};
// nullopt if unsatisfiable or not one range.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ByteRange(std::string_view header,
                                                                 std::uint64_t size) {
  if (!header.starts_with("bytes=") || header.find(',') != std::string_view::npos) return std::nullopt;
  header.remove_prefix(6);
  const auto dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view text, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
  };
  std::uint64_t first = 0, last = size - 1;
  const std::string_view from = header.substr(0, dash), to = header.substr(dash + 1);
  if (from.empty()) {
    std::uint64_t suffix = 0;
    if (!number(to, suffix) || suffix == 0) return std::nullopt;
    first = suffix >= size ? 0 : size - suffix;
  } else {
    if (!number(from, first) || (!to.empty() && !number(to, last))) return std::nullopt;
    last = std::min(last, size - 1);
  }
  if (size == 0 || first > last || first >= size) return std::nullopt;
  return std::pair{first, last - first + 1};
}

// GET /v1/attachments/{id}: the file, streamed by the server from its
// content address, whole or one byte range.
Reply Download(Services& services, const Request& request, const Caller& caller, const Params& p) {
  auto upload = services.service.DownloadableUpload(caller, p[0]);
  if (!upload.ok()) return Fail(request, upload.error());
  if (services.attachments == nullptr)
    return Fail(request, Error::Unavailable("This server keeps no files."));
  const std::uint64_t size = upload->size;
  std::uint64_t offset = 0, length = size;
  Response res{http::status::ok, request.version()};
  const std::string_view range = request[http::field::range];
  if (!range.empty()) {
    auto slice = ByteRange(range, size);
    if (!slice) {
      Response refused = ErrorResponse(request, http::status::range_not_satisfiable, "invalid_argument",
                                       "The range is not within the file.");
      refused.set(http::field::content_range, "bytes */" + std::to_string(size));
      return refused;
    }
    std::tie(offset, length) = *slice;
    res.result(http::status::partial_content);
    res.set(http::field::content_range, "bytes " + std::to_string(offset) + "-" +
                                            std::to_string(offset + length - 1) + "/" + std::to_string(size));
  }
  // RFC 6266: a plain fallback name, and the exact one percent-encoded.
  std::string plain, encoded;
  for (unsigned char c : upload->name) {
    plain.push_back(c < 0x80 && c >= 0x20 && c != '"' && c != '\\' ? static_cast<char>(c) : '_');
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  res.set(http::field::content_type, upload->content_type);
  res.set(http::field::content_disposition,
          "attachment; filename=\"" + plain + "\"; filename*=UTF-8''" + encoded);
  res.set(http::field::accept_ranges, "bytes");
  res.set(http::field::etag, "\"" + upload->sha256 + "\"");
  res.keep_alive(request.keep_alive());
  Reply reply(std::move(res));
  reply.file = FileBody{services.attachments->PathOf(upload->sha256), offset, length};
  return reply;
}

// POST /v1/inbound/email: the raw RFC 5322 message, which the server
// streamed to a file (it may carry attachments).
Response InboundEmail(Services& services, const Request& request, const Caller& caller, const Params&) {
  const std::string file(request[kUploadFileField]);
  if (file.empty()) return Fail(request, Error::Unavailable("This server takes no e-mail."));
  std::ifstream in(file, std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (raw.empty())
    return Fail(request, Error::InvalidArgument("Send the raw e-mail (RFC 5322) as the body."));
  return Written(request, services.service.InboundEmail(caller, raw, services.attachments));
}

// GET /v1/stream: Server-Sent Events of what the caller may see, or the
// same over a WebSocket, from `Last-Event-ID` (or `?after=`) or from now.
Reply Stream(Services& services, const Request& request, const Caller&, const Params&) {
  if (services.live == nullptr) return NotFound(request);
  // Browsers cannot set headers on a WebSocket: the stream alone also
  // takes the token as ?access_token= (JWTs need no percent-decoding).
  const std::string_view target = request.target();
  const std::string query_token = QueryParam(target, "access_token");
  auto claims = request.find(http::field::authorization) == request.end() && !query_token.empty()
                    ? services.tokens.Verify(query_token, services.jwt_secret, services.token_clock.Now())
                    : Authenticate(services, request);
  if (!claims.ok()) return Fail(request, claims.error());
  auto party = services.service.PartyOf(*claims);
  if (!party.ok()) return Fail(request, party.error());
  if (!party->actor.is_staff() && !party->actor.is_client())
    return Fail(request, Error::Forbidden("The live stream is for staff and clients."));
  std::string resume(request["Last-Event-ID"]);
  if (resume.empty()) resume = QueryParam(target, "after");
  std::uint64_t after = services.live->Head(services.live->PartitionOf(party->directory->firm->firm));
  if (!resume.empty()) {
    auto [end, ec] = std::from_chars(resume.data(), resume.data() + resume.size(), after);
    if (ec != std::errc() || end != resume.data() + resume.size())
      return Fail(request, Error::InvalidArgument("Last-Event-ID is the id of an event of this stream."));
  }
  Response head{http::status::ok, request.version()};
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  Reply reply(std::move(head));
  Service& service = services.service;
  reply.open = OpenLiveStream(
      *services.live, std::move(*party), after, boost::beast::websocket::is_upgrade(request),
      [&service](const Service::Party& p, const std::string& dossier) -> std::optional<std::string> {
        auto counters = service.PartyCounters(p, dossier);
        if (!counters.ok()) return std::nullopt;
        return json::serialize(json::object{{"dossier", dossier}, {"counters", std::move(*counters)}});
      });
  return reply;
}

// Every route of the API: method, path template, and handler. The same
// table answers requests, names the routes in the metrics, and is what
// tests compare with api/openapi.json.
struct RouteEntry {
  http::verb method;
  std::string_view path;
  bool authenticated;
  RouteHandler handler;
};

const std::vector<RouteEntry>& Table() {
  using V = http::verb;
  static const std::vector<RouteEntry> table = {
      {V::get, "/healthz", false,
       [](Services& s, const Request& r, const Caller&, const Params&) {
         return JsonResponse(r, http::status::ok,
                             {{"status", "ok"}, {"log_position", s.log.TotalEvents()}});
       }},
      {V::get, "/metrics", false,
       [](Services& s, const Request& r, const Caller&, const Params&) {
         if (!s.metrics) return NotFound(r);
         Response res{http::status::ok, r.version()};
         res.set(http::field::content_type, "text/plain; version=0.0.4");
         res.keep_alive(r.keep_alive());
         const std::uint64_t position = s.log.TotalEvents();
         res.body() = s.metrics->Render(s.log.Stats(), position,
                                        s.projector ? s.projector->AppliedEvents() : position);
         res.prepare_payload();
         return res;
       }},
      {V::get, "/openapi.json", false,
       [](Services&, const Request& r, const Caller&, const Params&) {
         Response res{http::status::ok, r.version()};
         res.set(http::field::content_type, "application/json");
         res.keep_alive(r.keep_alive());
         res.body() = std::string(OpenApiDocument());
         res.prepare_payload();
         return res;
       }},
      {V::put, "/v1/admin/firms/{firm}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false,
                         [&](const json::object& b) { return Written(r, s.service.PutFirm(c, p[0], b)); });
       }},
      {V::put, "/v1/admin/firms/{firm}/users/{user}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false, [&](const json::object& b) {
           return Written(r, s.service.PutUser(c, p[0], p[1], b));
         });
       }},
      {V::put, "/v1/admin/firms/{firm}/dossiers/{dossier}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false, [&](const json::object& b) {
           return Written(r, s.service.PutDossier(c, p[0], p[1], b));
         });
       }},
      {V::post, "/v1/admin/clock", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         if (!s.test_clock) return NotFound(r);
         if (auto allowed = s.service.AuthorizeClock(c); !allowed.ok()) return Fail(r, allowed.error());
         return WithBody(r, false, [&](const json::object& b) {
           const json::value* now = b.if_contains("now");
           const auto to = now && now->is_string() ? ParseRfc3339(now->as_string()) : std::nullopt;
           if (!to) return Fail(r, Error::InvalidArgument("\"now\" is an RFC 3339 time."));
           if (*to != s.test_clock->Now() && !s.test_clock->AdvanceTo(*to))
             return Fail(r, Error::Conflict("The test clock only moves forward.", 0));
           // What the new time makes due is decided and sent before the answer.
           if (s.mailer) {
             if (auto ran = s.mailer->RunDue(); !ran.ok()) return Fail(r, ran.error());
           }
           return JsonResponse(r, http::status::ok, {{"now", FormatRfc3339(s.test_clock->Now())}});
         });
       }},
      {V::get, "/v1/inbox", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return Read(r, s.service.Inbox(c));
       }},
      {V::get, "/v1/me/settings", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return Read(r, s.service.GetSettings(c));
       }},
      {V::put, "/v1/me/settings", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return WithBody(r, false,
                         [&](const json::object& b) { return Written(r, s.service.PutSettings(c, b)); });
       }},
      {V::get, "/v1/me/participation", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return Read(r, s.service.GetParticipation(c));
       }},
      {V::put, "/v1/me/participation", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return WithBody(r, false,
                         [&](const json::object& b) { return Written(r, s.service.PutParticipation(c, b)); });
       }},
      {V::get, "/v1/dossiers/{d}/recipients", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return Read(r, s.service.Recipients(c, p[0]));
       }},
      {V::get, "/v1/templates", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return Read(r, s.service.ListTemplates(c, QueryParam(r.target(), "lang")));
       }},
      {V::post, "/v1/templates", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return WithBody(r, false,
                         [&](const json::object& b) { return Written(r, s.service.CreateTemplate(c, b)); });
       }},
      {V::put, "/v1/templates/{id}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(
             r, false, [&](const json::object& b) { return Written(r, s.service.PutTemplate(c, p[0], b)); });
       }},
      {V::delete_, "/v1/templates/{id}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         if (auto done = s.service.DeleteTemplate(c, p[0]); !done.ok()) return Fail(r, done.error());
         return NoContent(r);
       }},
      {V::post, "/v1/templates/{id}/reset", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return Written(r, s.service.ResetTemplate(c, p[0]));
       }},
      {V::post, "/v1/bulk/conversations", true,
       [](Services& s, const Request& r, const Caller& c, const Params&) {
         return WithBody(r, false, [&](const json::object& b) {
           auto job = s.service.StartBulk(c, b);
           if (!job.ok()) return Fail(r, job.error());
           return JsonResponse(r, http::status::accepted, std::move(*job));
         });
       }},
      {V::get, "/v1/bulk/conversations/{id}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return Read(r, s.service.GetBulk(c, p[0]));
       }},
      {V::get, "/v1/stream", false, Stream},  // authenticates itself: the token may be in the query
      {V::post, "/v1/dossiers/{d}/attachments", true, Upload},
      {V::get, "/v1/attachments/{id}", true, Download},
      {V::get, "/v1/dossiers/{d}/conversations", true, ListConversations},
      {V::post, "/v1/dossiers/{d}/conversations", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false, [&](const json::object& b) {
           return Written(r, s.service.StartConversation(c, p[0], b));
         });
       }},
      {V::get, "/v1/dossiers/{d}/counters", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         auto as_of = TimeParam(r, "as_of");
         if (!as_of.ok()) return Fail(r, as_of.error());
         return Read(r, s.service.Counters(c, p[0], *as_of));
       }},
      {V::get, "/v1/dossiers/{d}/history", true, DossierHistory},
      {V::get, "/v1/dossiers/{d}/export", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         auto lines = s.service.ExportDossier(c, p[0]);
         if (!lines.ok()) return Fail(r, lines.error());
         Response res{http::status::ok, r.version()};
         res.set(http::field::content_type, "application/x-ndjson");
         res.set(http::field::content_disposition, "attachment; filename=\"" + p[0] + "-history.jsonl\"");
         res.keep_alive(r.keep_alive());
         res.body() = std::move(*lines);
         res.prepare_payload();
         return res;
       }},
      {V::get, "/v1/conversations/{c}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         auto as_of = TimeParam(r, "as_of");
         if (!as_of.ok()) return Fail(r, as_of.error());
         return Read(r, s.service.GetConversation(c, p[0], *as_of));
       }},
      {V::get, "/v1/conversations/{c}/history", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         auto limit = LimitParam(r, 100);
         if (!limit.ok()) return Fail(r, limit.error());
         return Read(r, s.service.ConversationHistory(c, p[0], QueryParam(r.target(), "cursor"), *limit));
       }},
      {V::post, "/v1/conversations/{c}/messages", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(
             r, false, [&](const json::object& b) { return Written(r, s.service.PostMessage(c, p[0], b)); });
       }},
      {V::patch, "/v1/conversations/{c}/messages/{m}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false, [&](const json::object& b) {
           return Written(r, s.service.EditMessage(c, p[0], p[1], b));
         });
       }},
      {V::delete_, "/v1/conversations/{c}/messages/{m}", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return Written(r, s.service.DeleteMessage(c, p[0], p[1]));
       }},
      {V::post, "/v1/conversations/{c}/notes", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false,
                         [&](const json::object& b) { return Written(r, s.service.AddNote(c, p[0], b)); });
       }},
      {V::post, "/v1/conversations/{c}/read", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, true, [&](const json::object& b) {
           auto read = s.service.MarkRead(c, p[0], b);
           return read.ok() ? NoContent(r) : Fail(r, read.error());
         });
       }},
      {V::post, "/v1/conversations/{c}/close", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, true, [&](const json::object&) {
           return Written(r, s.service.CloseOrReopen(c, p[0], false));
         });
       }},
      {V::post, "/v1/conversations/{c}/reopen", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, true, [&](const json::object&) {
           return Written(r, s.service.CloseOrReopen(c, p[0], true));
         });
       }},
      {V::put, "/v1/conversations/{c}/reminders", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(
             r, false, [&](const json::object& b) { return Written(r, s.service.SetReminders(c, p[0], b)); });
       }},
      {V::post, "/v1/conversations/{c}/reminders/resend", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         // 202: the e-mail goes out from the outbox, right after.
         return WithBody(r, true, [&](const json::object&) {
           return Written(r, s.service.ResendReminder(c, p[0]), http::status::accepted);
         });
       }},
      {V::post, "/v1/inbound/email", true, InboundEmail},
      {V::post, "/v1/conversations/{c}/participants", true,
       [](Services& s, const Request& r, const Caller& c, const Params& p) {
         return WithBody(r, false, [&](const json::object& b) {
           return Written(r, s.service.AddParticipant(c, p[0], b));
         });
       }},
  };
  return table;
}

// Fills `params` if `path` fits the template `pattern`.
bool Matches(std::string_view pattern, const std::vector<std::string_view>& path, Params& params) {
  const auto parts = Segments(pattern);
  if (parts.size() != path.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].starts_with('{')) {
      params.emplace_back(path[i]);
    } else if (parts[i] != path[i]) {
      return false;
    }
  }
  return true;
}

// The request's preconditions: If-Match and Idempotency-Key.
Result<Caller> WithPreconditions(const Request& request, std::string_view path, Claims claims) {
  Caller caller{std::move(claims)};
  if (auto match = request.find(http::field::if_match); match != request.end()) {
    // If-Match: "<version>" (the ETag of a conversation).
    std::string_view value = match->value();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    std::uint64_t version = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
    if (ec != std::errc() || end != value.data() + value.size())
      return Error::InvalidArgument("If-Match takes a conversation's ETag, such as \"7\".");
    caller.if_match = version;
  }
  if (auto key = request.find("Idempotency-Key");
      key != request.end() && request.method() != http::verb::get) {
    if (key->value().empty() || key->value().size() > 255)
      return Error::InvalidArgument("Idempotency-Key takes 1 to 255 characters.");
    caller.idempotency_scope = caller.firm + "/" + caller.subject + "/" +
                               std::string(request.method_string()) + " " + std::string(path) + "/" +
                               std::string(key->value());
    caller.body_sha = ToHex(Sha256(request.body()));
  }
  return caller;
}

// Answers the request; `route` gets the matched path template.
Reply Dispatch(Services& services, const Request& request, std::string_view& route) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const auto segments = Segments(path);
  Params params;
  std::string allowed;
  for (const RouteEntry& entry : Table()) {
    if (!Matches(entry.path, segments, params)) continue;
    route = entry.path;
    if (entry.method != request.method()) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(http::to_string(entry.method));
      continue;
    }
    if (!entry.authenticated) return entry.handler(services, request, Caller{}, params);
    auto claims = Authenticate(services, request);
    if (!claims.ok()) return Fail(request, claims.error());
    auto caller = WithPreconditions(request, path, std::move(*claims));
    if (!caller.ok()) return Fail(request, caller.error());
    return entry.handler(services, request, *caller, params);
  }
  // Under /v1 a token comes first: paths are not revealed to strangers.
  if (!segments.empty() && segments[0] == "v1") {
    if (auto claims = Authenticate(services, request); !claims.ok()) return Fail(request, claims.error());
  }
  if (allowed.empty()) return NotFound(request);
  Response res = WrongMethod(request);
  res.set(http::field::allow, allowed);
  return res;
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

std::vector<RouteInfo> Routes() {
  std::vector<RouteInfo> out;
  for (const RouteEntry& entry : Table())
    out.push_back({std::string(http::to_string(entry.method)), std::string(entry.path)});
  return out;
}

std::string UploadTarget(Services& services, const http::request_header<>& header) {
  if (services.attachments == nullptr || header.method() != http::verb::post) return "";
  const std::string_view target = header.target();
  const auto segments = Segments(target.substr(0, target.find('?')));
  Params params;
  if (!Matches("/v1/dossiers/{d}/attachments", segments, params) &&
      !Matches("/v1/inbound/email", segments, params))
    return "";
  return services.attachments->NewTempPath();
}

Reply Route(Services& services, const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string_view route = "unmatched";
  Reply reply = Dispatch(services, request, route);
  if (services.metrics) {
    services.metrics->Record(
        std::string(route), reply.response.result_int(),
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return reply;
}

}  // namespace parley::api
