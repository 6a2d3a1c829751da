// The conformance suite of the EventStore interface: written once, run
// against every backend: RocksDB, and NATS JetStream on a real nats-server
// (one node, started for this program; each test gets its own partition).
#include "eventstore/event_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "common/sha256.h"
#include "eventstore/envelope.h"
#include "eventstore/jetstream_store.h"
#include "tests/testing/nats_cluster.h"
#include "tests/testing/events.h"
#include "tests/testing/temp_dir.h"

namespace parley::eventstore {
namespace {

using testing::MakeEvent;
using testing::MakeEvents;
using testing::UniqueId;

struct Backend {
  std::string name;
  std::function<std::unique_ptr<EventStore>(const std::string& dir, const Clock* clock)> open;
};

void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

std::unique_ptr<EventStore> OpenRocks(const std::string& dir, const Clock* clock) {
  RocksDbStoreOptions options;
  options.path = dir;
  options.clock = clock;
  auto store = OpenRocksDbStore(options);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(*store);
}

testing::NatsCluster& TestNats() {
  static testing::NatsCluster cluster(1);
  return cluster;
}

// The partition follows the directory, so reopening a directory reopens its log.
std::unique_ptr<EventStore> OpenJetStream(const std::string& dir, const Clock* clock) {
  JetStreamStoreOptions options;
  options.servers = TestNats().ServerUrls();
  options.monitors = TestNats().Monitors();
  options.replicas = 1;
  options.partition = "T" + std::to_string(std::hash<std::string>()(dir));
  options.mirror_path = dir;
  options.clock = clock;
  auto store = OpenJetStreamStore(options);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(*store);
}

class EventStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.str("log"), &clock_); }

  AppendResult MustAppend(const std::string& stream, ExpectedVersion expected,
                          const std::vector<EventData>& events) {
    auto r = store_->Append(stream, expected, events);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : AppendResult{};
  }

  testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000'000};
  std::unique_ptr<EventStore> store_;
};

TEST_P(EventStoreConformanceTest, AppendAssignsNextVersionsAndPositions) {
  auto first = MustAppend("s-a", ExpectedVersion::NoStream(), MakeEvents(3));
  EXPECT_EQ(first.stream_version, 3u);
  EXPECT_EQ(first.position, 3u);
  EXPECT_FALSE(first.deduplicated);
  auto second = MustAppend("s-b", ExpectedVersion::NoStream(), MakeEvents(1));
  EXPECT_EQ(second.stream_version, 1u);
  EXPECT_EQ(second.position, 4u);
  auto third = MustAppend("s-a", ExpectedVersion::Exactly(3), MakeEvents(2));
  EXPECT_EQ(third.stream_version, 5u);
  EXPECT_EQ(third.position, 6u);
  EXPECT_EQ(store_->LastPosition(), 6u);
  EXPECT_EQ(*store_->StreamVersion("s-a"), 5u);
  EXPECT_EQ(*store_->StreamVersion("s-none"), 0u);
}

TEST_P(EventStoreConformanceTest, EnvelopeCarriesEveryField) {
  EventData e = MakeEvent("evt-1");
  e.type = "MessagePosted";
  e.schema_version = 3;
  e.payload = std::string("\0binary\xff", 8);
  e.actor = "u-cmc";
  e.on_behalf_of = "u-client";
  e.correlation_id = "req-9";
  e.causation_id = "cmd-7";
  MustAppend("conv-1", ExpectedVersion::Any(), {e});
  auto events = store_->ReadStream("conv-1", 1, Direction::kForward, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const RecordedEvent& r = events->front();
  EXPECT_EQ(r.id(), "evt-1");
  EXPECT_EQ(r.stream(), "conv-1");
  EXPECT_EQ(r.stream_version(), 1u);
  EXPECT_EQ(r.position(), 1u);
  EXPECT_EQ(r.timestamp(), clock_.Now());
  EXPECT_EQ(r.type(), "MessagePosted");
  EXPECT_EQ(r.schema_version(), 3u);
  EXPECT_EQ(r.payload(), e.payload);
  EXPECT_EQ(r.actor(), "u-cmc");
  EXPECT_EQ(r.on_behalf_of(), "u-client");
  EXPECT_EQ(r.correlation_id(), "req-9");
  EXPECT_EQ(r.causation_id(), "cmd-7");
  EXPECT_EQ(r.prev_hash(), std::string(32, '\0'));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.payload().data()) % 8, 0u) << "payload must be 8-byte aligned";
}

