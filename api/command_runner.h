// Internal to api/: runs one command against one aggregate, the way every
// write in Parley goes. Loads the aggregate's stream (from a snapshot, if
// given) and folds it, decides,
// appends the events with the version it decided on (deciding again if
// another writer got there first), then waits until the projections hold
// the result, so the caller reads its own write.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/sha256.h"
#include "domain/event_codec.h"
#include "eventstore/event_store.h"
#include "eventstore/partitioned_log.h"
#include "projections/projector.h"

namespace parley::api {

// A request's Idempotency-Key, scoped to its caller and route, with a
// digest of its body. The events it writes get ids derived from the scope,
// so a retry finds them (EventStore::FindEvent) and appends nothing.
struct Idempotency {
  std::string scope;     // firm/user/method path/key
  std::string body_sha;  // hex digest of the request body

  // The id of the n-th event the request writes, or of a resource it creates.
  std::string Id(std::string_view prefix, int n) const {
    return std::string(prefix) + ToHex(Sha256(scope + "#" + std::to_string(n))).substr(0, 32);
  }
};

// A domain event as the log stores it: its type, schema version and
// FlatBuffers payload, under `id`, caused by `actor`.
template <class Event>
eventstore::EventData EventDataOf(const Event& event, std::string id, std::string actor) {
  eventstore::EventData d;
  d.id = std::move(id);
  d.type = domain::TypeName(event);
  d.schema_version = domain::kEventSchemaVersion;
  d.payload = domain::EncodeEvent(event);
  d.actor = std::move(actor);
  return d;
}

template <class State, class Event>
struct CommandOutcome {
  State state;                // after the new events
  std::vector<Event> events;  // empty: nothing changed
  std::uint64_t version = 0;  // the stream's version after them
  bool replayed = false;      // an Idempotency-Key seen before: nothing written
};

// The aggregate's state at a version, folded earlier (the read model keeps
// the conversations' states): loading starts from it and reads only the
// events after it.
template <class State>
struct Snapshot {
  State state;
  std::uint64_t version = 0;
};

template <class State, class Event>
Result<CommandOutcome<State, Event>> RunCommand(
    eventstore::LogPartition log, projections::Projector& projector, const Clock& clock,
    const std::string& stream, const std::string& actor,
    const std::function<Result<Event>(const eventstore::RecordedEvent&)>& decode,
    const std::function<Result<std::vector<Event>>(const State&, Micros now)>& decide,
    std::optional<std::uint64_t> expected_version = std::nullopt, const Idempotency* idempotency = nullptr,
    const Snapshot<State>* snapshot = nullptr) {
  // Writes run concurrently (a pool of write threads), so a busy
  // conversation sees races; each retry decides again on the new state.
  constexpr int kConflictRetries = 16;
  constexpr std::size_t kPage = 1024;
  // A retry of a request that was written: the first answer stands.
  std::optional<eventstore::RecordedEvent> earlier;
  if (idempotency) {
    auto found = log.store.FindEvent(idempotency->Id("ev_", 0));
    if (!found.ok()) return found.error();
    earlier = std::move(*found);
    if (earlier && earlier->correlation_id() != "idem:" + idempotency->body_sha) {
      return Error::Conflict("This Idempotency-Key was used for a different request.", 0);
    }
  }
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    CommandOutcome<State, Event> outcome;
    if (snapshot) {
      outcome.state = snapshot->state;
      outcome.version = snapshot->version;
    }
    for (std::uint64_t from = outcome.version + 1;;) {
      auto page = log.store.ReadStream(stream, from, eventstore::Direction::kForward, kPage);
      if (!page.ok()) return page.error();
      for (const auto& recorded : *page) {
        auto event = decode(recorded);
        if (!event.ok()) return event.error();
        domain::Evolve(outcome.state, *event);
        outcome.version = recorded.stream_version();
      }
      if (page->size() < kPage) break;
      from = outcome.version + 1;
    }
    if (earlier) {
      outcome.replayed = true;
      return outcome;
    }
    // If-Match: the caller decided on a version; any other is a conflict,
    // never retried on their behalf.
    if (expected_version && *expected_version != outcome.version) {
      return Error::Conflict("It changed since you read it: now at version " +
                                 std::to_string(outcome.version) + ", not " +
                                 std::to_string(*expected_version) + ".",
                             outcome.version);
    }
    const Micros now = clock.Now();
    auto decided = decide(outcome.state, now);
    if (!decided.ok()) return decided.error();
    if (decided->empty()) return outcome;
    std::vector<eventstore::EventData> data;
    for (const Event& e : *decided) {
      eventstore::EventData d = EventDataOf(
          e, idempotency ? idempotency->Id("ev_", static_cast<int>(data.size())) : NewId("ev_", now), actor);
      if (idempotency) d.correlation_id = "idem:" + idempotency->body_sha;
      data.push_back(std::move(d));
      domain::Evolve(outcome.state, e);
    }
    auto appended = log.Append(stream, eventstore::ExpectedVersion::Exactly(outcome.version), data);
    if (!appended.ok() && appended.error().code == ErrorCode::kConflict) {
      if (expected_version) return appended.error();
      continue;  // decide again
    }
    if (!appended.ok()) return appended.error();
    if (!projector.WaitFor(log.index, appended->position, std::chrono::seconds(10))) {
      return Error::Unavailable("The change is saved but the read models are behind; read again shortly.");
    }
    outcome.events = std::move(*decided);
    outcome.version = appended->stream_version;
    return outcome;
  }
  return Error::Conflict("Others kept changing this while the request ran; try again.", 0);
}

}  // namespace parley::api
