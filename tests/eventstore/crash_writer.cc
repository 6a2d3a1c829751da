// Child process of the crash test: appends commands of three events from
// four threads, forever, and prints one line per acknowledged command
// ("<command id> <position of its last event>") once its append returned.
// The test kills it with SIGKILL at a random moment.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"

int main(int argc, char** argv) {
  using namespace parley::eventstore;
  if (argc != 2) return 2;
  RocksDbStoreOptions options;
  options.path = argv[1];
  auto store = OpenRocksDbStore(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
    return 1;
  }
  const std::string run = std::to_string(getpid());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (long n = 0;; ++n) {
        std::string command = "c" + run + "-" + std::to_string(t) + "-" + std::to_string(n);
        std::vector<EventData> events(3);
        for (int i = 0; i < 3; ++i) {
          events[i].id = command + "/" + std::to_string(i);
          events[i].type = "CrashTested";
          events[i].payload = std::string(200, 'a' + i);
          events[i].correlation_id = command;
        }
        auto r = (*store)->Append("s-" + std::to_string(t) + "-" + std::to_string(n % 7),
                                  ExpectedVersion::Any(), events);
        if (!r.ok()) {
          std::fprintf(stderr, "append: %s\n", r.error().message.c_str());
          _exit(1);
        }
        std::string line = command + " " + std::to_string(r->position) + "\n";
        // One write() below PIPE_BUF is atomic: lines never interleave.
        if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(1);
      }
    });
  }
  for (auto& t : threads) t.join();
}
