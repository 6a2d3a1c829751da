// The RocksDB backend of the event store.
//
// Group commit in two stages, so that building the next batch overlaps the
// sync of the previous ones:
//  1. the writer thread takes every waiting append, checks versions and
//     retries in memory, and writes them as one WriteBatch to the WAL and
//     memtables without syncing;
//  2. the syncer thread syncs the WAL once for every batch written so far,
//     then publishes the new durable position and wakes those appenders,
//     one futex call for all the appenders of one take of the queue
//     (GroupWaker), then runs the completions of AppendAsync.
// No append is acknowledged, and no reader sees an event (reads stop at the
// durable position), before the sync that covers it. RocksDB's own write
// grouping forms small groups under many synced writers (bench/: the
// BM_RawRocksConcurrentSyncPut baseline), hence our own committer.

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <pthread.h>
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "eventstore/envelope.h"
#include "eventstore/event_store.h"
#include "eventstore/group_waker.h"
#include "eventstore/keys.h"
#include "eventstore/rocksdb_store.h"

namespace parley::eventstore {
namespace {

Error FromStatus(const rocksdb::Status& s, std::string_view what) {
  if (s.IsCorruption()) return Error::Corruption(std::string(what) + ": " + s.ToString(), 0);
  return Error::Internal(std::string(what) + ": " + s.ToString());
}

bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// A reusable buffer with malloc's alignment, since FlatBuffers reads
// scalars in place and RocksDB's slices have any alignment.
class AlignedCopy {
 public:
  std::string_view Assign(const rocksdb::Slice& s) {
    buffer_.assign(s.data(), s.size());
    return buffer_;
  }

 private:
  std::string buffer_;
};

// The stream of a stream index key ("stream\0" + 8-byte version). Given to
// the memtable as an insert hint: each stream's next version goes right
// after its last one, so the memtable keeps its place per stream instead of
// searching the skiplist from the top for every event (about 1.3 µs of CPU
// per event less under bench/: BM_Append/appenders:64).
class StreamOfIndexKey final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "parley.StreamOfIndexKey"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 8; }
};

class RocksDbStore;
// The store whose syncer runs on this thread, if any.
thread_local const RocksDbStore* syncer_of_this_thread = nullptr;

class RocksDbStore final : public RocksDbMirror {
 public:
  RocksDbStore(const RocksDbStoreOptions& options, rocksdb::Env* env, bool mirror = false)
      : options_(options), env_(env), mirror_(mirror) {}
  ~RocksDbStore() override;

