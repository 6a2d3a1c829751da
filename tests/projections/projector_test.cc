// The projection machinery over the real log and the real read-model
// store: checkpoints written with data, resume without re-applying,
// rebuilds equal to live read models, and read-your-writes.
#include "projections/projector.h"

#include <gtest/gtest.h>

#include "tests/testing/events.h"
#include "tests/testing/temp_dir.h"

namespace parley::projections {
namespace {

using eventstore::ExpectedVersion;

// Counts events per stream and remembers each stream's last event type.
// Counting makes a double application visible.
class StreamCounts final : public Projection {
 public:
  std::string name() const override { return "stream_counts"; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override {
    const std::string key = "count/" + std::string(event.stream());
    auto current = writer.Get(key);
    if (!current.ok()) return current.error();
    const long count = current->has_value() ? std::stol(**current) : 0;
    writer.Put(key, std::to_string(count + 1));
    writer.Put("last/" + std::string(event.stream()), event.type());
    applied++;
    return {};
  }
  int applied = 0;
};

// Refuses one event type, as a projection meeting an event it cannot read.
class Picky final : public Projection {
 public:
  std::string name() const override { return "picky"; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter&) override {
    if (event.type() == "Poison") return Error::Corruption("cannot apply Poison", event.position());
    return {};
  }
};

// StreamCounts in a later layout: its keys change, so its format does.
class StreamCountsV2 final : public Projection {
 public:
  std::string name() const override { return "stream_counts"; }
  std::uint32_t format() const override { return 2; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override {
    const std::string key = "v2/" + std::string(event.stream());
    auto current = writer.Get(key);
    if (!current.ok()) return current.error();
    writer.Put(key, std::to_string((current->has_value() ? std::stol(**current) : 0) + 1));
    return {};
  }
};

class ProjectorTest : public ::testing::Test {
 protected:
  ProjectorTest() {
    eventstore::RocksDbStoreOptions options;
    options.path = dir_.str("log");
    log_ = std::move(*eventstore::OpenRocksDbStore(options));
  }
  std::unique_ptr<ReadModelStore> OpenModels(const std::string& name = "models") {
    auto store = ReadModelStore::Open(dir_.str(name));
    EXPECT_TRUE(store.ok()) << store.error().message;
    return std::move(*store);
  }
  std::uint64_t Append(const std::string& stream, int n) {
    auto r = log_->Append(stream, ExpectedVersion::Any(), testing::MakeEvents(n));
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->position : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> log_;
};

TEST_F(ProjectorTest, FollowsTheLogAndLetsACallerReadItsOwnWrite) {
  auto models = OpenModels();
  StreamCounts counts;
  Projector projector(*log_, *models, {&counts});
  Append("a", 3);
  ASSERT_TRUE(projector.Start().ok());
  EXPECT_EQ(projector.AppliedPosition(), 3u);
  for (int i = 0; i < 50; ++i) {
    std::uint64_t position = Append(i % 2 ? "a" : "b", 1);
    ASSERT_TRUE(projector.WaitFor(0, position, std::chrono::seconds(10)));
    auto count = models->Get("stream_counts", "count/" + std::string(i % 2 ? "a" : "b"));
    ASSERT_TRUE(count.ok() && count->has_value());
  }
  EXPECT_EQ(**models->Get("stream_counts", "count/a"), "28");
  EXPECT_EQ(**models->Get("stream_counts", "count/b"), "25");
  EXPECT_EQ(*models->Checkpoint("stream_counts"), 53u);
  auto listed = models->Scan("stream_counts", "count/", "", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].first, "count/a");
}

TEST_F(ProjectorTest, ARestartResumesFromTheCheckpointWithoutReapplying) {
  Append("a", 10);
  {
    auto models = OpenModels();
    StreamCounts counts;
    Projector projector(*log_, *models, {&counts});
    ASSERT_TRUE(projector.CatchUp().ok());
    EXPECT_EQ(counts.applied, 10);
  }
  Append("a", 5);
  auto models = OpenModels();
  StreamCounts counts;
  Projector projector(*log_, *models, {&counts});
  ASSERT_TRUE(projector.CatchUp().ok());
  EXPECT_EQ(counts.applied, 5) << "only what came after the checkpoint";
  EXPECT_EQ(**models->Get("stream_counts", "count/a"), "15");
}

TEST_F(ProjectorTest, ARebuildFromZeroEqualsTheLiveReadModelByteForByte) {
  auto live = OpenModels("live");
  StreamCounts live_counts;
  Projector live_projector(*log_, *live, {&live_counts});
  ASSERT_TRUE(live_projector.Start().ok());
  std::uint64_t last = 0;
  for (int i = 0; i < 300; ++i) last = Append("s" + std::to_string(i % 17), 1 + i % 3);
  ASSERT_TRUE(live_projector.WaitFor(0, last, std::chrono::seconds(30)));
  live_projector.Stop();

  auto rebuilt = OpenModels("rebuilt");
  StreamCounts rebuilt_counts;
  Projector rebuilder(*log_, *rebuilt, {&rebuilt_counts});
  std::uint64_t progress = 0;
  ASSERT_TRUE(rebuilder.CatchUp([&](std::uint64_t p) { progress = p; }).ok());
  EXPECT_EQ(progress, last);
  auto a = live->Digest("stream_counts");
  auto b = rebuilt->Digest("stream_counts");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(ToHex(*a), ToHex(*b));
  // And the digest does see a difference.
  Append("extra", 1);
  ASSERT_TRUE(rebuilder.CatchUp().ok());
  EXPECT_NE(ToHex(*a), ToHex(*rebuilt->Digest("stream_counts")));
}

TEST_F(ProjectorTest, AnEventAProjectionCannotApplyStopsItWithoutMovingItsCheckpoint) {
  auto models = OpenModels();
  Picky picky;
  StreamCounts counts;
  Projector projector(*log_, *models, {&counts, &picky});
  Append("a", 2);
  ASSERT_TRUE(projector.Start().ok());
  eventstore::EventData poison = testing::MakeEvent("poison-1");
  poison.type = "Poison";
  ASSERT_TRUE(log_->Append("a", ExpectedVersion::Any(), std::vector{poison}).ok());
  EXPECT_FALSE(projector.WaitFor(0, 3, std::chrono::seconds(5)));
  ASSERT_TRUE(projector.failure().has_value());
  EXPECT_NE(projector.failure()->message.find("picky at position 3"), std::string::npos);
  EXPECT_EQ(*models->Checkpoint("picky"), 2u);
  EXPECT_EQ(*models->Checkpoint("stream_counts"), 2u) << "the whole batch is refused, atomically";
}

TEST_F(ProjectorTest, ANewFormatDropsTheOldReadModelAndRebuildsItFromTheLog) {
  Append("a", 4);
  Append("b", 2);
  auto models = OpenModels();
  {
    StreamCounts counts;
    Projector projector(*log_, *models, {&counts});
    ASSERT_TRUE(projector.CatchUp().ok());
  }
  EXPECT_EQ(**models->Get("stream_counts", "count/a"), "4");
  EXPECT_EQ(*models->Format("stream_counts"), 1u);
  StreamCountsV2 v2;
  Projector projector(*log_, *models, {&v2});
  ASSERT_TRUE(projector.CatchUp().ok());
  EXPECT_EQ(*models->Format("stream_counts"), 2u);
  EXPECT_FALSE(models->Get("stream_counts", "count/a")->has_value()) << "the old layout is gone";
  EXPECT_EQ(**models->Get("stream_counts", "v2/a"), "4") << "rebuilt from position 0";
  EXPECT_EQ(**models->Get("stream_counts", "v2/b"), "2");
  EXPECT_EQ(*models->Checkpoint("stream_counts"), 6u);
  // Same format again: nothing is dropped, nothing applied twice.
  Projector again(*log_, *models, {&v2});
  ASSERT_TRUE(again.CatchUp().ok());
  EXPECT_EQ(**models->Get("stream_counts", "v2/a"), "4");
}


// A log of two partitions (two RocksDB logs, as the JetStream backend's
// partitions are): each has its own positions and its own checkpoint, a
// restart resumes each where it stopped, and a rebuild equals the live
// read model whatever the interleaving.
TEST_F(ProjectorTest, FollowsEveryPartitionWithACheckpointEach) {
  eventstore::RocksDbStoreOptions options;
  options.path = dir_.str("log1");
  std::vector<std::unique_ptr<eventstore::EventStore>> stores;
  stores.push_back(std::move(log_));
  stores.push_back(std::move(*eventstore::OpenRocksDbStore(options)));
  eventstore::EventStore& p0 = *stores[0];
  eventstore::EventStore& p1 = *stores[1];
  const eventstore::PartitionedLog log(std::move(stores));
  ASSERT_TRUE(p0.Append("a", ExpectedVersion::Any(), testing::MakeEvents(4)).ok());
  ASSERT_TRUE(p1.Append("b", ExpectedVersion::Any(), testing::MakeEvents(2, "p1-")).ok());

  auto live = OpenModels("live");
  {
    StreamCounts counts;
    Projector projector(log, *live, {&counts});
    ASSERT_TRUE(projector.Start().ok());
    EXPECT_EQ(projector.AppliedPosition(0), 4u);
    EXPECT_EQ(projector.AppliedPosition(1), 2u);
    EXPECT_EQ(projector.AppliedEvents(), 6u);
    // Position 3 of partition 1 is not there yet, whatever partition 0 has.
    EXPECT_FALSE(projector.WaitFor(1, 3, std::chrono::milliseconds(300)));
    auto written = p1.Append("b", ExpectedVersion::Any(), testing::MakeEvents(1, "p1-more-"));
    ASSERT_TRUE(written.ok());
    ASSERT_TRUE(projector.WaitFor(1, written->position, std::chrono::seconds(10)));
    EXPECT_EQ(**live->Get("stream_counts", "count/b"), "3") << "read its own write in partition 1";
    EXPECT_EQ(*live->Checkpoint("stream_counts", 0), 4u);
    EXPECT_EQ(*live->Checkpoint("stream_counts", 1), 3u);
  }
  // A restart applies only what came after each partition's checkpoint.
  ASSERT_TRUE(p0.Append("a", ExpectedVersion::Any(), testing::MakeEvents(2, "p0-more-")).ok());
  {
    StreamCounts counts;
    Projector projector(log, *live, {&counts});
    ASSERT_TRUE(projector.CatchUp().ok());
    EXPECT_EQ(counts.applied, 2);
    EXPECT_EQ(**live->Get("stream_counts", "count/a"), "6");
  }
  // A rebuild gives the same bytes and the same checkpoints.
  auto rebuilt = OpenModels("rebuilt");
  StreamCounts rebuilt_counts;
  Projector rebuilder(log, *rebuilt, {&rebuilt_counts});
  std::uint64_t progress = 0;
  ASSERT_TRUE(rebuilder.CatchUp([&](std::uint64_t applied) { progress = applied; }).ok());
  EXPECT_EQ(progress, 9u);
  EXPECT_EQ(ToHex(*live->Digest("stream_counts")), ToHex(*rebuilt->Digest("stream_counts")));
  // The digest covers partition 1's checkpoint: a model that missed an
  // event of it differs.
  auto partial = OpenModels("partial");
  StreamCounts partial_counts;
  ASSERT_TRUE(partial->ApplyBatch({&partial_counts}, *p0.ReadStream("a", 1, eventstore::Direction::kForward, 100), 0).ok());
  EXPECT_NE(ToHex(*live->Digest("stream_counts")), ToHex(*partial->Digest("stream_counts")));
  // Dropping a read model drops every partition's checkpoint.
  ASSERT_TRUE(live->Reset("stream_counts", 1).ok());
  EXPECT_EQ(*live->Checkpoint("stream_counts", 0), 0u);
  EXPECT_EQ(*live->Checkpoint("stream_counts", 1), 0u);
}

TEST(PartitionOf, IsStableAndSpreadsFirms) {
  // Part of the stored format: these must never change.
  EXPECT_EQ(eventstore::PartitionOf("f-demo", 1), 0u);
  const std::size_t first = eventstore::PartitionOf("f-demo", 8);
  EXPECT_EQ(eventstore::PartitionOf("f-demo", 8), first);
  EXPECT_LT(first, 8u);
  std::vector<int> firms_in(4, 0);
  for (int i = 0; i < 400; ++i) firms_in[eventstore::PartitionOf("f-" + std::to_string(i), 4)]++;
  for (int n : firms_in) EXPECT_GT(n, 60) << "a hash spreads firms roughly evenly";
}

}  // namespace
}  // namespace parley::projections