TEST_P(EventStoreConformanceTest, NoStreamConflictsWithAnExistingStream) {
  MustAppend("s", ExpectedVersion::NoStream(), MakeEvents(2));
  auto r = store_->Append("s", ExpectedVersion::NoStream(), MakeEvents(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().detail, 2u);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_P(EventStoreConformanceTest, WrongExactVersionConflictsWithTheActualVersion) {
  MustAppend("s", ExpectedVersion::Any(), MakeEvents(4));
  for (std::uint64_t wrong : {0u, 3u, 5u}) {
    auto r = store_->Append("s", ExpectedVersion::Exactly(wrong), MakeEvents(1));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
    EXPECT_EQ(r.error().detail, 4u);
  }
  EXPECT_EQ(store_->LastPosition(), 4u);
  auto exact_on_missing = store_->Append("other", ExpectedVersion::Exactly(1), MakeEvents(1));
  ASSERT_FALSE(exact_on_missing.ok());
  EXPECT_EQ(exact_on_missing.error().detail, 0u);
}

TEST_P(EventStoreConformanceTest, RetryWithTheSameIdsReturnsTheFirstResultAndWritesNothing) {
  auto events = MakeEvents(3);
  auto first = MustAppend("s", ExpectedVersion::NoStream(), events);
  MustAppend("s", ExpectedVersion::Any(), MakeEvents(1));
  // The retry carries the stale expected version of the first attempt.
  auto retry = store_->Append("s", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->stream_version, first.stream_version);
  EXPECT_EQ(retry->position, first.position);
  EXPECT_EQ(store_->LastPosition(), 4u);
}

TEST_P(EventStoreConformanceTest, FindsAStoredEventById) {
  auto events = MakeEvents(3);
  MustAppend("s", ExpectedVersion::Any(), events);
  auto found = store_->FindEvent(events[1].id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->position(), 2u);
  EXPECT_EQ((*found)->stream(), "s");
  EXPECT_FALSE(store_->FindEvent("never-stored")->has_value());
  EXPECT_FALSE(store_->FindEvent("")->has_value());
}

TEST_P(EventStoreConformanceTest, ConcurrentRetriesOfOneAppendWriteItOnce) {
  auto events = MakeEvents(2);
  std::vector<std::thread> threads;
  std::vector<Result<AppendResult>> results(8, Error::Internal("not run"));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { results[i] = store_->Append("s", ExpectedVersion::Any(), events); });
  }
  for (auto& t : threads) t.join();
  int written = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->position, 2u);
    written += r->deduplicated ? 0 : 1;
  }
  EXPECT_EQ(written, 1);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_P(EventStoreConformanceTest, PartlyKnownIdsAreRefused) {
  auto events = MakeEvents(2);
  MustAppend("s", ExpectedVersion::Any(), events);
  std::vector<EventData> mixed = {events[0], MakeEvent(UniqueId("new"))};
  auto r = store_->Append("s", ExpectedVersion::Any(), mixed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  auto elsewhere = store_->Append("other", ExpectedVersion::Any(), events);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_P(EventStoreConformanceTest, BadInputIsATypedErrorAndWritesNothing) {
  auto expect_refused = [&](std::string_view stream, std::vector<EventData> events, ErrorCode code) {
    auto r = store_->Append(stream, ExpectedVersion::Any(), events);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  };
  expect_refused("", MakeEvents(1), ErrorCode::kInvalidArgument);
  expect_refused(std::string("a\0b", 3), MakeEvents(1), ErrorCode::kInvalidArgument);
  expect_refused(std::string(600, 's'), MakeEvents(1), ErrorCode::kInvalidArgument);
  expect_refused("s", {}, ErrorCode::kInvalidArgument);
  expect_refused("s", {MakeEvent("")}, ErrorCode::kInvalidArgument);
  EventData no_type = MakeEvent("x1");
  no_type.type.clear();
  expect_refused("s", {no_type}, ErrorCode::kInvalidArgument);
  expect_refused("s", {MakeEvent("dup"), MakeEvent("dup")}, ErrorCode::kInvalidArgument);
  // One good event and one over 1 MiB: neither is written.
  expect_refused("s", {MakeEvent("fine"), MakeEvent("huge", (1 << 20) + 1)}, ErrorCode::kTooLarge);
  EXPECT_EQ(store_->LastPosition(), 0u);
  EXPECT_EQ(*store_->StreamVersion("s"), 0u);
  // An event of exactly the limit is accepted.
  EventData big = MakeEvent("big", 0);
  big.payload = std::string(kMaxEventBytes - EventSize(big), 'x');
  EXPECT_TRUE(store_->Append("s", ExpectedVersion::Any(), std::vector{big}).ok());
}

// Stream and event ids are bytes: dots, wildcards, spaces and UTF-8 work
// as well as letters (JetStream encodes them into its subjects).
TEST_P(EventStoreConformanceTest, IdsOfAnyBytesWork) {
  const std::vector<std::string> streams = {"conv.a", "conv.*", "conv.>", "conv a", "dossier-é/1", "%41"};
  for (std::size_t i = 0; i < streams.size(); ++i) {
    MustAppend(streams[i], ExpectedVersion::NoStream(), {MakeEvent("ev." + std::to_string(i) + " *>")});
  }
  for (std::size_t i = 0; i < streams.size(); ++i) {
    auto read = store_->ReadStream(streams[i], 1, Direction::kForward, 10);
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(read->size(), 1u) << streams[i];
    EXPECT_EQ((*read)[0].stream(), streams[i]);
    EXPECT_EQ((*read)[0].id(), "ev." + std::to_string(i) + " *>");
  }
  // "%41" and "A" stay two streams.
  EXPECT_EQ(*store_->StreamVersion("A"), 0u);
}

TEST_P(EventStoreConformanceTest, ExpectedVersionParsesOnlyKnownForms) {
  EXPECT_EQ(ExpectedVersion::Parse("any")->kind(), ExpectedVersion::Kind::kAny);
  EXPECT_EQ(ExpectedVersion::Parse("no_stream")->kind(), ExpectedVersion::Kind::kNoStream);
  EXPECT_EQ(ExpectedVersion::Parse("42")->version(), 42u);
  for (const char* bad : {"", "-1", "4x", "ANY", "1e3", " 1", "99999999999999999999999"}) {
    auto r = ExpectedVersion::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_P(EventStoreConformanceTest, ReadsAStreamForwardAndBackward) {
  for (int i = 0; i < 5; ++i) {
    MustAppend("s", ExpectedVersion::Any(), MakeEvents(2));
    MustAppend("noise", ExpectedVersion::Any(), MakeEvents(1));
  }
  auto forward = store_->ReadStream("s", 3, Direction::kForward, 4);
  ASSERT_TRUE(forward.ok());
  ASSERT_EQ(forward->size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ((*forward)[i].stream_version(), 3 + i);
  auto backward = store_->ReadStream("s", kEndOfStream, Direction::kBackward, 3);
  ASSERT_TRUE(backward.ok());
  ASSERT_EQ(backward->size(), 3u);
  EXPECT_EQ((*backward)[0].stream_version(), 10u);
  EXPECT_EQ((*backward)[2].stream_version(), 8u);
  auto from_middle = store_->ReadStream("s", 2, Direction::kBackward, 10);
  ASSERT_EQ(from_middle->size(), 2u);
  EXPECT_TRUE(store_->ReadStream("missing", 1, Direction::kForward, 10)->empty());
  // A stream whose id is a prefix of another's sees only its own events.
  MustAppend("s-longer", ExpectedVersion::Any(), MakeEvents(1));
  EXPECT_EQ(store_->ReadStream("s", 1, Direction::kForward, 100)->size(), 10u);
}

TEST_P(EventStoreConformanceTest, ReadsTheWholeLogInPages) {
  for (int i = 0; i < 25; ++i) MustAppend("s" + std::to_string(i % 3), ExpectedVersion::Any(), MakeEvents(1));
  std::uint64_t next = 0;
  std::vector<std::uint64_t> seen;
  for (;;) {
    auto page = store_->ReadAll(next, 7);
    ASSERT_TRUE(page.ok());
    if (page->events.empty()) break;
    for (auto& e : page->events) seen.push_back(e.position());
    next = page->next_position;
  }
  ASSERT_EQ(seen.size(), 25u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  std::uint64_t visited = 0;
  auto last = store_->ForEach(10, kEndOfStream, [&](const EventView& e) {
    EXPECT_EQ(e.position(), 10 + visited);
    return ++visited < 5;
  });
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 14u);
  EXPECT_EQ(visited, 5u);
}

TEST_P(EventStoreConformanceTest, TimestampsComeFromTheClockAndNeverGoBack) {
  MustAppend("s", ExpectedVersion::Any(), MakeEvents(1));
  clock_.AdvanceTo(clock_.Now() + 5'000'000);
  MustAppend("s", ExpectedVersion::Any(), MakeEvents(1));
  auto events = store_->ReadStream("s", 1, Direction::kForward, 2);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].timestamp() - (*events)[0].timestamp(), 5'000'000);
}

TEST_P(EventStoreConformanceTest, ConcurrentAppendersGetNoGapNoDuplicateAndEveryConflict) {
  constexpr int kThreads = 8;
  constexpr int kAppendsEach = 150;
  std::atomic<int> conflicts{0};
  std::vector<std::vector<std::uint64_t>> shared_versions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsEach; ++i) {
        // Own stream, blind append.
        auto own = store_->Append("own-" + std::to_string(t), ExpectedVersion::Any(), MakeEvents(1));
        ASSERT_TRUE(own.ok());
        // Shared stream, optimistic: read the version, append expecting it.
        for (;;) {
          auto version = store_->StreamVersion("shared");
          ASSERT_TRUE(version.ok());
          auto r = store_->Append("shared", ExpectedVersion::Exactly(*version), MakeEvents(1));
          if (r.ok()) {
            EXPECT_EQ(r->stream_version, *version + 1);
            shared_versions[t].push_back(r->stream_version);
            break;
          }
          ASSERT_EQ(r.error().code, ErrorCode::kConflict);
          EXPECT_NE(r.error().detail, *version);
          conflicts++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::uint64_t> versions;
  for (auto& v : shared_versions) versions.insert(v.begin(), v.end());
  EXPECT_EQ(versions.size(), std::size_t{kThreads * kAppendsEach}) << "two appends won the same version";
  EXPECT_EQ(*store_->StreamVersion("shared"), std::uint64_t{kThreads * kAppendsEach});
  const std::uint64_t total = 2 * kThreads * kAppendsEach;
  EXPECT_EQ(store_->LastPosition(), total);
  std::set<std::string> ids;
  std::uint64_t expected = 1;
  auto last = store_->ForEach(1, kEndOfStream, [&](const EventView& e) {
    EXPECT_EQ(e.position(), expected++);
    ids.insert(std::string(e.id()));
    return true;
  });
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(ids.size(), total);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(*store_->StreamVersion("own-" + std::to_string(t)), std::uint64_t{kAppendsEach});
  }
  auto verified = store_->Verify(1, kEndOfStream);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->checked, total);
  RecordProperty("conflicts", conflicts.load());
}

// Waits for `count` AppendAsync completions, each kept with its tag.
class Completions {
 public:
  AppendDone For(int tag) {
    return [this, tag](Result<AppendResult> r) {
      std::lock_guard lock(mu_);
      results_.emplace_back(tag, std::move(r));
      cv_.notify_all();
    };
  }
  std::vector<std::pair<int, Result<AppendResult>>> WaitFor(std::size_t count) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return results_.size() >= count; })) {
      // A completion may still come and find this gone: stop here.
      ADD_FAILURE() << "only " << results_.size() << " of " << count << " appends completed";
      std::abort();
    }
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<int, Result<AppendResult>>> results_;
};