  Result<void> Open();

  Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
                              std::span<const EventData> events) override;
  void AppendAsync(AppendRequest request, AppendDone done) override;
  Result<std::uint64_t> StreamVersion(std::string_view stream) override;
  Result<std::optional<RecordedEvent>> FindEvent(std::string_view event_id) override;
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, std::uint64_t from,
                                                Direction direction, std::size_t max_count) override;
  Result<ReadAllPage> ReadAll(std::uint64_t from, std::size_t max_count) override;
  Result<std::uint64_t> ForEach(std::uint64_t from, std::uint64_t to,
                                const std::function<bool(const EventView&)>& visit) override;
  std::uint64_t LastPosition() const override { return committed_.load(std::memory_order_acquire); }
  bool WaitForPosition(std::uint64_t position, std::chrono::milliseconds timeout) override;
  Result<VerifyReport> Verify(std::uint64_t from, std::uint64_t to) override;
  void Close() override;
  StoreStats Stats() const override;
  Result<void> CompactAll();
  Head CurrentHead() const override;
  Result<StreamState> CurrentStreamState(std::string_view stream) override;
  Result<std::optional<AppendResult>> Place(const SourceMessage& message) override;

 private:
  // One caller's append, waiting in the queue. Its views point into the
  // caller's memory, which stays valid because the caller sleeps until done,
  // or into `owned` for an AppendAsync.
  struct PendingAppend {
    std::string_view stream;
    ExpectedVersion expected = ExpectedVersion::Any();
    std::span<const EventData> events;
    std::optional<Result<AppendResult>> result;
    // The writer's take of the queue it arrived in: its group for waker_.
    std::uint64_t take = 0;
    std::atomic<bool> done{false};
    // Set by AppendAsync: called instead of waking a thread.
    AppendDone on_done;
    AppendRequest owned;
  };

  // Where an event id is stored.
  struct Located {
    std::string_view stream;
    std::uint64_t stream_version;
    std::uint64_t position;
  };

  // A batch written to the WAL, waiting for the sync that makes it durable.
  struct WrittenGroup {
    std::uint64_t position;  // the log's last written position after this group
    std::vector<PendingAppend*> appends;
  };

  // Why an append cannot even be queued (bad input, a read-only log, a copy).
  Result<void> Admissible(std::string_view stream, std::span<const EventData> events) const;
  // Queues `p` for the writer, unless the store is closing.
  bool Enqueue(PendingAppend* p);
  void WriterLoop();
  void SyncerLoop();
  void WriteGroup(std::vector<PendingAppend*>& group);
  // Finds whether the events of `p` were appended before (a retry).
  Result<std::optional<AppendResult>> FindRetry(const PendingAppend& p,
                                                const std::unordered_map<std::string_view, Located>& in_group);
  // Adds `event` at `position` (version `version` of `stream`) to `batch`:
  // its envelope, linked to `hash`, and both index entries. Returns the
  // envelope's hash, the next event's link.
  Sha256Digest PutEvent(rocksdb::WriteBatch& batch, const EventData& event, std::string_view stream,
                        std::uint64_t version, std::uint64_t position, Micros timestamp, const Sha256Digest& hash);
  // The head record sealing the last event of a batch.
  void PutHead(rocksdb::WriteBatch& batch, std::uint64_t position, const Sha256Digest& hash);
  // Remembers a stream's version for the writer, in bounded memory.
  void RememberVersion(std::string_view stream, std::uint64_t version);
  Result<std::uint64_t> CurrentVersion(std::string_view stream);
  // Where the event-id index puts `event_id` (written, not necessarily
  // durable yet); nullopt: nowhere.
  Result<std::optional<std::uint64_t>> PositionOf(std::string_view event_id);
  Result<StreamState> ReadStreamState(std::string_view stream);  // apply_mu_ held
  Result<std::uint64_t> ReadStreamVersion(std::string_view stream);
  Result<RecordedEvent> ReadAt(std::uint64_t position);
  // Walks the log from `from` to `to` (both stored), checking that no
  // position is missing and every envelope verifies at its own position,
  // and calls `visit` until it returns false. Returns the last position
  // visited. `sequential`: a long scan (read-ahead, no cache fill).
  Result<std::uint64_t> Scan(std::uint64_t from, std::uint64_t to, bool sequential,
                             const std::function<bool(const EventView&)>& visit);
  std::unique_ptr<rocksdb::Iterator> LogIterator(bool sequential);

  const RocksDbStoreOptions options_;
  rocksdb::Env* const env_;  // null: RocksDB's default
  const bool mirror_;        // a copy written only by Place
  // Guards the head of a mirror, which Place moves and the source's writer reads.
  mutable std::mutex apply_mu_;
  std::uint64_t source_sequence_ = 0;  // guarded by apply_mu_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* event_ids_ = nullptr;

  // Guards the queue and the closing flag.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingAppend*> queue_;  // guarded by queue_mu_
  bool closing_ = false;              // guarded by queue_mu_
  std::uint64_t take_ = 0;            // guarded by queue_mu_: the writer's takes so far
  GroupWaker waker_;                  // appenders sleep there until done
  std::thread writer_;
  std::thread syncer_;

  // Hands written groups from the writer to the syncer.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<WrittenGroup> written_;  // guarded by sync_mu_
  bool writer_done_ = false;          // guarded by sync_mu_

  // Owned by the writer thread alone.
  std::uint64_t head_position_ = 0;
  Sha256Digest head_hash_{};
  Micros head_timestamp_ = 0;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>> version_cache_;
  // A write or sync failed: what follows the durable position is unknown
  // until the store is reopened, so every later append is refused.
  std::atomic<bool> failed_{false};
  std::string failure_;  // guarded by sync_mu_
  void Fail(const std::string& why) {
    std::lock_guard lock(sync_mu_);
    if (failure_.empty()) failure_ = why;
    failed_ = true;
  }
  std::string Failure() {
    std::lock_guard lock(sync_mu_);
    return failure_;
  }

  // Written by the writer thread, read by anyone.
  std::atomic<std::uint64_t> stat_groups_{0}, stat_syncs_{0}, stat_appends_{0}, stat_events_{0},
      stat_sync_micros_{0};

  // Publishes durable positions to readers and waiters.
  std::atomic<std::uint64_t> committed_{0};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  bool closed_ = false;  // guarded by wait_mu_
};

