// Zero-filled WAL files: each WAL the store writes starts as a file of
// zeros (the first filled before the store opens, the next ones from a
// spare made in the background), and the log reads back whole after a
// reopen. The crash test (kill -9) and the power-cut test check recovery
// with a WAL that ends in zeros.
#include "eventstore/zero_filled_wal.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "tests/testing/events.h"
#include "tests/testing/temp_dir.h"

namespace parley::eventstore {
namespace {

constexpr std::size_t kWriteBuffer = 1 << 20;
constexpr std::uint64_t kZeroFilled = kWriteBuffer + kWriteBuffer / 2;

// The sizes of the WAL files (<number>.log) in `dir`.
std::vector<std::uint64_t> WalSizes(const std::filesystem::path& dir) {
  std::vector<std::uint64_t> sizes;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") sizes.push_back(entry.file_size());
  }
  return sizes;
}

// Waits (up to 20 s) until the spare is ready.
bool SpareReady(const std::filesystem::path& dir) {
  const auto spare = dir / kWalSpareName;
  for (int i = 0; i < 2000; ++i) {
    std::error_code ec;
    if (std::filesystem::file_size(spare, ec) == kZeroFilled) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(ZeroFilledWal, EachWalStartsAsZerosAndTheNextComesFromTheSpare) {
  testing::TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.str("log");
  options.write_buffer_bytes = kWriteBuffer;
  std::vector<std::string> ids;
  {
    auto store = OpenRocksDbStore(options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    // The WAL RocksDB opened is the first file of zeros, not yet outgrown,
    // and no spare is made until it has used half of them.
    EXPECT_EQ(WalSizes(options.path), std::vector<std::uint64_t>{kZeroFilled});
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(options.path) / kWalSpareName));

    // Over 1 MiB of events: the log's memtable is switched, and with it the
    // WAL. The spare is made as the first passes half of its zeros.
    for (int i = 0; i < 400; ++i) {
      if (i == 200) {
        ASSERT_TRUE(SpareReady(options.path)) << "no spare WAL was made after the first";
      }
      std::vector<EventData> events{testing::MakeEvent(testing::UniqueId("z"), 4000)};
      ids.push_back(events[0].id);
      auto appended = (*store)->Append("s-" + std::to_string(i % 7), ExpectedVersion::Any(), events);
      ASSERT_TRUE(appended.ok()) << appended.error().message;
    }
    // The new WAL was the spare, renamed: a file of zeros as large.
    std::vector<std::uint64_t> sizes = WalSizes(options.path);
    ASSERT_GE(sizes.size(), 1u);
    EXPECT_GE(*std::max_element(sizes.begin(), sizes.end()), kZeroFilled);
  }
  // Everything reads back after a reopen, and the chain holds.
  auto store = OpenRocksDbStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->LastPosition(), ids.size());
  for (const std::string& id : ids) {
    auto found = (*store)->FindEvent(id);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_TRUE(found->has_value()) << id;
  }
  auto verified = (*store)->Verify(1, kEndOfStream);
  EXPECT_TRUE(verified.ok()) << verified.error().message;
}

TEST(ZeroFilledWal, CanBeTurnedOff) {
  testing::TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.str("log");
  options.write_buffer_bytes = kWriteBuffer;
  options.zero_filled_wal = false;
  auto store = OpenRocksDbStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto events = testing::MakeEvents(3);
  ASSERT_TRUE((*store)->Append("s", ExpectedVersion::Any(), events).ok());
  for (std::uint64_t size : WalSizes(options.path)) EXPECT_LT(size, kZeroFilled);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(options.path) / kWalSpareName));
}

}  // namespace
}  // namespace parley::eventstore
