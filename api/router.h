// Maps HTTP requests to commands and queries. A plain function over the
// services, so tests can call it without a socket.
#pragma once

#include "api/server.h"
#include "common/clock.h"
#include "eventstore/event_store.h"

namespace parley::api {

struct Services {
  eventstore::EventStore& store;
  const Clock& clock;
};

Response Route(Services& services, const Request& request);

}  // namespace parley::api
