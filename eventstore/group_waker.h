// Waking a whole group of sleeping threads with one futex call.
//
// The group commit wakes thirty or so appenders after each sync. One
// futex call per appender cost the syncer a preemption per call (the
// kernel runs the woken thread at once), before it could start the next
// sync. Here the appenders of one group sleep on a shared word, and one
// call wakes them all.
//
// Linux only (futex(2)). Internal to the event store and its benchmarks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace parley::eventstore {

class GroupWaker {
 public:
  // Sleeps until `done` is true. `group` names the batch the caller was
  // taken in; its wake-up is Wake(Bit(group)), after `done` is set. Once
  // it sees `done`, Wait touches the waker no more.
  void Wait(std::uint64_t group, const std::atomic<bool>& done);

  // Wakes every sleeper of the groups whose bits are set. Groups share
  // words (group % 64), so a sleeper may wake for another group: it then
  // finds its flag unset and sleeps again.
  void Wake(std::uint64_t group_bits);

  static std::uint64_t Bit(std::uint64_t group) { return std::uint64_t{1} << (group % kWords); }

 private:
  static constexpr std::size_t kWords = 64;  // one bit each in a group_bits word
  std::array<std::atomic<std::uint32_t>, kWords> words_{};
};

}  // namespace parley::eventstore