RocksDbStore::~RocksDbStore() {
  Close();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  if (db_) db_->Close().PermitUncheckedError();
}

Result<void> RocksDbStore::Open() {
  if (options_.path.empty()) return Error::InvalidArgument("the store needs a data directory");
  std::error_code ec;
  if (!options_.read_only) std::filesystem::create_directories(options_.path, ec);
  if (ec) return Error::Internal("cannot create " + options_.path + ": " + ec.message());

  // Bounded memory: one block cache for every family, index and filter
  // blocks charged to it, and a cap on all memtables together.
  // Index and filter blocks are partitioned into small blocks: a whole
  // filter of a large file is megabytes, more than one cache shard holds,
  // so it was evicted as soon as read and re-read from disk on every
  // look-up (appends slowed to a crawl past 5 million events).
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity = options_.block_cache_bytes;
  cache_options.high_pri_pool_ratio = 0.5;  // for index and filter blocks
  auto cache = rocksdb::NewLRUCache(cache_options);
  auto family_options = [&](bool point_lookups) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.pin_top_level_index_and_filter = true;
    table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    table.metadata_block_size = 4096;
    if (point_lookups) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      table.partition_filters = true;
    }
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.write_buffer_size = options_.write_buffer_bytes;
    cf.max_write_buffer_number = 3;
    // LZ4 at every level: replay reads the whole log, and ZSTD at the bottom
    // level (where most of it lies) decompresses several times slower.
    cf.compression = rocksdb::kLZ4Compression;
    if (point_lookups) {
      // Most look-ups (is this event id new? the stream's last version?)
      // miss: a memtable bloom filter answers them without a skiplist search.
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.05;
    }
    return cf;
  };
  rocksdb::ColumnFamilyOptions streams_options = family_options(true);
  streams_options.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamOfIndexKey>();

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options_.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.max_open_files = 1024;
  db_options.db_write_buffer_size = 4 * options_.write_buffer_bytes;
  db_options.keep_log_file_num = 5;
  if (env_ != nullptr) db_options.env = env_;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family_options(false)},
      {keys::kLogFamily, family_options(false)},
      {keys::kStreamsFamily, streams_options},
      {keys::kEventIdsFamily, family_options(true)},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options_.read_only
                          ? rocksdb::DB::OpenForReadOnly(db_options, options_.path, families, &handles_, &raw)
                          : rocksdb::DB::Open(db_options, options_.path, families, &handles_, &raw);
  if (!s.ok()) return FromStatus(s, "cannot open the event log at " + options_.path);
  db_.reset(raw);
  meta_ = handles_[0];
  log_ = handles_[1];
  streams_ = handles_[2];
  event_ids_ = handles_[3];

  // The head is the last event of the log: its position, hash and time.
  auto it = LogIterator(false);
  it->SeekToLast();
  if (!it->status().ok()) return FromStatus(it->status(), "cannot read the log's head");
  if (it->Valid()) {
    auto position = keys::DecodeU64(it->key().ToStringView());
    if (!position) return Error::Corruption("the last key of the log is not a position", 0);
    AlignedCopy copy;
    auto head = CheckedEnvelope(copy.Assign(it->value()), *position);
    if (!head.ok()) return head.error();
    head_position_ = *position;
    head_hash_ = Sha256(head->bytes());
    head_timestamp_ = head->timestamp();
  }
  committed_.store(head_position_, std::memory_order_release);
  if (mirror_) {
    std::string sequence;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), meta_, keys::kSourceSequenceKey, &sequence);
    if (!got.ok() && !got.IsNotFound()) return FromStatus(got, "cannot read the mirror's source sequence");
    if (got.ok()) source_sequence_ = keys::DecodeU64(sequence).value_or(0);
    return {};  // no writer: Place writes
  }
  if (!options_.read_only) {
    writer_ = std::thread([this] { WriterLoop(); });
    syncer_ = std::thread([this] { SyncerLoop(); });
  }
  return {};
}

std::unique_ptr<rocksdb::Iterator> RocksDbStore::LogIterator(bool sequential) {
  rocksdb::ReadOptions ro;
  if (sequential) {
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;  // a full scan must not evict the working set
  }
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, log_));
}

void RocksDbStore::Close() {
  {
    std::lock_guard lock(queue_mu_);
    if (closing_) return;
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(sync_mu_);
    writer_done_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  {
    std::lock_guard lock(wait_mu_);
    closed_ = true;
  }
  wait_cv_.notify_all();
}

Result<void> RocksDbStore::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* family : handles_) {
    rocksdb::Status s = db_->CompactRange(options, family, nullptr, nullptr);
    if (!s.ok()) return FromStatus(s, "cannot compact the event log");
  }
  return {};
}