AppendRequest Request(const std::string& stream, ExpectedVersion expected, std::vector<EventData> events) {
  AppendRequest request;
  request.stream = stream;
  request.expected = expected;
  request.events = std::move(events);
  return request;
}

TEST_P(EventStoreConformanceTest, AppendsInFlightCompleteOnceDurableWithNoGapNoDuplicate) {
  constexpr int kChains = 64;
  constexpr int kAppendsEach = 12;
  std::mutex mu;
  std::condition_variable cv;
  int chains_done = 0;
  std::vector<std::uint64_t> positions;
  std::atomic<int> early{0}, failed{0};
  // Chain c appends to its own stream, expecting the version its last append
  // made: each completion sends the chain's next append.
  std::function<void(int, std::uint64_t)> send = [&](int chain, std::uint64_t version) {
    const std::string stream = "chain-" + std::to_string(chain);
    store_->AppendAsync(
        Request(stream, version ? ExpectedVersion::Exactly(version) : ExpectedVersion::NoStream(),
                MakeEvents(1 + chain % 2)),
        [&, chain](Result<AppendResult> r) {
          if (!r.ok()) {
            failed++;
          } else {
            // Told only once it can be read: durable.
            if (store_->LastPosition() < r->position) early++;
            std::lock_guard lock(mu);
            positions.push_back(r->position);
          }
          if (r.ok() && r->stream_version < std::uint64_t(kAppendsEach * (1 + chain % 2))) {
            return send(chain, r->stream_version);
          }
          std::lock_guard lock(mu);
          if (++chains_done == kChains) cv.notify_all();
        });
  };
  for (int chain = 0; chain < kChains; ++chain) send(chain, 0);
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, std::chrono::seconds(120), [&] { return chains_done == kChains; })) {
    lock.unlock();
    store_->Close();  // no completion may run once this test's locals are gone
    FAIL() << "the chains did not end";
  }
  lock.unlock();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(early.load(), 0) << "a completion ran before its events were durable";
  const std::uint64_t total = kAppendsEach * (kChains / 2) * 3;  // half the chains append 1 event, half 2
  EXPECT_EQ(store_->LastPosition(), total);
  EXPECT_EQ(positions.size(), std::size_t{kChains * kAppendsEach});
  EXPECT_EQ(std::set<std::uint64_t>(positions.begin(), positions.end()).size(), positions.size());
  for (int chain = 0; chain < kChains; ++chain) {
    EXPECT_EQ(*store_->StreamVersion("chain-" + std::to_string(chain)),
              std::uint64_t(kAppendsEach * (1 + chain % 2)));
  }
  std::uint64_t expected = 1;
  ASSERT_TRUE(store_
                  ->ForEach(1, kEndOfStream,
                            [&](const EventView& e) {
                              EXPECT_EQ(e.position(), expected++);
                              return true;
                            })
                  .ok());
  auto verified = store_->Verify(1, kEndOfStream);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->checked, total);
}

