// Internal to eventstore/, its tests and benchmarks: RocksDB-specific entry
// points beside the EventStore interface.
#pragma once

#include <rocksdb/env.h>

#include <optional>
#include <string>

#include "common/sha256.h"
#include "eventstore/event_store.h"

namespace parley::eventstore {

Result<std::unique_ptr<EventStore>> OpenRocksDbStoreWithEnv(const RocksDbStoreOptions& options,
                                                            rocksdb::Env* env);

// Flushes the memtables and compacts every column family of a closed store
// into its bottom level, as a long-lived log mostly is (benchmarks, upkeep).
Result<void> CompactRocksDbStore(const RocksDbStoreOptions& options);

// A local RocksDB copy of a log whose writer is elsewhere: the read side of
// the JetStream backend. Appends through EventStore are refused; Place adds
// the events of one source message at the copy's head, as the RocksDB
// writer would, so that every copy of one source builds the same log. The
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

  // A stream's version, read together with its subject: the owner (the
  // firm's subject token, empty while the stream has no message) and the
  // last source message on that subject (0: none). What a conditional write
  // decides on, and the sequence it must name.
  struct StreamState {
    std::uint64_t version = 0;
    std::uint64_t subject_sequence = 0;
    std::string owner;

    // Whether a message on `subject_owner`'s subject may write the stream:
    // its owner's, or any while it has none.
    bool OwnedBy(std::string_view subject_owner) const { return owner.empty() || owner == subject_owner; }
  };
  virtual Result<StreamState> CurrentStreamState(std::string_view stream) = 0;

  // One source message: the events of one append to `stream`, sent on the
  // subject of `owner`, conditional on `expected_subject_sequence` if set.
  struct SourceMessage {
    std::uint64_t sequence = 0;
    std::string_view owner;
    std::string_view stream;
    std::optional<std::uint64_t> expected_subject_sequence;
    std::span<const EventData> events;
    Micros timestamp = 0;
  };
  // Applies `message`: its events placed at the head (next positions, next
  // stream versions, each linked by SHA-256 to the one before, stamped
  // max(timestamp, the head's)), in one batch that also records the message
  // as its subject's last. Every copy decides alike from the messages alone
  // whether to place nothing (nullopt):
  //  - the stream belongs to another owner's subject (nothing recorded);
  //  - the message's condition does not hold on the copy (the server
  //    should have refused it; the copy does not rely on that);
  //  - one of its ids is stored already (an append sent again after the
  //    source stopped deduplicating it).
  // A sequence applied before is ignored (nullopt too).
  virtual Result<std::optional<AppendResult>> Place(const SourceMessage& message) = 0;
};

Result<std::unique_ptr<RocksDbMirror>> OpenRocksDbMirror(const RocksDbStoreOptions& options);

}  // namespace parley::eventstore