StoreStats RocksDbStore::Stats() const {
  return {stat_groups_.load(), stat_syncs_.load(), stat_appends_.load(), stat_events_.load(),
          stat_sync_micros_.load()};
}

Result<void> RocksDbStore::Admissible(std::string_view stream, std::span<const EventData> events) const {
  if (auto valid = ValidateAppend(stream, events); !valid.ok()) return valid.error();
  if (options_.read_only) return Error::Unavailable("the event log is open read-only");
  if (mirror_) return Error::Unavailable("this is a copy of a log written elsewhere");
  return {};
}

bool RocksDbStore::Enqueue(PendingAppend* p) {
  {
    std::lock_guard lock(queue_mu_);
    if (closing_) return false;
    p->take = take_;
    queue_.push_back(p);
  }
  queue_cv_.notify_one();
  return true;
}

Result<AppendResult> RocksDbStore::Append(std::string_view stream, ExpectedVersion expected,
                                          std::span<const EventData> events) {
  if (auto admissible = Admissible(stream, events); !admissible.ok()) return admissible.error();
  // The syncer runs AppendAsync's completions: waiting there for its own
  // next sync would never end.
  if (syncer_of_this_thread == this) {
    return Error::Internal("a blocking append from an append's completion");
  }
  PendingAppend pending{stream, expected, events};
  if (!Enqueue(&pending)) return Error::Unavailable("the event log is closed");
  waker_.Wait(pending.take, pending.done);
  return std::move(*pending.result);
}

void RocksDbStore::AppendAsync(AppendRequest request, AppendDone done) {
  // A completion is what marks an append as not awaited by a thread.
  if (!done) done = [](Result<AppendResult>) {};
  if (auto admissible = Admissible(request.stream, request.events); !admissible.ok()) {
    return done(admissible.error());
  }
  auto pending = std::make_unique<PendingAppend>();
  pending->owned = std::move(request);
  pending->stream = pending->owned.stream;
  pending->expected = pending->owned.expected;
  pending->events = pending->owned.events;
  pending->on_done = std::move(done);
  if (!Enqueue(pending.get())) return pending->on_done(Error::Unavailable("the event log is closed"));
  pending.release();  // the syncer deletes it once done
}

void RocksDbStore::WriterLoop() {
  pthread_setname_np(pthread_self(), "parley-writer");
  std::vector<PendingAppend*> group;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and nothing left to write
      std::size_t events = 0;
      while (!queue_.empty() &&
             (group.empty() || events + queue_.front()->events.size() <= options_.max_group_events)) {
        events += queue_.front()->events.size();
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      ++take_;
    }
    WriteGroup(group);
    {
      std::lock_guard lock(sync_mu_);
      written_.push_back({head_position_, std::move(group)});
    }
    sync_cv_.notify_one();
    group.clear();
  }
}

void RocksDbStore::SyncerLoop() {
  pthread_setname_np(pthread_self(), "parley-syncer");
  syncer_of_this_thread = this;
  std::deque<WrittenGroup> groups;
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return !written_.empty() || writer_done_; });
      if (written_.empty()) return;  // the writer has ended and all is synced
      groups.swap(written_);
    }
    const std::uint64_t target = groups.back().position;
    if (target > LastPosition() && !failed_) {
      // One sync covers every batch written before it was called.
      const auto start = std::chrono::steady_clock::now();
      rocksdb::Status s = db_->SyncWAL();
      stat_sync_micros_ +=
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
              .count();
      stat_syncs_++;
      if (s.ok()) {
        {
          std::lock_guard lock(wait_mu_);
          committed_.store(target, std::memory_order_release);
        }
        wait_cv_.notify_all();
      } else {
        Fail("the event log could not be synced: " + s.ToString());
      }
    }
    std::uint64_t takes = 0;
    std::vector<std::unique_ptr<PendingAppend>> completions;
    for (WrittenGroup& g : groups) {
      for (PendingAppend* p : g.appends) {
        // A failed sync fails every append it should have covered, refusals included.
        if (failed_ && g.position > LastPosition()) {
          p->result = Error::Unavailable(Failure());
        }
        if (p->on_done) {
          completions.emplace_back(p);
          continue;
        }
        takes |= GroupWaker::Bit(p->take);
        p->done.store(true, std::memory_order_seq_cst);  // `p` may be gone from here on
      }
    }
    // Sleeping appenders first: the completions may queue further appends.
    waker_.Wake(takes);
    for (auto& p : completions) p->on_done(std::move(*p->result));
    groups.clear();
  }
}

