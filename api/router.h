// Maps HTTP requests to the service's commands and queries, and typed
// errors to the HTTP errors of SPEC.md. A plain function over the
// services, so tests can call it without a socket.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/attachment_store.h"
#include "api/live_stream.h"
#include "api/mailer.h"
#include "api/metrics.h"
#include "api/server.h"
#include "api/service.h"
#include "common/clock.h"
#include "eventstore/partitioned_log.h"

namespace parley::api {

struct Services {
  const eventstore::PartitionedLog& log;
  Service& service;
  std::string jwt_secret;
  // What tokens' `exp` is checked against: the wall clock, even under
  // --test-clock (tokens are real credentials; the test clock moves
  // business time for reminders and nudges).
  const Clock& token_clock;
  Metrics* metrics = nullptr;                         // GET /metrics, and timing of every request
  const projections::Projector* projector = nullptr;  // for the projection lag
  VerifiedTokens tokens{};                            // bearer tokens verified before
  ManualClock* test_clock = nullptr;                  // parleyd --test-clock: POST /v1/admin/clock moves it
  AttachmentStore* attachments = nullptr;             // the bytes of uploads (none: uploads answer 503)
  const LiveEvents* live = nullptr;                   // GET /v1/stream (none: 404)
  Mailer* mailer = nullptr;                           // runs what the test clock makes due
};

Reply Route(Services& services, const Request& request);

// ServerOptions::upload_file: a temporary file for the body of an upload
// (POST /v1/dossiers/{d}/attachments) or of an inbound e-mail (POST
// /v1/inbound/email, which may carry files), "" for any other request.
std::string UploadTarget(Services& services, const http::request_header<>& header);

// The routes Route() answers: method ("GET") and path template
// ("/v1/conversations/{c}"). Tests compare them with the OpenAPI document.
struct RouteInfo {
  std::string method, path;
};
std::vector<RouteInfo> Routes();

// api/openapi.json, compiled in: what GET /openapi.json serves.
std::string_view OpenApiDocument();

// The HTTP status for an error code (one table for the whole API).
http::status StatusOf(ErrorCode code);

}  // namespace parley::api
