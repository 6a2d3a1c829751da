// Builders of events for store tests.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "eventstore/event_store.h"

namespace parley::testing {

inline std::string UniqueId(const std::string& prefix) {
  static std::atomic<unsigned long> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

inline eventstore::EventData MakeEvent(std::string id, std::size_t payload_bytes = 300,
                                       std::string correlation = "") {
  eventstore::EventData e;
  e.id = std::move(id);
  e.type = "TestHappened";
  e.payload = std::string(payload_bytes, 'p');
  e.actor = "u-test";
  e.correlation_id = std::move(correlation);
  return e;
}

inline std::vector<eventstore::EventData> MakeEvents(std::size_t n, const std::string& prefix = "e") {
  std::vector<eventstore::EventData> events;
  for (std::size_t i = 0; i < n; ++i) events.push_back(MakeEvent(UniqueId(prefix)));
  return events;
}

}  // namespace parley::testing