void RocksDbStore::WriteGroup(std::vector<PendingAppend*>& group) {
  if (failed_) {
    for (PendingAppend* p : group) {
      p->result = Error::Unavailable(Failure() + "; restart the server");
    }
    return;
  }
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string_view, std::uint64_t> group_versions;
  std::unordered_map<std::string_view, Located> group_ids;
  std::uint64_t position = head_position_;
  Sha256Digest hash = head_hash_;
  // Timestamps never go backwards along the log, so "as of" is a prefix.
  const Micros now = std::max(options_.clock->Now(), head_timestamp_);

  for (PendingAppend* p : group) {
    auto retry = FindRetry(*p, group_ids);
    if (!retry.ok()) {
      p->result = retry.error();
      continue;
    }
    if (retry->has_value()) {
      p->result = **retry;
      continue;
    }
    std::uint64_t version;
    if (auto it = group_versions.find(p->stream); it != group_versions.end()) {
      version = it->second;
    } else {
      auto current = CurrentVersion(p->stream);
      if (!current.ok()) {
        p->result = current.error();
        continue;
      }
      version = *current;
    }
    if (!p->expected.Matches(version)) {
      p->result = Error::Conflict("stream " + std::string(p->stream) + " is at version " +
                                      std::to_string(version) + ", expected " + p->expected.ToString(),
                                  version);
      continue;
    }
    for (const EventData& event : p->events) {
      hash = PutEvent(batch, event, p->stream, ++version, ++position, now, hash);
      group_ids[event.id] = {p->stream, version, position};
    }
    group_versions[p->stream] = version;
    p->result = AppendResult{version, position, false};
  }
  if (position == head_position_) return;  // only retries and refusals

  PutHead(batch, position, hash);
  // Not synced here: the syncer's SyncWAL makes it durable before anyone
  // is told or can read it.
  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    Fail("the event log could not be written: " + s.ToString());
    for (PendingAppend* p : group) {
      p->result = Error::Unavailable("the event log could not be written: " + s.ToString());
    }
    return;
  }
  stat_groups_++;
  stat_events_ += position - head_position_;
  stat_appends_ += static_cast<std::uint64_t>(std::count_if(group.begin(), group.end(), [](PendingAppend* p) {
    return p->result->ok() && !p->result->value().deduplicated;
  }));
  head_position_ = position;
  head_hash_ = hash;
  head_timestamp_ = now;
  for (auto& [stream, version] : group_versions) RememberVersion(stream, version);
}

Result<std::optional<AppendResult>> RocksDbStore::FindRetry(
    const PendingAppend& p, const std::unordered_map<std::string_view, Located>& in_group) {
  return eventstore::FindRetry(p.stream, p.events, [&](const std::string& id) -> Result<std::optional<StoredAt>> {
    if (auto it = in_group.find(id); it != in_group.end()) {
      return std::optional<StoredAt>(StoredAt{std::string(it->second.stream), it->second.stream_version,
                                              it->second.position});
    }
    // Written, durable or not: the writer decides after every group it wrote.
    auto position = PositionOf(id);
    if (!position.ok()) return position.error();
    if (!position->has_value()) return std::optional<StoredAt>();
    auto stored = ReadAt(**position);
    if (!stored.ok()) return stored.error();
    return std::optional<StoredAt>(StoredAt::Of(*stored));
  });
}

Result<std::optional<std::uint64_t>> RocksDbStore::PositionOf(std::string_view event_id) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), event_ids_, rocksdb::Slice(event_id.data(), event_id.size()), &value);
  if (s.IsNotFound()) return std::optional<std::uint64_t>();
  if (!s.ok()) return FromStatus(s, "cannot look up event id " + std::string(event_id));
  auto position = keys::DecodeU64(value);
  if (!position) return Error::Corruption("bad index entry for event id " + std::string(event_id), 0);
  return std::optional<std::uint64_t>(*position);
}

