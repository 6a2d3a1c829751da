// parley-log-scale: fills a log with N events (default 10 million) from
// several appenders, then replays it, printing throughput and the
// process's resident memory at each step, to check that the store's memory
// stays bounded at scale (block cache, memtables, version cache).
//
//   parley-log-scale [--events N] [--dir DIR] [--appenders N] [--batch N]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "tools/flags.h"

namespace {

using namespace parley::eventstore;

long ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

long PeakResidentKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  parley::tools::Flags flags(argc, argv, {});
  const long long total = flags.GetInt("events", 10'000'000, 1, 1'000'000'000);
  const int appenders = static_cast<int>(flags.GetInt("appenders", 8, 1, 256));
  const int batch = static_cast<int>(flags.GetInt("batch", 50, 1, 1000));
  const std::string dir =
      flags.Get("dir", (std::filesystem::temp_directory_path() / "parley-log-scale").string());
  if (!flags.ok()) {
    std::fprintf(stderr, "parley-log-scale: %s\n", flags.error().c_str());
    return 2;
  }
  std::filesystem::remove_all(dir);
  RocksDbStoreOptions options;
  options.path = dir;
  auto opened = OpenRocksDbStore(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto& store = *opened;
  std::printf("start: rss %ld MiB\n", ResidentKib() / 1024);

  // Fill: each appender writes commands of `batch` events to its own
  // streams (100k streams in all), like conversations of many dossiers.
  std::atomic<long long> next{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&] {
      std::vector<EventData> events(batch);
      for (;;) {
        long long first = next.fetch_add(batch);
        if (first >= total || failed) return;
        for (int i = 0; i < batch; ++i) {
          events[i].id = "ev" + std::to_string(first + i);
          events[i].type = "MessagePosted";
          events[i].payload.assign(300, static_cast<char>('a' + (first + i) % 26));
          events[i].actor = "u-scale";
        }
        auto r = store->Append("conv-" + std::to_string((first / batch) % 100'000), ExpectedVersion::Any(),
                               events);
        if (!r.ok()) {
          std::fprintf(stderr, "append: %s\n", r.error().message.c_str());
          failed = true;
        }
        if ((first / batch) % 20'000 == 0) {
          std::printf("  %lld events, rss %ld MiB\n", first, ResidentKib() / 1024);
          std::fflush(stdout);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  if (failed) return 1;
  double fill = Seconds(start);
  std::printf("filled %llu events in %.1f s (%.0f events/s), rss %ld MiB, peak %ld MiB\n",
              static_cast<unsigned long long>(store->LastPosition()), fill, store->LastPosition() / fill,
              ResidentKib() / 1024, PeakResidentKib() / 1024);

  start = std::chrono::steady_clock::now();
  std::uint64_t count = 0;
  auto last = store->ForEach(1, kEndOfStream, [&](const EventView&) {
    ++count;
    return true;
  });
  if (!last.ok()) {
    std::fprintf(stderr, "replay: %s\n", last.error().message.c_str());
    return 1;
  }
  double replay = Seconds(start);
  std::printf("replayed %llu events in %.1f s (%.0f events/s), rss %ld MiB, peak %ld MiB\n",
              static_cast<unsigned long long>(count), replay, count / replay, ResidentKib() / 1024,
              PeakResidentKib() / 1024);
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
