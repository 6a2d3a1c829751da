// The log of a deployment: one or more partitions, each a totally ordered
// EventStore with its own positions and hash chain. Every stream of a firm
// lives in the firm's partition, chosen by a hash of the firm id, so a
// firm's history is totally ordered; nothing orders two firms' events.
//
// The RocksDB backend is one partition. On JetStream each partition is a
// stream EV_P00, EV_P01, ... (eventstore/JETSTREAM.md), so firms spread
// over several stream leaders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "eventstore/event_store.h"

namespace parley::eventstore {

inline constexpr std::size_t kMaxPartitions = 64;

// The partition of `firm` among `count`: the first 8 bytes of SHA-256(firm),
// big-endian, modulo `count`. Part of the stored format: a firm's events
// must always go to the same partition, so `count` never changes once a
// log has events.
std::size_t PartitionOf(std::string_view firm, std::size_t count);

// One firm's partition, as callers that append or wait for a position hold it.
struct LogPartition {
  EventStore& store;
  std::size_t index = 0;
  std::string_view firm;  // the caller's, which outlives this

  Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
                              std::span<const EventData> events) const {
    return store.AppendForFirm(firm, stream, expected, events);
  }
};

class PartitionedLog {
 public:
  // Owns `partitions` (at least one), in index order.
  explicit PartitionedLog(std::vector<std::unique_ptr<EventStore>> partitions);
  // A view of one store as a log of one partition (owned elsewhere).
  explicit PartitionedLog(EventStore& single);

  std::size_t count() const { return stores_.size(); }
  EventStore& at(std::size_t index) const { return *stores_.at(index); }
  LogPartition ForFirm(std::string_view firm) const;

  // Sums over the partitions, for /healthz and /metrics.
  std::uint64_t TotalEvents() const;
  StoreStats Stats() const;
  void Close();

 private:
  std::vector<std::unique_ptr<EventStore>> owned_;
  std::vector<EventStore*> stores_;
};

}  // namespace parley::eventstore
