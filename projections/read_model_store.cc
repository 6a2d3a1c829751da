// The read models' RocksDB database. Keys (one column family):
//   'd' projection '\0' key  -> value       (a projection's data)
//   'c' projection           -> u64 BE      (its checkpoint in partition 0)
//   'c' projection '\0' p    -> u64 BE      (its checkpoint in partition p > 0,
//                                           one byte)
// A batch of events is applied through a WriteBatchWithIndex, so that a
// projection reads its own pending writes, and written with every
// checkpoint it moves. It is not synced: the log is the durable truth, and
// after a crash a projection resumes from the checkpoint written with its
// data.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <filesystem>
#include <map>

#include "eventstore/keys.h"
#include "projections/projector.h"

namespace parley::projections {
namespace {

std::string DataPrefix(std::string_view projection) {
  std::string key = "d";
  key.append(projection);
  key.push_back('\0');
  return key;
}

std::string CheckpointKey(std::string_view projection, std::size_t partition) {
  std::string key = "c";  // appended: GCC 12 warns falsely (-Wrestrict) on "c" + std::string(...)
  key.append(projection);
  if (partition > 0) {
    key.push_back('\0');
    key.push_back(static_cast<char>(partition));
  }
  return key;
}

// Just before and just past the checkpoints of partitions 1 and up.
std::pair<std::string, std::string> LaterCheckpointRange(std::string_view projection) {
  std::string begin = CheckpointKey(projection, 0);
  begin.push_back('\0');
  std::string end = begin;
  end.back() = '\1';
  return {begin, end};
}

std::string FormatKey(std::string_view projection) {
  std::string key = "f";
  key.append(projection);
  return key;
}

Error FromStatus(const rocksdb::Status& s, std::string_view what) {
  return Error::Internal(std::string(what) + ": " + s.ToString());
}

class BatchWriter final : public ReadModelWriter {
 public:
  BatchWriter(rocksdb::DB* db, rocksdb::WriteBatchWithIndex& batch, std::string prefix)
      : db_(db), batch_(batch), prefix_(std::move(prefix)) {}

  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::string value;
    auto s = batch_.GetFromBatchAndDB(db_, rocksdb::ReadOptions(), prefix_ + std::string(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromStatus(s, "cannot read a read model");
    return std::optional<std::string>(std::move(value));
  }
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(prefix_ + std::string(key), rocksdb::Slice(value.data(), value.size())).PermitUncheckedError();
  }
  void Delete(std::string_view key) override {
    batch_.Delete(prefix_ + std::string(key)).PermitUncheckedError();
  }

 private:
  rocksdb::DB* db_;
  rocksdb::WriteBatchWithIndex& batch_;
  std::string prefix_;
};

class RocksReadModelStore final : public ReadModelStore {
 public:
  explicit RocksReadModelStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  Result<std::optional<std::string>> Get(std::string_view projection, std::string_view key) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), DataPrefix(projection) + std::string(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromStatus(s, "cannot read a read model");
    return std::optional<std::string>(std::move(value));
  }

  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view projection,
                                                                std::string_view prefix,
                                                                std::string_view start,
                                                                std::size_t limit) override {
    const std::string base = DataPrefix(projection);
    const std::string full_prefix = base + std::string(prefix);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::vector<std::pair<std::string, std::string>> out;
    for (it->Seek(start.empty() ? full_prefix : base + std::string(start)); it->Valid() && out.size() < limit;
         it->Next()) {
      if (!it->key().starts_with(full_prefix)) break;
      out.emplace_back(it->key().ToString().substr(base.size()), it->value().ToString());
    }
    if (!it->status().ok()) return FromStatus(it->status(), "cannot scan a read model");
    return out;
  }

