// The live stream (SPEC section 9, GET /v1/stream as Server-Sent Events):
// a follower thread per partition of the log renders each conversation
// event once, after the read models have it, into that partition's bounded
// ring; each connection reads its firm's ring from its own position (a
// position of that partition) and keeps what its user may see. Memory is bounded by
// the ring: a connection that falls behind it is told so and closed.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/server.h"
#include "api/service.h"
#include "domain/conversation.h"
#include "eventstore/event_store.h"
#include "eventstore/partitioned_log.h"
#include "projections/projector.h"

namespace parley::api {

struct LiveEvent {
  std::uint64_t position = 0;
  std::string firm, dossier;
  // Who may see it, as the read model had it then: only the fields
  // domain::CanSee reads (firm, dossier, audience), not the thread.
  std::shared_ptr<const domain::Conversation> conversation;
  bool staff_only = false;  // notes and read marks
  std::string type;
  std::string data;  // the history entry's JSON
};

class LiveEvents {
 public:
  LiveEvents(const eventstore::PartitionedLog& log, projections::ReadModelStore& models,
             projections::Projector& projector, std::size_t capacity = 10'000);
  ~LiveEvents() { Stop(); }
  // Stops following the log (before the log and the projector stop).
  void Stop();
  LiveEvents(const LiveEvents&) = delete;
  LiveEvents& operator=(const LiveEvents&) = delete;

  // The partition whose ring has `firm`'s events.
  std::size_t PartitionOf(std::string_view firm) const { return log_.ForFirm(firm).index; }
  // Events of `partition` after `position`, at most `max`; nullopt if some
  // of those have already left the ring.
  std::optional<std::vector<std::shared_ptr<const LiveEvent>>> After(std::size_t partition,
                                                                     std::uint64_t position,
                                                                     std::size_t max) const;
  // The position of the last event of `partition` looked at.
  std::uint64_t Head(std::size_t partition) const { return rings_.at(partition)->head.load(); }

  // `compute()`, or what it gave for the same user and dossier as of the
  // same event: a user's connections share their counters.
  std::optional<std::string> CachedCounters(const std::string& user, const std::string& dossier,
                                            std::uint64_t as_of,
                                            const std::function<std::optional<std::string>()>& compute) const;

 private:
  struct Ring {
    mutable std::shared_mutex mutex;
    std::deque<std::shared_ptr<const LiveEvent>> events;
    // Events up to here are not in the ring: they left it, or came before
    // the server started (a resume from there would have a gap).
    std::uint64_t evicted = 0;
    std::atomic<std::uint64_t> head = 0;
    std::thread thread;
  };
  void Follow(std::size_t partition);

  const eventstore::PartitionedLog& log_;
  projections::ReadModelStore& models_;
  projections::Projector& projector_;
  const std::size_t capacity_;
  std::vector<std::unique_ptr<Ring>> rings_;  // one per partition
  std::atomic<bool> stopping_ = false;
  mutable std::mutex counters_mutex_;
  // (user, dossier) -> (event position, counters JSON); bounded by clearing.
  mutable std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::string>> counters_;
};

// A dossier's counters for the stream's user, as JSON text (nullopt: none).
using CountersOf =
    std::function<std::optional<std::string>(const Service::Party&, const std::string& dossier)>;

// One user's stream from `after` (a Last-Event-ID), as the server's
// OpenResponse: Server-Sent Events, or over a WebSocket one JSON message
// per event, {"id", "event", "data"}. After the events of a poll, each
// dossier they touched gets a "counters" event {dossier, counters} (no id:
// it is not a position to resume from).
std::unique_ptr<OpenResponse> OpenLiveStream(const LiveEvents& live, Service::Party party,
                                             std::uint64_t after, bool websocket, CountersOf counters);

}  // namespace parley::api