Sha256Digest RocksDbStore::PutEvent(rocksdb::WriteBatch& batch, const EventData& event, std::string_view stream,
                                    std::uint64_t version, std::uint64_t position, Micros timestamp,
                                    const Sha256Digest& hash) {
  const std::string bytes = EncodeEnvelope(event, {stream, version, position, timestamp, &hash});
  const std::string log_key = keys::LogKey(position);
  batch.Put(log_, log_key, bytes);
  batch.Put(streams_, keys::StreamKey(stream, version), log_key);
  batch.Put(event_ids_, event.id, log_key);
  return Sha256(bytes);
}

void RocksDbStore::PutHead(rocksdb::WriteBatch& batch, std::uint64_t position, const Sha256Digest& hash) {
  std::string head = keys::EncodeU64(position);
  head.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  batch.Put(meta_, keys::kHeadKey, head);
}

void RocksDbStore::RememberVersion(std::string_view stream, std::uint64_t version) {
  if (version_cache_.size() > (1u << 20)) version_cache_.clear();  // bounded memory
  version_cache_[std::string(stream)] = version;
}

Result<std::uint64_t> RocksDbStore::CurrentVersion(std::string_view stream) {
  if (auto it = version_cache_.find(stream); it != version_cache_.end()) return it->second;
  return ReadStreamVersion(stream);
}

Result<std::uint64_t> RocksDbStore::ReadStreamVersion(std::string_view stream) {
  std::string prefix = keys::StreamPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  it->SeekForPrev(keys::StreamKey(stream, kEndOfStream));
  if (!it->status().ok()) return FromStatus(it->status(), "cannot read stream " + std::string(stream));
  if (!it->Valid() || !StartsWith(it->key(), prefix)) return std::uint64_t{0};
  auto version = keys::DecodeU64(it->key().ToStringView().substr(prefix.size()));
  if (!version) return Error::Corruption("bad stream index key for " + std::string(stream), 0);
  return *version;
}

Result<std::uint64_t> RocksDbStore::StreamVersion(std::string_view stream) {
  if (auto valid = ValidateStreamId(stream); !valid.ok()) return valid.error();
  return ReadStreamVersion(stream);
}

Result<std::optional<RecordedEvent>> RocksDbStore::FindEvent(std::string_view event_id) {
  if (event_id.empty() || event_id.size() > kMaxEventIdBytes) return std::optional<RecordedEvent>();
  auto position = PositionOf(event_id);
  if (!position.ok()) return position.error();
  // Not stored, or its sync is under way.
  if (!position->has_value() || **position > LastPosition()) return std::optional<RecordedEvent>();
  auto event = ReadAt(**position);
  if (!event.ok()) return event.error();
  return std::optional<RecordedEvent>(std::move(*event));
}

Result<RecordedEvent> RocksDbStore::ReadAt(std::uint64_t position) {
  std::string bytes;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), log_, keys::LogKey(position), &bytes);
  if (s.IsNotFound()) return Error::Corruption("no event at indexed position", position);
  if (!s.ok()) return FromStatus(s, "cannot read position " + std::to_string(position));
  if (auto checked = CheckedEnvelope(bytes, position); !checked.ok()) return checked.error();
  return RecordedEvent(std::move(bytes));
}

Result<std::vector<RecordedEvent>> RocksDbStore::ReadStream(std::string_view stream, std::uint64_t from,
                                                            Direction direction, std::size_t max_count) {
  if (auto valid = ValidateStreamId(stream); !valid.ok()) return valid.error();
  std::string prefix = keys::StreamPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_));
  std::vector<std::uint64_t> positions;
  if (direction == Direction::kForward) {
    for (it->Seek(keys::StreamKey(stream, from)); it->Valid() && positions.size() < max_count; it->Next()) {
      if (!StartsWith(it->key(), prefix)) break;
      positions.push_back(keys::DecodeU64(it->value().ToStringView()).value_or(0));
    }
  } else {
    for (it->SeekForPrev(keys::StreamKey(stream, from)); it->Valid() && positions.size() < max_count;
         it->Prev()) {
      if (!StartsWith(it->key(), prefix)) break;
      positions.push_back(keys::DecodeU64(it->value().ToStringView()).value_or(0));
    }
  }
  if (!it->status().ok()) return FromStatus(it->status(), "cannot read stream " + std::string(stream));
  std::vector<RecordedEvent> events;
  events.reserve(positions.size());
  const std::uint64_t durable = LastPosition();
  for (std::uint64_t position : positions) {
    if (position > durable) continue;  // written, but its sync is under way
    auto event = ReadAt(position);
    if (!event.ok()) return event.error();
    if (event->stream() != stream)
      return Error::Corruption("stream index points at another stream", position);
    events.push_back(std::move(*event));
  }
  return events;
}

