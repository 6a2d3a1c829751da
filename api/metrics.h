// Prometheus text metrics for GET /metrics: requests by route and status,
// latency histograms by route, and the store's and projector's state.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "eventstore/event_store.h"

namespace parley::api {

class Metrics {
 public:
  // `route` is the path template the router matched ("unmatched" for
  // none), so that ids never become label values.
  void Record(const std::string& route, unsigned status, std::uint64_t micros);
  // The exposition text, with the store's counters and the projection lag.
  std::string Render(const eventstore::StoreStats& store, std::uint64_t log_position,
                     std::uint64_t applied_position) const;

 private:
  static constexpr std::array<double, 11> kBucketsMs = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
  struct Histogram {
    std::array<std::uint64_t, kBucketsMs.size()> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;  // guarded by mu_
  std::map<std::string, Histogram> latency_;                            // guarded by mu_
};

}  // namespace parley::api
