// RocksDB-specific behaviour of the store: reopening, and corruption of the
// stored bytes found by the reader and by the hash chain.
#include "eventstore/event_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "eventstore/keys.h"
#include "eventstore/rocksdb_store.h"
#include "tests/testing/events.h"
#include "tests/testing/temp_dir.h"

namespace parley::eventstore {
namespace {

using testing::MakeEvents;

class RocksDbStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> Open() {
    RocksDbStoreOptions options;
    options.path = dir_.str("log");
    auto store = OpenRocksDbStore(options);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }

  void Fill(int events) {
    auto store = Open();
    for (int i = 0; i < events; ++i)
      ASSERT_TRUE(store->Append("s", ExpectedVersion::Any(), MakeEvents(1)).ok());
  }

  // Edits the log behind the store's back, as a disk fault or an attacker would.
  void Tamper(const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle* log)>& edit) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                             {keys::kLogFamily, {}},
                                                             {keys::kStreamsFamily, {}},
                                                             {keys::kEventIdsFamily, {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.str("log"), families, &handles, &db).ok());
    edit(db, handles[1]);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }

  std::string StoredAt(std::uint64_t position) {
    std::string value;
    Tamper([&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
      ASSERT_TRUE(db->Get({}, log, keys::LogKey(position), &value).ok());
    });
    return value;
  }

  void Overwrite(std::uint64_t position, const std::string& bytes) {
    Tamper([&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
      ASSERT_TRUE(db->Put({}, log, keys::LogKey(position), bytes).ok());
    });
  }

  testing::TempDir dir_;
};

TEST_F(RocksDbStoreTest, ReopenKeepsEveryEventAndContinuesTheChain) {
  Fill(10);
  {
    auto store = Open();
    EXPECT_EQ(store->LastPosition(), 10u);
    EXPECT_EQ(*store->StreamVersion("s"), 10u);
    auto next = store->Append("s", ExpectedVersion::Exactly(10), MakeEvents(2));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->position, 12u);
  }
  auto store = Open();
  EXPECT_EQ(store->LastPosition(), 12u);
  auto verified = store->Verify(1, kEndOfStream);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->checked, 12u);
}

TEST_F(RocksDbStoreTest, RetryAfterReopenIsStillRecognised) {
  auto events = MakeEvents(2);
  {
    auto store = Open();
    ASSERT_TRUE(store->Append("s", ExpectedVersion::NoStream(), events).ok());
  }
  auto store = Open();
  auto retry = store->Append("s", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(store->LastPosition(), 2u);
}

TEST_F(RocksDbStoreTest, GarbageInAStoredValueIsCorruptionNamingItsPosition) {
  Fill(10);
  Overwrite(5, "this is not a flatbuffer at all");
  auto store = Open();
  auto page = store->ReadAll(1, 100);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code, ErrorCode::kCorruption);
  EXPECT_EQ(page.error().detail, 5u);
  auto stream = store->ReadStream("s", 1, Direction::kForward, 100);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.error().detail, 5u);
  auto scan = store->ForEach(1, kEndOfStream, [](const EventView&) { return true; });
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.error().detail, 5u);
  auto verified = store->Verify(1, kEndOfStream);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, ErrorCode::kCorruption);
  EXPECT_EQ(verified.error().detail, 5u);
}

TEST_F(RocksDbStoreTest, ChangedPayloadIsFoundByTheHashChain) {
  Fill(10);
  std::string bytes = StoredAt(4);
  std::size_t at = bytes.find(std::string(300, 'p'));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 10] = 'X';  // still a valid envelope, different content
  Overwrite(4, bytes);
  auto store = Open();
  EXPECT_TRUE(store->ReadAll(1, 100).ok()) << "the envelope itself is still well-formed";
  auto verified = store->Verify(1, kEndOfStream);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().detail, 5u) << verified.error().message;
  EXPECT_NE(verified.error().message.find("event 4"), std::string::npos);
}

TEST_F(RocksDbStoreTest, ChangedLastEventIsFoundByTheHeadRecord) {
  Fill(6);
  std::string bytes = StoredAt(6);
  bytes[bytes.find(std::string(300, 'p')) + 1] = 'Y';
  Overwrite(6, bytes);
  auto store = Open();
  auto verified = store->Verify(1, kEndOfStream);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().detail, 6u);
}

TEST_F(RocksDbStoreTest, DeletedEventIsFoundAsMissing) {
  Fill(8);
  Tamper([](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    ASSERT_TRUE(db->Delete({}, log, keys::LogKey(3)).ok());
  });
  auto store = Open();
  auto verified = store->Verify(1, kEndOfStream);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().detail, 3u);
  auto page = store->ReadAll(1, 100);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().detail, 3u);
}

TEST_F(RocksDbStoreTest, CompactionKeepsEveryEventReadableAndTheChainWhole) {
  Fill(50);
  RocksDbStoreOptions options;
  options.path = dir_.str("log");
  auto compacted = CompactRocksDbStore(options);
  ASSERT_TRUE(compacted.ok()) << compacted.error().message;
  auto store = Open();
  EXPECT_EQ(store->LastPosition(), 50u);
  EXPECT_EQ(store->ReadStream("s", 1, Direction::kForward, 100)->size(), 50u);
  auto verified = store->Verify(1, kEndOfStream);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->checked, 50u);
  auto next = store->Append("s", ExpectedVersion::Exactly(50), MakeEvents(1));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->position, 51u);
}

TEST_F(RocksDbStoreTest, ReadOnlyOpenReadsButRefusesAppends) {
  Fill(3);
  RocksDbStoreOptions options;
  options.path = dir_.str("log");
  options.read_only = true;
  auto store = OpenRocksDbStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->LastPosition(), 3u);
  auto r = (*store)->Append("s", ExpectedVersion::Any(), MakeEvents(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace parley::eventstore
