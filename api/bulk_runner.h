// Runs jobs of sending to many dossiers on a thread of their own, one job
// after another, so that a long send never holds up an HTTP thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace parley::api {

class BulkRunner {
 public:
  // `run(firm, job, stopping)` does one job; it should return soon once
  // `stopping` is true, leaving the rest for a resumed run.
  using Run =
      std::function<void(const std::string& firm, const std::string& job, const std::atomic<bool>& stopping)>;

  explicit BulkRunner(Run run) : run_(std::move(run)), thread_([this] { Loop(); }) {}
  ~BulkRunner() { Stop(); }
  BulkRunner(const BulkRunner&) = delete;
  BulkRunner& operator=(const BulkRunner&) = delete;

  // Queues the job unless it is queued or running already.
  void Submit(const std::string& firm, const std::string& job) {
    std::lock_guard lock(mutex_);
    if (!known_.insert(firm + "/" + job).second) return;
    queue_.emplace_back(firm, job);
    wake_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    for (;;) {
      std::pair<std::string, std::string> next;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      run_(next.first, next.second, stopping_);
      std::lock_guard lock(mutex_);
      known_.erase(next.first + "/" + next.second);
    }
  }

  Run run_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::set<std::string> known_;  // queued or running
  std::atomic<bool> stopping_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace parley::api
