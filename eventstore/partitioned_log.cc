#include "eventstore/partitioned_log.h"

#include <stdexcept>

#include "common/sha256.h"
#include "eventstore/keys.h"

namespace parley::eventstore {

std::size_t PartitionOf(std::string_view firm, std::size_t count) {
  if (count <= 1) return 0;
  const Sha256Digest digest = Sha256(firm);
  const std::uint64_t value = *keys::DecodeU64({reinterpret_cast<const char*>(digest.data()), 8});
  return static_cast<std::size_t>(value % count);
}

PartitionedLog::PartitionedLog(std::vector<std::unique_ptr<EventStore>> partitions)
    : owned_(std::move(partitions)) {
  if (owned_.empty() || owned_.size() > kMaxPartitions) throw std::invalid_argument("1 to 64 partitions");
  for (auto& store : owned_) stores_.push_back(store.get());
}

PartitionedLog::PartitionedLog(EventStore& single) : stores_{&single} {}

LogPartition PartitionedLog::ForFirm(std::string_view firm) const {
  const std::size_t index = PartitionOf(firm, stores_.size());
  return {*stores_[index], index, firm};
}

std::uint64_t PartitionedLog::TotalEvents() const {
  std::uint64_t total = 0;
  for (EventStore* store : stores_) total += store->LastPosition();
  return total;
}

StoreStats PartitionedLog::Stats() const {
  StoreStats sum;
  for (EventStore* store : stores_) {
    const StoreStats s = store->Stats();
    sum.groups += s.groups;
    sum.syncs += s.syncs;
    sum.appends += s.appends;
    sum.events += s.events;
    sum.sync_micros += s.sync_micros;
  }
  return sum;
}

void PartitionedLog::Close() {
  for (EventStore* store : stores_) store->Close();
}

}  // namespace parley::eventstore