TEST_P(EventStoreConformanceTest, AppendAsyncAnswersAsAppendDoes) {
  auto events = MakeEvents(2);
  MustAppend("s", ExpectedVersion::NoStream(), events);
  Completions completions;
  store_->AppendAsync(Request("s", ExpectedVersion::Exactly(7), MakeEvents(1)), completions.For(0));
  store_->AppendAsync(Request("s", ExpectedVersion::Any(), events), completions.For(1));
  store_->AppendAsync(Request("", ExpectedVersion::Any(), MakeEvents(1)), completions.For(2));
  store_->AppendAsync(Request("s", ExpectedVersion::Exactly(2), MakeEvents(1)), completions.For(3));
  auto results = completions.WaitFor(4);
  ASSERT_EQ(results.size(), 4u);
  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ASSERT_FALSE(results[0].second.ok());
  EXPECT_EQ(results[0].second.error().code, ErrorCode::kConflict);
  EXPECT_EQ(results[0].second.error().detail, 2u);
  ASSERT_TRUE(results[1].second.ok()) << results[1].second.error().message;
  EXPECT_TRUE(results[1].second->deduplicated);
  EXPECT_EQ(results[1].second->position, 2u);
  ASSERT_FALSE(results[2].second.ok());
  EXPECT_EQ(results[2].second.error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(results[3].second.ok()) << results[3].second.error().message;
  EXPECT_EQ(results[3].second->stream_version, 3u);
  EXPECT_EQ(results[3].second->position, 3u);
  EXPECT_EQ(store_->LastPosition(), 3u);

  // No completion: the append is made all the same.
  store_->AppendAsync(Request("s", ExpectedVersion::Exactly(3), MakeEvents(1)), {});
  auto after = MustAppend("s", ExpectedVersion::Exactly(4), MakeEvents(1));
  EXPECT_EQ(after.stream_version, 5u);

  store_->Close();
  Completions after_close;
  store_->AppendAsync(Request("s", ExpectedVersion::Any(), MakeEvents(1)), after_close.For(0));
  auto refused = after_close.WaitFor(1);
  ASSERT_EQ(refused.size(), 1u);
  ASSERT_FALSE(refused[0].second.ok());
  EXPECT_EQ(refused[0].second.error().code, ErrorCode::kUnavailable);
}

TEST_P(EventStoreConformanceTest, SubscriptionCatchesUpThenFollowsLiveAppends) {
  for (int i = 0; i < 50; ++i) MustAppend("s", ExpectedVersion::Any(), MakeEvents(1));
  Subscription subscription(*store_, 1);
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i)
      MustAppend("s" + std::to_string(i % 4), ExpectedVersion::Any(), MakeEvents(1 + i % 3));
  });
  const std::uint64_t total = 50 + 300 + 300;  // 1 + i % 3 events, summed over i
  std::vector<std::uint64_t> seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen.size() < total && std::chrono::steady_clock::now() < deadline) {
    auto batch = subscription.Next(64, std::chrono::milliseconds(200));
    ASSERT_TRUE(batch.ok());
    for (auto& e : *batch) seen.push_back(e.position());
  }
  writer.join();
  ASSERT_EQ(seen.size(), total);
  for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i + 1);
  auto none = subscription.Next(10, std::chrono::milliseconds(20));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(EventStoreConformanceTest, ClosedStoreRefusesAppendsAndWakesWaiters) {
  MustAppend("s", ExpectedVersion::Any(), MakeEvents(1));
  std::thread waiter([&] { EXPECT_FALSE(store_->WaitForPosition(100, std::chrono::seconds(30))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  store_->Close();
  waiter.join();
  auto r = store_->Append("s", ExpectedVersion::Any(), MakeEvents(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST_P(EventStoreConformanceTest, HashChainVerifies) {
  for (int i = 0; i < 20; ++i) MustAppend("s", ExpectedVersion::Any(), MakeEvents(3));
  auto all = store_->Verify(1, kEndOfStream);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->checked, 60u);
  auto part = store_->Verify(30, 40);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->checked, 11u);
  EXPECT_EQ(part->last_position, 40u);
  auto events = store_->ReadAll(1, 2);
  EXPECT_EQ(events->events[1].prev_hash().size(), 32u);
  auto digest = Sha256(events->events[0].bytes());
  EXPECT_EQ(events->events[1].prev_hash(),
            std::string_view(reinterpret_cast<const char*>(digest.data()), 32));
}

TEST_P(EventStoreConformanceTest, ReopenedStoreHasEverythingAndGoesOn) {
  MustAppend("s-a", ExpectedVersion::NoStream(), MakeEvents(3));
  MustAppend("s-b", ExpectedVersion::Any(), MakeEvents(2));
  store_->Close();
  store_.reset();
  store_ = GetParam().open(dir_.str("log"), &clock_);
  EXPECT_EQ(store_->LastPosition(), 5u);
  EXPECT_EQ(*store_->StreamVersion("s-a"), 3u);
  auto next = MustAppend("s-a", ExpectedVersion::Exactly(3), MakeEvents(1));
  EXPECT_EQ(next.position, 6u);
  EXPECT_EQ(next.stream_version, 4u);
  auto verified = store_->Verify(1, kEndOfStream);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->checked, 6u);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreConformanceTest,
                         ::testing::Values(Backend{"RocksDb", OpenRocks}, Backend{"JetStream", OpenJetStream}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace parley::eventstore