Result<std::uint64_t> RocksDbStore::Scan(std::uint64_t from, std::uint64_t to, bool sequential,
                                         const std::function<bool(const EventView&)>& visit) {
  auto it = LogIterator(sequential);
  AlignedCopy copy;
  std::uint64_t expected = from;
  for (it->Seek(keys::LogKey(from)); it->Valid() && expected <= to; it->Next()) {
    auto position = keys::DecodeU64(it->key().ToStringView());
    if (!position || *position != expected) break;  // a gap: reported below
    auto view = CheckedEnvelope(copy.Assign(it->value()), expected);
    if (!view.ok()) return view.error();
    ++expected;
    if (!visit(*view)) return expected - 1;
  }
  if (!it->status().ok()) return FromStatus(it->status(), "cannot read the log");
  if (expected <= to) {
    return Error::Corruption("event " + std::to_string(expected) + " is missing from the log", expected);
  }
  return expected - 1;
}

Result<std::uint64_t> RocksDbStore::ForEach(std::uint64_t from, std::uint64_t to,
                                            const std::function<bool(const EventView&)>& visit) {
  if (from == 0) from = 1;
  to = std::min(to, LastPosition());
  if (from > to) return from - 1;
  return Scan(from, to, true, visit);
}

Result<ReadAllPage> RocksDbStore::ReadAll(std::uint64_t from, std::size_t max_count) {
  if (from == 0) from = 1;
  ReadAllPage page;
  page.next_position = from;
  const std::uint64_t last = LastPosition();
  if (max_count == 0 || from > last) return page;
  const std::uint64_t to = from + std::min<std::uint64_t>(max_count, last - from + 1) - 1;
  page.events.reserve(to - from + 1);
  auto scanned = Scan(from, to, false, [&](const EventView& e) {
    page.events.emplace_back(std::string(e.bytes()));
    return true;
  });
  if (!scanned.ok()) return scanned.error();
  page.next_position = *scanned + 1;
  return page;
}

bool RocksDbStore::WaitForPosition(std::uint64_t position, std::chrono::milliseconds timeout) {
  std::unique_lock lock(wait_mu_);
  return wait_cv_.wait_for(lock, timeout, [&] { return LastPosition() >= position || closed_; }) &&
         LastPosition() >= position;
}

Result<VerifyReport> RocksDbStore::Verify(std::uint64_t from, std::uint64_t to) {
  if (from == 0) from = 1;
  const std::uint64_t head = LastPosition();
  to = std::min(to, head);
  VerifyReport report{0, from - 1};
  Sha256Digest prev{};
  if (from > 1) {
    auto before = ReadAt(from - 1);
    if (!before.ok()) return before.error();
    prev = Sha256(before->bytes());
  }
  if (from > to) return report;
  std::optional<Error> broken;
  auto scanned = Scan(from, to, true, [&](const EventView& e) {
    if (e.prev_hash() != std::string_view(reinterpret_cast<const char*>(prev.data()), prev.size())) {
      broken =
          Error::Corruption("event " + std::to_string(e.position()) + " does not match the hash of event " +
                                std::to_string(e.position() - 1) + " (one of the two was altered)",
                            e.position());
      return false;
    }
    prev = Sha256(e.bytes());
    report.checked++;
    report.last_position = e.position();
    return true;
  });
  if (!scanned.ok()) return scanned.error();
  if (broken) return *broken;
  // The head record seals the last event, which no successor covers yet.
  if (to == head && head > 0) {
    std::string sealed;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, keys::kHeadKey, &sealed);
    if (!s.ok() || sealed.size() != 8 + prev.size()) {
      return Error::Corruption("the log's head record is missing or malformed", head);
    }
    const std::uint64_t sealed_position = keys::DecodeU64(std::string_view(sealed).substr(0, 8)).value_or(0);
    if (sealed_position < head) {
      return Error::Corruption("the head record names an earlier last event", head);
    }
    // A later head record belongs to a batch whose sync is under way.
    if (sealed_position == head &&
        std::string_view(sealed).substr(8) !=
            std::string_view(reinterpret_cast<const char*>(prev.data()), prev.size())) {
      return Error::Corruption("event " + std::to_string(head) + " does not match the head record's hash",
                               head);
    }
  }
  return report;
}

RocksDbMirror::Head RocksDbStore::CurrentHead() const {
  std::lock_guard lock(apply_mu_);
  return {head_position_, head_hash_, head_timestamp_, source_sequence_};
}

