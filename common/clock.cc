#include "common/clock.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace parley {

std::string FormatRfc3339(Micros at) {
  std::time_t seconds = static_cast<std::time_t>(at / 1'000'000);
  Micros rest = at % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(rest / 1000));
  return buf;
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
