// Clock: where "now" comes from. Injected everywhere time matters, so that
// reminders, nudges and timestamps are testable (`parleyd --test-clock`).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// Microseconds since the Unix epoch, UTC.
using Micros = std::int64_t;

// "2026-11-22T09:14:03.120Z" (UTC, milliseconds).
std::string FormatRfc3339(Micros at);
// Parses an RFC 3339 date-time with Z or an offset; nullopt if malformed.
std::optional<Micros> ParseRfc3339(std::string_view text);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  Micros Now() const override;
  static SystemClock& Instance();
};

// A clock that only moves when told to; it never goes backwards.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Micros start) : now_(start) {}
  Micros Now() const override { return now_.load(std::memory_order_acquire); }
  // Moves to `to` if it is later than now; returns false otherwise.
  bool AdvanceTo(Micros to);

 private:
  std::atomic<Micros> now_;
};

}  // namespace parley
