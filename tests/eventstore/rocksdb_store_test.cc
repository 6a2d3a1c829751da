// RocksDB-specific behaviour of the store: reopening, corruption of the
// stored bytes found by the reader and by the hash chain, and the copy
// (RocksDbMirror) that places a source's messages.
#include "eventstore/event_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdlib>
#include <future>

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

AppendRequest OneEventRequest(const std::string& stream) {
  AppendRequest request;
  request.stream = stream;
  request.events = MakeEvents(1);
  return request;
}

TEST_F(RocksDbStoreTest, BlockingAppendFromACompletionIsRefusedNotADeadlock) {
  auto store = Open();
  std::promise<Result<AppendResult>> inner;
  store->AppendAsync(OneEventRequest("s"), [&](Result<AppendResult> outer) {
    EXPECT_TRUE(outer.ok());
    inner.set_value(store->Append("s", ExpectedVersion::Any(), MakeEvents(1)));
  });
  auto future = inner.get_future();
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    // The syncer is stuck for good: the store could never be closed.
    ADD_FAILURE() << "a blocking append from a completion hung";
    std::abort();
  }
  auto r = future.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(store->LastPosition(), 1u);
}

TEST_F(RocksDbStoreTest, CloseCompletesEveryAppendInFlightOnce) {
  auto store = Open();
  constexpr int kAppends = 2000;
  std::vector<std::atomic<int>> calls(kAppends);
  std::atomic<int> written{0};
  for (int i = 0; i < kAppends; ++i) {
    store->AppendAsync(OneEventRequest("s-" + std::to_string(i % 7)), [&, i](Result<AppendResult> r) {
      calls[i]++;
      if (r.ok()) written++;
    });
  }
  store->Close();  // finishes those under way before it returns
  for (int i = 0; i < kAppends; ++i) ASSERT_EQ(calls[i].load(), 1) << "append " << i;
  EXPECT_EQ(store->LastPosition(), std::uint64_t(written.load()));
  EXPECT_EQ(written.load(), kAppends);
  store.reset();
  auto reopened = Open();
  EXPECT_EQ(reopened->LastPosition(), std::uint64_t{kAppends});
  EXPECT_TRUE(reopened->Verify(1, kEndOfStream).ok());
}

// The JetStream backend's copies: fed the same messages, two copies build
// the same log, byte for byte, as two parleyd on one cluster must.
class RocksDbMirrorTest : public ::testing::Test {
 protected:
  std::unique_ptr<RocksDbMirror> OpenCopy(const std::string& name) {
    RocksDbStoreOptions options;
    options.path = dir_.str(name);
    auto copy = OpenRocksDbMirror(options);
    EXPECT_TRUE(copy.ok()) << copy.error().message;
    return copy.ok() ? std::move(*copy) : nullptr;
  }

  testing::TempDir dir_;
};

// Message `sequence` of firm f's subject for `stream`, unconditional unless `expected` is set.
RocksDbMirror::SourceMessage Message(std::uint64_t sequence, std::string_view stream,
                                     const std::vector<EventData>& events, Micros timestamp,
                                     std::optional<std::uint64_t> expected = std::nullopt,
                                     std::string_view owner = "f") {
  return {sequence, owner, stream, expected, events, timestamp};
}

std::vector<std::string> AllBytes(EventStore& store) {
  auto page = store.ReadAll(1, 1000);
  EXPECT_TRUE(page.ok());
  std::vector<std::string> bytes;
  for (const RecordedEvent& e : page->events) bytes.emplace_back(e.bytes());
  return bytes;
}

TEST_F(RocksDbMirrorTest, TwoCopiesOfTheSameMessagesBuildTheSameLog) {
  const auto a = MakeEvents(2), b = MakeEvents(1), c = MakeEvents(3);
  auto one = OpenCopy("one"), two = OpenCopy("two");
  for (RocksDbMirror* copy : {one.get(), two.get()}) {
    // Timestamps of later messages may be earlier (writers' clocks differ).
    ASSERT_TRUE(copy->Place(Message(1, "s", a, 5000)).ok());
    ASSERT_TRUE(copy->Place(Message(2, "t", b, 4000)).ok());
    auto third = copy->Place(Message(3, "s", c, 6000));
    ASSERT_TRUE(third.ok());
    ASSERT_TRUE(third->has_value());
    EXPECT_EQ((*third)->stream_version, 5u);
    EXPECT_EQ((*third)->position, 6u);
  }
  EXPECT_EQ(AllBytes(*one), AllBytes(*two));
  auto report = one->Verify(1, 6);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->checked, 6u);
  auto events = one->ReadStream("t", 1, Direction::kForward, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].timestamp(), 5000) << "a timestamp never goes back along the log";
  EXPECT_EQ((*events)[0].position(), 3u);
}