Result<RocksDbMirror::StreamState> RocksDbStore::CurrentStreamState(std::string_view stream) {
  std::lock_guard lock(apply_mu_);
  return ReadStreamState(stream);
}

Result<RocksDbMirror::StreamState> RocksDbStore::ReadStreamState(std::string_view stream) {
  auto version = CurrentVersion(stream);
  if (!version.ok()) return version.error();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, keys::StreamSubjectKey(stream), &value);
  if (!s.ok() && !s.IsNotFound()) return FromStatus(s, "cannot read a stream's subject");
  StreamState state{*version, 0, ""};
  if (s.ok()) {
    auto sequence = keys::DecodeU64(std::string_view(value).substr(0, 8));
    if (!sequence) return Error::Corruption("bad subject record for stream " + std::string(stream), 0);
    state.subject_sequence = *sequence;
    state.owner = value.substr(8);
  }
  return state;
}

Result<std::optional<AppendResult>> RocksDbStore::Place(const SourceMessage& message) {
  if (!mirror_) return Error::Internal("Place is only for a mirror");
  std::lock_guard lock(apply_mu_);
  if (message.sequence <= source_sequence_) return std::optional<AppendResult>();  // delivered again
  const std::string_view stream = message.stream;
  auto state = ReadStreamState(stream);
  if (!state.ok()) return state.error();
  rocksdb::WriteBatch batch;
  // A stream lives on one subject: another firm's message for it is left
  // out, and its subject's sequence is not ours to record.
  const bool owned = state->OwnedBy(message.owner);
  bool place = owned && (!message.expected_subject_sequence ||
                         *message.expected_subject_sequence == state->subject_sequence);
  // Ids stored already, or twice in the message: the whole append is left out.
  std::unordered_set<std::string_view> ids;
  for (const EventData& event : message.events) {
    if (!place) break;
    if (!ids.insert(event.id).second) place = false;
    auto stored = PositionOf(event.id);
    if (!stored.ok()) return stored.error();
    if (stored->has_value()) place = false;
  }
  std::uint64_t version = state->version;
  std::uint64_t position = head_position_;
  Sha256Digest hash = head_hash_;
  const Micros stamp = std::max(message.timestamp, head_timestamp_);
  if (place) {
    for (const EventData& event : message.events) {
      hash = PutEvent(batch, event, stream, ++version, ++position, stamp, hash);
    }
    PutHead(batch, position, hash);
  }
  if (owned) {
    std::string subject = keys::EncodeU64(message.sequence);
    subject.append(message.owner);
    batch.Put(meta_, keys::StreamSubjectKey(stream), subject);
  }
  batch.Put(meta_, keys::kSourceSequenceKey, keys::EncodeU64(message.sequence));
  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return FromStatus(s, "cannot write the copy of the log");
  source_sequence_ = message.sequence;
  if (!place) return std::optional<AppendResult>();
  stat_groups_++;
  stat_events_ += position - head_position_;
  head_position_ = position;
  head_hash_ = hash;
  head_timestamp_ = stamp;
  RememberVersion(stream, version);
  {
    std::lock_guard wait_lock(wait_mu_);
    committed_.store(position, std::memory_order_release);
  }
  wait_cv_.notify_all();
  return std::optional<AppendResult>(AppendResult{version, position, false});
}

}  // namespace

Result<std::unique_ptr<EventStore>> OpenRocksDbStore(const RocksDbStoreOptions& options) {
  return OpenRocksDbStoreWithEnv(options, nullptr);
}

Result<void> CompactRocksDbStore(const RocksDbStoreOptions& options) {
  RocksDbStore store(options, nullptr);
  if (auto opened = store.Open(); !opened.ok()) return opened.error();
  return store.CompactAll();
}

Result<std::unique_ptr<RocksDbMirror>> OpenRocksDbMirror(const RocksDbStoreOptions& options) {
  auto store = std::make_unique<RocksDbStore>(options, nullptr, /*mirror=*/true);
  if (auto opened = store->Open(); !opened.ok()) return opened.error();
  return std::unique_ptr<RocksDbMirror>(std::move(store));
}

Result<std::unique_ptr<EventStore>> OpenRocksDbStoreWithEnv(const RocksDbStoreOptions& options,
                                                            rocksdb::Env* env) {
  auto store = std::make_unique<RocksDbStore>(options, env);
  if (auto opened = store->Open(); !opened.ok()) return opened.error();
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace parley::eventstore