  Result<std::uint64_t> Checkpoint(std::string_view projection, std::size_t partition) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), CheckpointKey(projection, partition), &value);
    if (s.IsNotFound()) return std::uint64_t{0};
    if (!s.ok()) return FromStatus(s, "cannot read a checkpoint");
    auto position = eventstore::keys::DecodeU64(value);
    if (!position) return Error::Corruption("bad checkpoint of " + std::string(projection), 0);
    return *position;
  }

  Result<std::uint32_t> Format(std::string_view projection) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), FormatKey(projection), &value);
    if (s.IsNotFound()) return std::uint32_t{0};
    if (!s.ok()) return FromStatus(s, "cannot read a projection's format");
    auto format = eventstore::keys::DecodeU64(value);
    if (!format) return Error::Corruption("bad format of " + std::string(projection), 0);
    return static_cast<std::uint32_t>(*format);
  }

  Result<void> Reset(std::string_view projection, std::uint32_t format) override {
    std::string end = DataPrefix(projection);
    end.back() = '\1';  // just past every "d<name>\0..." key
    rocksdb::WriteBatch batch;
    batch.DeleteRange(DataPrefix(projection), end).PermitUncheckedError();
    batch.Delete(CheckpointKey(projection, 0)).PermitUncheckedError();
    const auto [later, past] = LaterCheckpointRange(projection);
    batch.DeleteRange(later, past).PermitUncheckedError();
    batch.Put(FormatKey(projection), eventstore::keys::EncodeU64(format)).PermitUncheckedError();
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return FromStatus(s, "cannot reset a read model");
    std::erase_if(checkpoints_, [&](const auto& entry) { return entry.first.first == projection; });
    return {};
  }

  Result<Sha256Digest> Digest(std::string_view projection) override {
    Sha256Hasher hasher;
    auto checkpoint = Checkpoint(projection, 0);
    if (!checkpoint.ok()) return checkpoint.error();
    hasher.Update(eventstore::keys::EncodeU64(*checkpoint));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    // Other partitions' checkpoints, where there are any (none: the digest
    // of a one-partition log stays what it always was).
    const auto [later, past] = LaterCheckpointRange(projection);
    for (it->Seek(later); it->Valid() && it->key().compare(past) < 0; it->Next()) {
      hasher.Update(it->key().ToStringView());
      hasher.Update(it->value().ToStringView());
    }
    const std::string prefix = DataPrefix(projection);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      // Lengths first, so that no two different sets of pairs hash alike.
      hasher.Update(eventstore::keys::EncodeU64(it->key().size()));
      hasher.Update(it->key().ToStringView());
      hasher.Update(eventstore::keys::EncodeU64(it->value().size()));
      hasher.Update(it->value().ToStringView());
    }
    if (!it->status().ok()) return FromStatus(it->status(), "cannot scan a read model");
    return hasher.Final();
  }

  Result<void> ApplyBatch(const std::vector<Projection*>& projections,
                          const std::vector<eventstore::RecordedEvent>& events, std::size_t partition) override {
    if (events.empty()) return {};
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    std::map<CheckpointOf, std::uint64_t> moved;
    for (Projection* projection : projections) {
      const std::string name = projection->name();
      const CheckpointOf of{name, partition};
      // Only this method writes checkpoints: after the first read, the
      // ones it wrote last are the stored ones.
      auto known = checkpoints_.find(of);
      auto checkpoint =
          known != checkpoints_.end() ? Result<std::uint64_t>(known->second) : Checkpoint(name, partition);
      if (!checkpoint.ok()) return checkpoint.error();
      checkpoints_[of] = *checkpoint;
      if (events.back().position() <= *checkpoint) continue;
      BatchWriter writer(db_.get(), batch, DataPrefix(name));
      for (const auto& event : events) {
        if (event.position() <= *checkpoint) continue;
        if (auto applied = projection->Apply(event, writer); !applied.ok()) {
          Error error = applied.error();
          error.message = name + " at position " + std::to_string(event.position()) +
                          (partition > 0 ? " of partition " + std::to_string(partition) : "") + ": " +
                          error.message;
          return error;
        }
      }
      batch.Put(CheckpointKey(name, partition), eventstore::keys::EncodeU64(events.back().position()))
          .PermitUncheckedError();
      moved[of] = events.back().position();
    }
    auto s = db_->Write(rocksdb::WriteOptions(), batch.GetWriteBatch());
    if (!s.ok()) return FromStatus(s, "cannot write read models");
    for (auto& [of, position] : moved) checkpoints_[of] = position;
    return {};
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  using CheckpointOf = std::pair<std::string, std::size_t>;  // projection, partition
  // As ApplyBatch stored them (only one ApplyBatch runs at a time: the
  // projector's apply lock).
  std::map<CheckpointOf, std::uint64_t> checkpoints_;
};

}  // namespace

Result<std::unique_ptr<ReadModelStore>> ReadModelStore::Open(const std::string& path, bool read_only) {
  std::error_code ec;
  if (!read_only) std::filesystem::create_directories(path, ec);
  if (ec) return Error::Internal("cannot create " + path + ": " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  // Records are rewritten on every event of their conversation: a small
  // memtable is flushed often, which drops the superseded versions that a
  // scan would otherwise step over. Point reads (a record, an entry) skip
  // files by bloom filter.
  options.write_buffer_size = 8 << 20;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(128 << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto s =
      read_only ? rocksdb::DB::OpenForReadOnly(options, path, &raw) : rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return FromStatus(s, "cannot open the read models at " + path);
  return std::unique_ptr<ReadModelStore>(new RocksReadModelStore(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace parley::projections
