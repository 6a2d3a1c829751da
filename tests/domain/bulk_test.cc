// A job of sending to many dossiers: what it records, what a retry or a
// resumed run may add, and when it is done.
#include "domain/bulk.h"

#include <gtest/gtest.h>

#include "domain/event_codec.h"

namespace parley::domain {
namespace {

class BulkTest : public ::testing::Test {
 protected:
  Result<std::vector<BulkEvent>> When(const BulkCommand& command) { return Decide(job_, command, now_); }
  void Given(const BulkCommand& command) {
    auto events = When(command);
    ASSERT_TRUE(events.ok()) << events.error().message;
    for (const auto& e : *events) Evolve(job_, e);
  }
  BulkJob job_;
  Micros now_ = 1'790'000'000'000'000;
};

TEST_F(BulkTest, ARequestRecordsEachDossierOnceAndARetryRecordsNothing) {
  Given(RequestBulk{"f1", "bulk_1", "u-cmc", {"d-1", "d-2", "d-1", "d-3"}, R"({"subject":"TVA"})"});
  EXPECT_EQ(job_.dossiers, (std::vector<std::string>{"d-1", "d-2", "d-3"}));
  EXPECT_EQ(job_.Pending(), job_.dossiers);
  auto again = When(RequestBulk{"f1", "bulk_1", "u-cmc", {"d-9"}, "{}"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  BulkJob empty;
  auto none = Decide(empty, RequestBulk{"f1", "bulk_2", "u-cmc", {}, "{}"}, now_);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(BulkTest, ResultsCountOnceAndOnlyForTheJobsDossiers) {
  Given(RequestBulk{"f1", "bulk_1", "u-cmc", {"d-1", "d-2", "d-3"}, "{}"});
  Given(RecordResults{
      {{"d-1", "c_1", "", ""}, {"d-9", "c_9", "", ""}, {"d-2", "", "not_found", "No such dossier"}}});
  EXPECT_EQ(job_.results.size(), 2u) << "d-9 is not in the job";
  EXPECT_EQ(job_.Succeeded(), 1u);
  EXPECT_EQ(job_.Failed(), 1u);
  EXPECT_EQ(job_.Pending(), std::vector<std::string>{"d-3"});
  // A resumed run reporting d-1 again changes nothing.
  auto again = When(RecordResults{{{"d-1", "c_other", "", ""}}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_FALSE(When(CompleteBulk{}).ok()) << "d-3 has no outcome yet";
  Given(RecordResults{{{"d-3", "c_3", "", ""}}});
  Given(CompleteBulk{});
  EXPECT_TRUE(job_.completed);
  auto twice = When(CompleteBulk{});
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->empty());
}

TEST_F(BulkTest, EventsRoundTripThroughTheirPayloads) {
  for (const BulkEvent& e : std::vector<BulkEvent>{
           BulkRequested{"f1", "bulk_1", "u-cmc", {"d-1", "d-2"}, R"({"subject":"Ré"})", now_},
           BulkProgressed{"f1", "bulk_1", {{"d-1", "c_1", "", ""}, {"d-2", "", "not_found", "Non"}}, now_},
           BulkCompleted{"f1", "bulk_1", now_}}) {
    auto decoded = DecodeBulkEvent(TypeName(e), kEventSchemaVersion, EncodeEvent(e));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, e);
  }
}

}  // namespace
}  // namespace parley::domain
