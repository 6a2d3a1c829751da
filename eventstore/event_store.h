// The event store: Parley's append-only log, and the only code that writes it.
//
// One stream per aggregate instance ("conv-c_01J...", "dossier-d-104");
// a global position orders every event of the log. The interface is narrow
// so that a second backend (NATS JetStream) can implement it without
// touching domain/ or projections/. The on-disk format of the RocksDB
// backend is documented in eventstore/FORMAT.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace parley::eventstore {

// Limits checked before anything is written.
inline constexpr std::size_t kMaxEventBytes = 1 << 20;  // one event, all fields
inline constexpr std::size_t kMaxStreamIdBytes = 512;
inline constexpr std::size_t kMaxEventIdBytes = 256;
inline constexpr std::size_t kMaxEventsPerAppend = 10'000;

// What the caller believes the stream's version is. The version is an
// opaque, increasing concurrency token: compare it, never count with it.
class ExpectedVersion {
 public:
  enum class Kind { kAny, kNoStream, kExact };

  static ExpectedVersion Any() { return {Kind::kAny, 0}; }
  static ExpectedVersion NoStream() { return {Kind::kNoStream, 0}; }
  static ExpectedVersion Exactly(std::uint64_t version) { return {Kind::kExact, version}; }
  // "any", "no_stream", or a decimal version; anything else is invalid_argument.
  static Result<ExpectedVersion> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  std::uint64_t version() const { return version_; }
  // True if a stream whose current version is `current` (0: no stream) fits.
  bool Matches(std::uint64_t current) const;
  std::string ToString() const;

 private:
  ExpectedVersion(Kind kind, std::uint64_t version) : kind_(kind), version_(version) {}
  Kind kind_;
  std::uint64_t version_;
};

// An event to append. `id` is unique in the whole log: appending an id again
// (a client's retry) returns the first append's result and writes nothing.
struct EventData {
  std::string id;
  std::string type;                  // past tense: "MessagePosted"
  std::uint32_t schema_version = 1;  // of the payload for this type
  std::string payload;               // opaque bytes, a domain FlatBuffer
  std::string actor;                 // the user who caused it
  std::string on_behalf_of;          // set when a service acts for a user
  std::string correlation_id;        // the request or job it belongs to
  std::string causation_id;          // the event or command that caused it
};

// A read-only view of one stored, verified envelope. The bytes it points to
// belong to someone else (see RecordedEvent for an owning copy).
class EventView {
 public:
  EventView() = default;
  // `bytes` must have passed VerifyEnvelope and be suitably aligned.
  explicit EventView(std::string_view bytes) : bytes_(bytes) {}

  std::string_view id() const;
  std::string_view stream() const;
  std::uint64_t stream_version() const;
  std::uint64_t position() const;
  Micros timestamp() const;
  std::string_view actor() const;
  std::string_view on_behalf_of() const;
  std::string_view correlation_id() const;
  std::string_view causation_id() const;
  std::string_view type() const;
  std::uint32_t schema_version() const;
  std::string_view prev_hash() const;  // 32 bytes; zeros for position 1
  std::string_view payload() const;
  // The exact stored bytes, which the next event's prev_hash covers.
  std::string_view bytes() const { return bytes_; }

 protected:
  std::string_view bytes_;
};

// An event read back from the store, owning its bytes.
class RecordedEvent : public EventView {
 public:
  explicit RecordedEvent(std::string bytes) : owned_(std::move(bytes)) { bytes_ = owned_; }
  RecordedEvent(const RecordedEvent& other) : EventView(), owned_(other.owned_) { bytes_ = owned_; }
  RecordedEvent(RecordedEvent&& other) noexcept : EventView(), owned_(std::move(other.owned_)) {
    bytes_ = owned_;
  }
  RecordedEvent& operator=(RecordedEvent other) noexcept {
    owned_.swap(other.owned_);
    bytes_ = owned_;
    return *this;
  }

 private:
  std::string owned_;
};

struct AppendResult {
  std::uint64_t stream_version = 0;  // version of the last event appended
  std::uint64_t position = 0;        // global position of the last event
  bool deduplicated = false;         // true: a retry, nothing was written
};

enum class Direction { kForward, kBackward };

struct ReadAllPage {
  std::vector<RecordedEvent> events;
  std::uint64_t next_position = 0;  // where the next page starts
};

struct VerifyReport {
  std::uint64_t checked = 0;        // events whose link was checked
  std::uint64_t last_position = 0;  // the last position checked
};

// Counters of the write path, for /metrics and benchmarks.
struct StoreStats {
  std::uint64_t groups = 0;       // WriteBatches written
  std::uint64_t syncs = 0;        // WAL syncs (each covers one or more batches)
  std::uint64_t appends = 0;      // appends that wrote events
  std::uint64_t events = 0;       // events written
  std::uint64_t sync_micros = 0;  // time spent syncing, summed
};

inline constexpr std::uint64_t kEndOfStream = std::numeric_limits<std::uint64_t>::max();

