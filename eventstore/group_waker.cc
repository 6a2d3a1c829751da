#include "eventstore/group_waker.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace parley::eventstore {

void GroupWaker::Wait(std::uint64_t group, const std::atomic<bool>& done) {
  std::atomic<std::uint32_t>& word = words_[group % kWords];
  for (;;) {
    // The word before the flag: a wake-up between the two reads changes
    // the word, and the futex call then returns at once instead of sleeping.
    const std::uint32_t seen = word.load(std::memory_order_seq_cst);
    if (done.load(std::memory_order_seq_cst)) return;
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr,
            0);
    // Done: return before touching the waker again. Its owner may be
    // destroyed as soon as its last waiter is done.
    if (done.load(std::memory_order_seq_cst)) return;
  }
}

void GroupWaker::Wake(std::uint64_t group_bits) {
  for (std::size_t i = 0; i < kWords; ++i) {
    if ((group_bits >> i & 1) == 0) continue;
    words_[i].fetch_add(1, std::memory_order_seq_cst);
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&words_[i]), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
            nullptr, 0);
  }
}

}  // namespace parley::eventstore