TEST_F(RocksDbMirrorTest, AMessageWithStoredIdsPlacesNothingButMovesItsSubject) {
  auto copy = OpenCopy("copy");
  const auto events = MakeEvents(2);
  ASSERT_TRUE(copy->Place(Message(1, "s", events, 1000)).ok());
  auto again = copy->Place(Message(2, "s", events, 2000));  // sent again after the duplicate window
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  std::vector<EventData> mixed = {MakeEvents(1)[0], events[0]};
  auto partly = copy->Place(Message(3, "s", mixed, 3000));
  ASSERT_TRUE(partly.ok());
  EXPECT_FALSE(partly->has_value());
  EXPECT_EQ(copy->LastPosition(), 2u);
  EXPECT_EQ(copy->CurrentHead().sequence, 3u);
  auto state = copy->CurrentStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->version, 2u);
  EXPECT_EQ(state->subject_sequence, 3u) << "a conditional write expects the subject's last message";
  auto none = copy->CurrentStreamState("other");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->version, 0u);
  EXPECT_EQ(none->subject_sequence, 0u);
  // A message delivered twice is applied once.
  auto twice = copy->Place(Message(3, "s", MakeEvents(1), 3000));
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice->has_value());
  EXPECT_EQ(copy->LastPosition(), 2u);
}

TEST_F(RocksDbMirrorTest, EveryCopyLeavesOutWhatTheServerShouldHaveRefused) {
  auto copy = OpenCopy("copy");
  const auto first = MakeEvents(1), late = MakeEvents(1), foreign = MakeEvents(1), next = MakeEvents(1);
  ASSERT_TRUE(copy->Place(Message(1, "s", first, 1000, /*expected=*/0)).ok());
  // Conditional on a subject sequence the stream has moved past: a lost
  // update if placed. Its subject moves all the same (the server stored it).
  auto stale = copy->Place(Message(2, "s", late, 1000, /*expected=*/0));
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->has_value());
  // Another firm's subject for the same stream: not placed, not recorded.
  auto other = copy->Place(Message(3, "s", foreign, 1000, std::nullopt, "g"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  auto state = copy->CurrentStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->version, 1u);
  EXPECT_EQ(state->subject_sequence, 2u);
  EXPECT_EQ(state->owner, "f");
  EXPECT_FALSE(copy->FindEvent(foreign[0].id)->has_value());
  auto placed = copy->Place(Message(4, "s", next, 1000, /*expected=*/2));
  ASSERT_TRUE(placed.ok());
  ASSERT_TRUE(placed->has_value());
  EXPECT_EQ((*placed)->stream_version, 2u);
  EXPECT_EQ(copy->LastPosition(), 2u);
}

TEST_F(RocksDbMirrorTest, ReopenedCopyKeepsItsHeadAndSubjectSequences) {
  {
    auto copy = OpenCopy("copy");
    ASSERT_TRUE(copy->Place(Message(7, "s", MakeEvents(1), 1000)).ok());
    ASSERT_TRUE(copy->Place(Message(9, "t", MakeEvents(2), 1000)).ok());
  }
  auto copy = OpenCopy("copy");
  EXPECT_EQ(copy->CurrentHead().sequence, 9u);
  EXPECT_EQ(copy->LastPosition(), 3u);
  auto state = copy->CurrentStreamState("s");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->subject_sequence, 7u);
  auto appended = copy->Append("s", ExpectedVersion::Any(), MakeEvents(1));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().code, ErrorCode::kUnavailable) << "a copy is written by its source alone";
}

}  // namespace
}  // namespace parley::eventstore
