#include "common/clock.h"

#include <chrono>

namespace parley {

Micros SystemClock::Now() const {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

bool ManualClock::AdvanceTo(Micros to) {
  Micros current = now_.load(std::memory_order_acquire);
  while (to > current) {
    if (now_.compare_exchange_weak(current, to, std::memory_order_acq_rel)) return true;
  }
  return false;
}

}  // namespace parley
