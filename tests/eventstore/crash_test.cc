// Kills a writing process with SIGKILL many times and checks, after each
// reopen, that every acknowledged command is there whole, that no command is
// half-written, and that the hash chain verifies.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>

#include "eventstore/event_store.h"
#include "tests/testing/child_process.h"
#include "tests/testing/temp_dir.h"

namespace parley::eventstore {
namespace {

// Reads what is available within `timeout_ms`; returns false at end of file.
bool ReadSome(int fd, std::string& into, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return true;
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  into.append(buf, n);
  return true;
}

TEST(CrashTest, KillNineNeverLosesAnAcknowledgedEventNorHalfWritesACommand) {
  constexpr int kCycles = 50;
  testing::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::map<std::string, std::uint64_t> acked;  // command -> position of its last event
  int cycles_with_acks = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    testing::ChildProcess child = testing::SpawnWithStdoutPipe({PARLEY_CRASH_WRITER, dir.str("log")});
    std::string out;
    // Wait for the first acknowledgement, then let it run a random while.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      ASSERT_TRUE(ReadSome(child.stdout_fd, out, 50)) << "the writer exited early";
    }
    auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 40);
    while (std::chrono::steady_clock::now() < kill_at) ReadSome(child.stdout_fd, out, 1);
    ASSERT_EQ(kill(child.pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child.pid, &status, 0), child.pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer failed by itself";
    while (ReadSome(child.stdout_fd, out, 1000)) {
    }
    close(child.stdout_fd);

    std::istringstream lines(out);
    std::string command;
    std::uint64_t position;
    int acks = 0;
    while (lines >> command >> position) {
      acked[command] = position;
      ++acks;
    }
    cycles_with_acks += acks > 0;

    RocksDbStoreOptions options;
    options.path = dir.str("log");
    auto store = OpenRocksDbStore(options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    // Every command is whole: its three events, consecutive, in order.
    std::map<std::string, std::vector<std::uint64_t>> commands;
    auto scanned = (*store)->ForEach(1, kEndOfStream, [&](const EventView& e) {
      commands[std::string(e.correlation_id())].push_back(e.position());
      return true;
    });
    ASSERT_TRUE(scanned.ok()) << scanned.error().message;
    for (const auto& [id, positions] : commands) {
      ASSERT_EQ(positions.size(), 3u) << "command " << id << " is half-written";
      ASSERT_EQ(positions[2], positions[0] + 2) << "command " << id << " is not contiguous";
    }
    // Every acknowledged command is present where it was acknowledged.
    for (const auto& [id, last] : acked) {
      auto it = commands.find(id);
      ASSERT_NE(it, commands.end()) << "acknowledged command " << id << " was lost (cycle " << cycle << ")";
      ASSERT_EQ(it->second[2], last);
    }
    auto verified = (*store)->Verify(1, kEndOfStream);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
  }
  EXPECT_EQ(cycles_with_acks, kCycles);
  RecordProperty("acknowledged_commands", static_cast<int>(acked.size()));
  std::printf("%d kill -9 cycles, %zu acknowledged commands, 0 lost\n", kCycles, acked.size());
}

}  // namespace
}  // namespace parley::eventstore
