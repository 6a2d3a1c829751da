#include "common/clock.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

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

TEST(ClockTest, FormatsEveryDayAndTimeLikeTheCLibrary) {
  // Every day from 1970 to 2100 at a changing time of day, and instants
  // before 1970, against gmtime_r.
  for (Micros at = -86'400'000'000LL * 400 + 7; at < 4'102'444'800'000'000LL; at += 86'399'999'937LL) {
    std::time_t seconds = static_cast<std::time_t>(at / 1'000'000);
    Micros rest = at % 1'000'000;
    if (rest < 0) {
      rest += 1'000'000;
      --seconds;
    }
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char expected[80];  // room for any int the format could print: no truncation warning
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(rest / 1000));
    ASSERT_EQ(FormatRfc3339(at), expected) << at;
    ASSERT_EQ(ParseRfc3339(expected), at - rest % 1000) << expected;
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
