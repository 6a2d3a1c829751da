#include "common/clock.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(ClockTest, FormatsAndParsesRfc3339) {
  const Micros at = 1'795'338'843'120'000;  // 2026-11-22T09:14:03.120Z
  EXPECT_EQ(FormatRfc3339(at), "2026-11-22T09:14:03.120Z");
  EXPECT_EQ(ParseRfc3339("2026-11-22T09:14:03.120Z"), at);
  EXPECT_EQ(ParseRfc3339("2026-11-22T10:14:03.12+01:00"), at);
  EXPECT_EQ(ParseRfc3339("2026-11-22T09:14:03Z"), at - 120'000);
  for (const char* bad : {"", "2026-11-22", "2026-11-22T09:14:03", "2026-13-22T09:14:03Z",
                          "2026-11-22T09:14:03Zx", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(ClockTest, AManualClockOnlyMovesForward) {
  ManualClock clock(1000);
  EXPECT_TRUE(clock.AdvanceTo(2000));
  EXPECT_FALSE(clock.AdvanceTo(1500));
  EXPECT_EQ(clock.Now(), 2000);
}

}  // namespace
}  // namespace parley