// One append that owns what it appends, for AppendAsync.
struct AppendRequest {
  std::string firm;  // as for AppendForFirm; may be empty
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  std::vector<EventData> events;
};

// Called once with the outcome of an AppendAsync. It must be quick, must
// not throw, and must not wait on the store: no blocking Append (RocksDB
// refuses it) and no Close. Calling AppendAsync again from it is fine. An
// empty one is allowed: the append is made and its outcome dropped.
using AppendDone = std::function<void(Result<AppendResult>)>;

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends `events` to `stream` atomically, if the stream's version matches
  // `expected`. Returns only once the events are synced to disk. Concurrent
  // appends share one sync (group commit). A mismatch is kConflict carrying
  // the actual version in Error::detail.
  virtual Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
                                      std::span<const EventData> events) = 0;
  // The same, for a stream of `firm`: the JetStream backend names the firm
  // in the message's subject (ev.<partition>.<firm>.<stream>); RocksDB has
  // no use for it.
  virtual Result<AppendResult> AppendForFirm(std::string_view firm, std::string_view stream,
                                             ExpectedVersion expected, std::span<const EventData> events) {
    static_cast<void>(firm);
    return Append(stream, expected, events);
  }

  // Append without a waiting thread: queues `request` and returns, and
  // `done` gets what Append would have returned, once the events are synced
  // (same atomicity, ids and group commit). Many appends in flight from a
  // few threads share syncs the way many blocked appenders do, without a
  // thread to wake per append. `done` runs on a thread of the store, or
  // before AppendAsync returns for an error found at once and on a backend
  // without a writer queue of its own (JetStream, for now).
  virtual void AppendAsync(AppendRequest request, AppendDone done) {
    auto result = AppendForFirm(request.firm, request.stream, request.expected, request.events);
    if (done) done(std::move(result));
  }

  // The durable event stored under `event_id`, if any (how a retried
  // request finds what its first attempt wrote).
  virtual Result<std::optional<RecordedEvent>> FindEvent(std::string_view event_id) = 0;

  // The stream's current version; 0 if it has no events.
  virtual Result<std::uint64_t> StreamVersion(std::string_view stream) = 0;

  // Up to `max_count` events of `stream` from version `from` (inclusive),
  // going forward or backward (kEndOfStream: from the last one).
  virtual Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, std::uint64_t from,
                                                        Direction direction, std::size_t max_count) = 0;

  // Up to `max_count` events of the whole log from position `from`.
  virtual Result<ReadAllPage> ReadAll(std::uint64_t from, std::size_t max_count) = 0;

  // Calls `visit` for each event from `from` to `to` (inclusive) without
  // copying, until it returns false. Returns the last position visited
  // (from - 1 if none). The view is valid only during the call.
  virtual Result<std::uint64_t> ForEach(std::uint64_t from, std::uint64_t to,
                                        const std::function<bool(const EventView&)>& visit) = 0;

  // The position of the last durable event (0: the log is empty).
  virtual std::uint64_t LastPosition() const = 0;

  // Blocks until LastPosition() >= position, the timeout passes, or the
  // store closes. Returns whether the position was reached.
  virtual bool WaitForPosition(std::uint64_t position, std::chrono::milliseconds timeout) = 0;

  // Walks the hash chain from `from` to `to` (inclusive; kEndOfStream: the
  // head). The first event that does not verify is kCorruption, with its
  // position in Error::detail.
  virtual Result<VerifyReport> Verify(std::uint64_t from, std::uint64_t to) = 0;

  virtual StoreStats Stats() const = 0;

  // Stops accepting appends, finishes those under way, wakes all waiters.
  virtual void Close() = 0;
};

// Follows the log from a position: catches up on what is stored, then waits
// for new appends, returning each event once, in order, with no gap.
class Subscription {
 public:
  Subscription(EventStore& store, std::uint64_t from_position)
      : store_(store), next_(from_position == 0 ? 1 : from_position) {}

  // The next events (at most `max_count`); empty if none came within
  // `timeout` or the store closed.
  Result<std::vector<RecordedEvent>> Next(std::size_t max_count, std::chrono::milliseconds timeout);
  std::uint64_t next_position() const { return next_; }

 private:
  EventStore& store_;
  std::uint64_t next_;
};

struct RocksDbStoreOptions {
  std::string path;  // the log's directory
  const Clock* clock = &SystemClock::Instance();
  std::size_t block_cache_bytes = 256 << 20;  // shared by all column families
  std::size_t write_buffer_bytes = 64 << 20;  // per memtable
  std::size_t max_group_events = 4096;        // events per group commit
  bool create_if_missing = true;
  // Opens a read-only view (for tools beside a running server): appends fail.
  bool read_only = false;
};

// Opens (or creates) the RocksDB-backed store at options.path.
Result<std::unique_ptr<EventStore>> OpenRocksDbStore(const RocksDbStoreOptions& options);

}  // namespace parley::eventstore
