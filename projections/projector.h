// Projections: read models folded from the log, each stored with its
// checkpoints (the last position applied, one per partition of the log) in
// the same atomic batch,
// so that a restart resumes where it stopped and a rebuild from position 0
// gives the same bytes. Reads are served from here; nothing replays the
// log on a read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/sha256.h"
#include "eventstore/event_store.h"
#include "eventstore/partitioned_log.h"

namespace parley::projections {

// Reads and writes of one projection while it applies events. Reads see the
// writes made earlier in the same batch.
class ReadModelWriter {
 public:
  virtual ~ReadModelWriter() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

// Reads the value under `key` (a default State when there is none) with
// `decode`, applies `change`, and writes it back with `encode`: the step of
// read models that keep one encoded state per key.
template <class State, class Decode, class Change, class Encode>
Result<void> UpdateStored(ReadModelWriter& writer, std::string_view key, Decode decode, Change change,
                          Encode encode) {
  auto stored = writer.Get(key);
  if (!stored.ok()) return stored.error();
  State state;
  if (stored->has_value()) {
    Result<State> loaded = decode(**stored);
    if (!loaded.ok()) return loaded.error();
    state = std::move(*loaded);
  }
  change(state);
  writer.Put(key, encode(state));
  return {};
}

// A read model: a fold over events. It owns the keys it writes; nothing
// else writes them.
class Projection {
 public:
  virtual ~Projection() = default;
  // Stable name, part of every key (letters, digits, '_').
  virtual std::string name() const = 0;
  // The layout of its keys and values. Raise it with any change to them:
  // the projector then drops the stored read model and rebuilds it from
  // position 0, so that no data directory keeps an old layout.
  virtual std::uint32_t format() const { return 1; }
  virtual Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) = 0;
  // Called once the batch holding what Apply wrote is stored, so that a
  // projection that tells others of changes does so only when they can
  // read them.
  virtual void Stored() {}
};

// The read models' RocksDB database (DATA/projections).
class ReadModelStore {
 public:
  // `read_only`: for tools beside a running server; ApplyBatch then fails.
  static Result<std::unique_ptr<ReadModelStore>> Open(const std::string& path, bool read_only = false);
  virtual ~ReadModelStore() = default;

  virtual Result<std::optional<std::string>> Get(std::string_view projection, std::string_view key) = 0;
  // Up to `limit` key/value pairs of `projection` whose keys start with
  // `prefix`, from `start` (inclusive, empty: the first) in key order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view projection,
                                                                        std::string_view prefix,
                                                                        std::string_view start,
                                                                        std::size_t limit) = 0;
  // The last position of `partition` applied to `projection` (0: none).
  virtual Result<std::uint64_t> Checkpoint(std::string_view projection, std::size_t partition = 0) = 0;
  // The format the stored data of `projection` has (0: none recorded).
  virtual Result<std::uint32_t> Format(std::string_view projection) = 0;
  // Drops every key and the checkpoints of `projection`, and records that
  // its data will be in `format`, in one atomic batch.
  virtual Result<void> Reset(std::string_view projection, std::uint32_t format) = 0;
  // SHA-256 over every key and value of `projection`, in key order, and
  // its checkpoints: equal digests mean equal read models.
  virtual Result<Sha256Digest> Digest(std::string_view projection) = 0;

  // Applies `events` of `partition` to `projections` (each only past its
  // checkpoint there) and stores their data and new checkpoints in one
  // atomic batch. Calls must not overlap (the projector's apply lock). It is not
  // synced: the log is the durable truth, and after a crash a projection
  // resumes from the checkpoint written with its data.
  virtual Result<void> ApplyBatch(const std::vector<Projection*>& projections,
                                  const std::vector<eventstore::RecordedEvent>& events,
                                  std::size_t partition = 0) = 0;
};

// Calls `visit(key, value)` for every value of `projection` whose key
// starts with `prefix`, in key order, a page at a time; stops at the first
// error `visit` returns.
template <class Visit>
Result<void> ForEachStored(ReadModelStore& store, std::string_view projection, std::string_view prefix,
                           Visit visit) {
  constexpr std::size_t kPage = 512;
  for (std::string start;;) {
    auto rows = store.Scan(projection, prefix, start, kPage);
    if (!rows.ok()) return rows.error();
    for (const auto& [key, value] : *rows) {
      if (Result<void> visited = visit(key, value); !visited.ok()) return visited;
    }
    if (rows->size() < kPage) return {};
    start = rows->back().first + '\0';
  }
}

// Keeps projections up to date with the log: one thread follows each
// partition, and their batches are applied one at a time, so a projection
// never runs twice at once. Partitions are independent (a firm lives in
// one), so they may be applied in any interleaving.
class Projector {
 public:
  Projector(const eventstore::PartitionedLog& log, ReadModelStore& store, std::vector<Projection*> projections);
  // A log of one partition.
  Projector(eventstore::EventStore& log, ReadModelStore& store, std::vector<Projection*> projections);
  ~Projector();

  // Applies everything already in the log, then follows it until Stop().
  Result<void> Start();
  void Stop();
  // Applies everything in the log now, on the caller's thread (rebuild).
  // `progress` is called after each page with the events applied so far.
  Result<void> CatchUp(const std::function<void(std::uint64_t)>& progress = {});

  // The position of `partition` every projection has applied (the lowest
  // checkpoint there).
  std::uint64_t AppliedPosition(std::size_t partition = 0) const;
  // Applied positions summed over the partitions (for the lag metric).
  std::uint64_t AppliedEvents() const;
  // Waits until AppliedPosition(partition) >= position: a caller reads
  // its own writes by waiting for the position its append returned.
  bool WaitFor(std::size_t partition, std::uint64_t position, std::chrono::milliseconds timeout);
  // The first error that stopped the projector, if any.
  std::optional<Error> failure() const;

 private:
  Result<std::uint64_t> LowestCheckpoint(std::size_t partition);
  Result<void> ApplyPage(std::size_t partition, const std::vector<eventstore::RecordedEvent>& events);
  void Run(std::size_t partition, std::uint64_t from);

  std::optional<eventstore::PartitionedLog> own_view_;  // the second constructor's log
  const eventstore::PartitionedLog& log_;
  ReadModelStore& store_;
  std::vector<Projection*> projections_;
  std::vector<std::thread> threads_;
  std::mutex apply_mu_;  // one ApplyBatch at a time
  mutable std::mutex mu_;
  std::condition_variable applied_cv_;
  std::vector<std::uint64_t> applied_;  // per partition, guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::optional<Error> failure_;        // guarded by mu_
};

}  // namespace parley::projections
