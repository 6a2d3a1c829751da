#include "common/clock.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace parley {

namespace {

void PutDigits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

// By hand rather than with snprintf: views format a time per message, and
// snprintf was a visible share of a thread's rendering.
std::string FormatRfc3339(Micros at) {
  using namespace std::chrono;
  const sys_time<microseconds> time{microseconds(at)};
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> clock{time - day};
  std::string out = "0000-00-00T00:00:00.000Z";
  PutDigits(&out[0], static_cast<int>(date.year()), 4);
  PutDigits(&out[5], static_cast<int>(static_cast<unsigned>(date.month())), 2);
  PutDigits(&out[8], static_cast<int>(static_cast<unsigned>(date.day())), 2);
  PutDigits(&out[11], static_cast<int>(clock.hours().count()), 2);
  PutDigits(&out[14], static_cast<int>(clock.minutes().count()), 2);
  PutDigits(&out[17], static_cast<int>(clock.seconds().count()), 2);
  PutDigits(&out[20], static_cast<int>(clock.subseconds().count() / 1000), 3);
  return out;
}

std::optional<Micros> ParseRfc3339(std::string_view text) {
  int year, month, day, hour, minute, second, consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                  &consumed) != 6 ||
      consumed != 19 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  Micros fraction = 0;
  if (i < s.size() && s[i] == '.') {
    Micros scale = 100'000;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, scale /= 10) {
      fraction += (s[i] - '0') * scale;
    }
  }
  int offset_minutes = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_minutes = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const Micros seconds = static_cast<Micros>(timegm(&tm)) - offset_minutes * 60;
  return seconds * 1'000'000 + fraction;
}

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
