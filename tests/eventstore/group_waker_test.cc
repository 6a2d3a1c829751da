// GroupWaker: a wake-up reaches every sleeper of its group and no other,
// even when groups share a futex word, and none is lost when it comes
// before the sleep.
#include "eventstore/group_waker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace parley::eventstore {
namespace {

// `count` threads sleeping in `group` until their own flag is set.
struct Sleepers {
  Sleepers(GroupWaker& waker, std::uint64_t group, int count) : flags(count) {
    for (auto& f : flags) f = std::make_unique<std::atomic<bool>>(false);
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&waker, group, this, i] {
        waker.Wait(group, *flags[i]);
        returned++;
      });
    }
  }
  void SetAll() {
    for (auto& f : flags) f->store(true);
  }
  void Join() {
    for (auto& t : threads) t.join();
  }
  std::vector<std::unique_ptr<std::atomic<bool>>> flags;
  std::vector<std::thread> threads;
  std::atomic<int> returned{0};
};

TEST(GroupWaker, OneWakeUpReturnsEveryDoneSleeperOfItsGroupAndNoOther) {
  GroupWaker waker;
  Sleepers first(waker, 1, 8);
  Sleepers second(waker, 2, 8);
  // Group 65 shares group 1's word: it wakes with group 1, finds its flags
  // unset, and sleeps again.
  Sleepers alias(waker, 65, 8);

  first.SetAll();
  waker.Wake(GroupWaker::Bit(1));
  first.Join();
  EXPECT_EQ(first.returned, 8);
  EXPECT_EQ(second.returned, 0);
  EXPECT_EQ(alias.returned, 0);

  second.SetAll();
  alias.SetAll();
  waker.Wake(GroupWaker::Bit(2) | GroupWaker::Bit(65));
  second.Join();
  alias.Join();
  EXPECT_EQ(second.returned, 8);
  EXPECT_EQ(alias.returned, 8);
}

TEST(GroupWaker, AWakeUpBeforeTheSleepIsNotLost) {
  GroupWaker waker;
  std::atomic<bool> done{true};
  waker.Wake(GroupWaker::Bit(7));
  // The flag was set and the wake-up spent before Wait: it must return at
  // once rather than sleep for a wake-up that already happened.
  auto waited = std::async(std::launch::async, [&] { waker.Wait(7, done); });
  EXPECT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(GroupWaker, ManyRoundsOfManyThreadsAllReturn) {
  // Each round: 32 threads take group r, the waker sets their flags one by
  // one and wakes the group once. A lost wake-up would hang the test.
  GroupWaker waker;
  for (std::uint64_t round = 0; round < 200; ++round) {
    Sleepers sleepers(waker, round, 32);
    sleepers.SetAll();
    waker.Wake(GroupWaker::Bit(round));
    sleepers.Join();
    ASSERT_EQ(sleepers.returned, 32) << "round " << round;
  }
}

}  // namespace
}  // namespace parley::eventstore
