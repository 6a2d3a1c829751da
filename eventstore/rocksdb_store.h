// Internal to eventstore/, its tests and benchmarks: RocksDB-specific entry
// points beside the EventStore interface.
#pragma once

#include <rocksdb/env.h>

#include "common/sha256.h"
#include "eventstore/event_store.h"

namespace parley::eventstore {

Result<std::unique_ptr<EventStore>> OpenRocksDbStoreWithEnv(const RocksDbStoreOptions& options,
                                                            rocksdb::Env* env);

// Flushes the memtables and compacts every column family of a closed store
// into its bottom level, as a long-lived log mostly is (benchmarks, upkeep).
Result<void> CompactRocksDbStore(const RocksDbStoreOptions& options);

// A local RocksDB copy of a log whose writer is elsewhere: the read side of
// the JetStream backend. Appends through EventStore are refused; Apply adds
// the events of one source message, checked against the copy's head. The
// copy is not synced: it is rebuilt from its source, which is durable.
class RocksDbMirror : public EventStore {
 public:
  struct Head {
    std::uint64_t position = 0;  // the last event's global position
    Sha256Digest hash{};         // SHA-256 of its bytes (zeros: empty log)
    Micros timestamp = 0;
    std::uint64_t sequence = 0;  // the source message applied last
  };
  virtual Head CurrentHead() const = 0;
  // Applies the envelopes of source message `sequence` (none: a message
  // without events) in one batch. Each must follow the head: next position,
  // linked hash, next stream version, new event id; otherwise kCorruption
  // and nothing is applied. A sequence applied before is ignored.
  virtual Result<void> Apply(std::uint64_t sequence, std::span<const std::string> envelopes) = 0;
};

Result<std::unique_ptr<RocksDbMirror>> OpenRocksDbMirror(const RocksDbStoreOptions& options);

}  // namespace parley::eventstore
