// Durability: every acknowledged append survives a power cut, simulated by
// a file system that forgets every byte not synced when the "power" goes
// (as leveldb's fault_injection_test does), then a reopen.
#include <gtest/gtest.h>
#include <rocksdb/file_system.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "eventstore/event_store.h"
#include "eventstore/rocksdb_store.h"
#include "tests/testing/events.h"
#include "tests/testing/temp_dir.h"

namespace parley::eventstore {
namespace {

// Remembers, for every file written, how many bytes were synced; once cut,
// writes and syncs are accepted and dropped, as after a power loss.
class PowerCutFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit PowerCutFileSystem(std::shared_ptr<rocksdb::FileSystem> base) : FileSystemWrapper(base) {}
  const char* Name() const override { return "PowerCutFileSystem"; }

  struct FileState {
    std::uint64_t written = 0;
    std::uint64_t synced = 0;
  };

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto s = target()->NewWritableFile(name, options, &file, dbg);
    if (!s.ok()) return s;
    std::lock_guard lock(mu_);
    files_[name] = FileState{};
    result->reset(new TrackedFile(std::move(file), this, name));
    return s;
  }

  void Cut() {
    std::lock_guard lock(mu_);
    cut_ = true;
  }

  // After the store is gone: truncates every tracked file to what was synced.
  void DropUnsynced() {
    std::lock_guard lock(mu_);
    for (const auto& [name, state] : files_) {
      std::error_code ec;
      if (std::filesystem::exists(name, ec)) std::filesystem::resize_file(name, state.synced, ec);
    }
  }

  std::uint64_t dropped_bytes() {
    std::lock_guard lock(mu_);
    std::uint64_t total = 0;
    for (const auto& [name, state] : files_) total += state.written - state.synced;
    return total;
  }

 private:
  class TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> file, PowerCutFileSystem* fs, std::string name)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->IsCut()) return rocksdb::IOStatus::OK();
      auto s = target()->Append(data, options, dbg);
      if (s.ok()) fs_->Written(name_, data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo&, rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (fs_->IsCut()) return rocksdb::IOStatus::OK();
      auto s = target()->Sync(options, dbg);
      if (s.ok()) fs_->Synced(name_);
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      return Sync(options, dbg);
    }
    rocksdb::IOStatus Close(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      // RocksDB syncs files it needs before closing them; a close alone
      // makes nothing durable.
      return target()->Close(options, dbg);
    }

   private:
    PowerCutFileSystem* fs_;
    std::string name_;
  };

  bool IsCut() {
    std::lock_guard lock(mu_);
    return cut_;
  }
  void Written(const std::string& name, std::uint64_t n) {
    std::lock_guard lock(mu_);
    files_[name].written += n;
  }
  void Synced(const std::string& name) {
    std::lock_guard lock(mu_);
    files_[name].synced = files_[name].written;
  }

  std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_
  bool cut_ = false;                        // guarded by mu_
};

TEST(DurabilityTest, EveryAcknowledgedAppendSurvivesLosingUnsyncedBytes) {
  testing::TempDir dir;
  auto fs = std::make_shared<PowerCutFileSystem>(rocksdb::FileSystem::Default());
  auto env = rocksdb::NewCompositeEnv(fs);
  RocksDbStoreOptions options;
  options.path = dir.str("log");

  std::mutex acked_mu;
  std::map<std::string, std::uint64_t> acked;  // event id -> position
  {
    auto store = OpenRocksDbStoreWithEnv(options, env.get());
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          auto events = testing::MakeEvents(1 + i % 3, "d" + std::to_string(t));
          auto r = (*store)->Append("s-" + std::to_string(t), ExpectedVersion::Any(), events);
          if (!r.ok()) return;  // the store was closed under us
          std::lock_guard lock(acked_mu);
          acked[events.back().id] = r->position;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // The power goes while appends are under way; what was acknowledged
    // before this instant must be on disk.
    std::map<std::string, std::uint64_t> acked_before_cut;
    {
      std::lock_guard lock(acked_mu);
      fs->Cut();
      acked_before_cut = acked;
    }
    stop = true;
    for (auto& w : writers) w.join();
    acked = std::move(acked_before_cut);
    (*store)->Close();
  }
  fs->DropUnsynced();
  ASSERT_GT(acked.size(), 50u);

  auto store = OpenRocksDbStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  std::map<std::string, std::uint64_t> found;
  auto scanned = (*store)->ForEach(1, kEndOfStream, [&](const EventView& e) {
    found[std::string(e.id())] = e.position();
    return true;
  });
  ASSERT_TRUE(scanned.ok()) << scanned.error().message;
  for (const auto& [id, position] : acked) {
    auto it = found.find(id);
    ASSERT_NE(it, found.end()) << "acknowledged event " << id << " was not synced";
    EXPECT_EQ(it->second, position);
  }
  auto verified = (*store)->Verify(1, kEndOfStream);
  EXPECT_TRUE(verified.ok()) << verified.error().message;
  std::printf("%zu acknowledged appends all present after dropping unsynced bytes\n", acked.size());
}

}  // namespace
}  // namespace parley::eventstore
