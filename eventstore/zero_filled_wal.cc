#include "eventstore/zero_filled_wal.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

namespace parley::eventstore {
namespace {

// RocksDB names its WAL files <number>.log.
bool IsWal(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".log") != 0) return false;
  return std::all_of(name.begin(), name.end() - 4, [](char c) { return c >= '0' && c <= '9'; });
}

// Writes `bytes` of zeros to a new file at `path` and syncs it.
bool WriteZeros(const std::string& path, std::uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  static const std::string zeros(1 << 20, '\0');
  bool ok = true;
  for (std::uint64_t done = 0; ok && done < bytes;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), bytes - done));
    const ssize_t written = ::write(fd, zeros.data(), n);
    ok = written == static_cast<ssize_t>(n);
    done += n;
  }
  ok = ok && ::fdatasync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  return ok;
}

class ZeroFilledWalFs final : public rocksdb::FileSystemWrapper {
 public:
  ZeroFilledWalFs(std::shared_ptr<rocksdb::FileSystem> base, std::string dir, std::uint64_t bytes)
      : FileSystemWrapper(std::move(base)),
        spare_((std::filesystem::path(dir) / kWalSpareName).string()),
        bytes_(bytes) {
    // The first WAL is made while the database opens: fill it now.
    std::error_code ec;
    spare_ready_ = std::filesystem::file_size(spare_, ec) == bytes_ || Fill();
    preparer_ = std::thread([this] { PrepareSpares(); });
  }
  ~ZeroFilledWalFs() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    preparer_.join();
  }
  const char* Name() const override { return "ZeroFilledWalFs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (!IsWal(path)) return target()->NewWritableFile(path, options, result, dbg);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    // A spare is opened without truncation: RocksDB writes over the zeros.
    auto s = TakeSpare(path) ? target()->ReuseWritableFile(path, path, options, &file, dbg)
                             : target()->NewWritableFile(path, options, &file, dbg);
    if (s.ok()) result->reset(new CountedWal(std::move(file), this));
    return s;
  }

 private:
  // A WAL that asks for the next spare once it has used half of its zeros:
  // most stores in tests never get that far, and the spare costs a write
  // of `bytes_`.
  class CountedWal final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    CountedWal(std::unique_ptr<rocksdb::FSWritableFile> file, ZeroFilledWalFs* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      Count(data.size());
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      Count(data.size());
      return target()->Append(data, options, info, dbg);
    }

   private:
    void Count(std::size_t n) {
      const std::uint64_t before = appended_.fetch_add(n, std::memory_order_relaxed);
      if (before < fs_->bytes_ / 2 && before + n >= fs_->bytes_ / 2) fs_->WantSpare();
    }
    ZeroFilledWalFs* const fs_;
    std::atomic<std::uint64_t> appended_{0};
  };

  void WantSpare() {
    {
      std::lock_guard lock(mu_);
      want_spare_ = true;
    }
    cv_.notify_all();
  }

  bool Fill() {
    const std::string filling = spare_ + ".tmp";
    if (WriteZeros(filling, bytes_) && std::rename(filling.c_str(), spare_.c_str()) == 0) return true;
    std::remove(filling.c_str());  // a full disk, say: WALs are then plain files
    return false;
  }

  // Renames the spare to `path` if one is ready.
  bool TakeSpare(const std::string& path) {
    bool taken = false;
    {
      std::lock_guard lock(mu_);
      if (spare_ready_ && std::rename(spare_.c_str(), path.c_str()) == 0) {
        spare_ready_ = false;
        taken = true;
      }
    }
    return taken;
  }

  void PrepareSpares() {
    pthread_setname_np(pthread_self(), "parley-walzero");
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || (want_spare_ && !spare_ready_); });
      if (stop_) return;
      want_spare_ = false;
      lock.unlock();
      const bool filled = Fill();
      lock.lock();
      spare_ready_ = filled;  // a failed fill is tried again for the next WAL
    }
  }

  const std::string spare_;
  const std::uint64_t bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool spare_ready_ = false;  // guarded by mu_
  bool want_spare_ = false;   // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  std::thread preparer_;
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> ZeroFilledWalFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                             std::string dir, std::uint64_t bytes) {
  return std::make_shared<ZeroFilledWalFs>(std::move(base), std::move(dir), bytes);
}

}  // namespace parley::eventstore
