#include "api/metrics.h"

#include <sstream>
#include <vector>

namespace parley::api {

void Metrics::Record(const std::string& route, unsigned status, std::uint64_t micros) {
  std::lock_guard lock(mu_);
  requests_[{route, status}]++;
  Histogram& h = latency_[route];
  const double ms = micros / 1000.0;
  for (std::size_t i = 0; i < kBucketsMs.size(); ++i) {
    if (ms <= kBucketsMs[i]) h.buckets[i]++;
  }
  h.count++;
  h.sum_seconds += micros / 1e6;
}

std::string Metrics::Render(const eventstore::StoreStats& store, std::uint64_t log_position,
                            std::uint64_t applied_position) const {
  std::ostringstream out;
  out << "# HELP parley_http_requests_total HTTP requests by route template and status.\n"
      << "# TYPE parley_http_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, count] : requests_) {
    out << "parley_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
        << count << "\n";
  }
  out << "# HELP parley_http_request_duration_seconds Time to answer, by route template.\n"
      << "# TYPE parley_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBucketsMs.size(); ++i) {
      out << "parley_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
          << kBucketsMs[i] / 1000 << "\"} " << h.buckets[i] << "\n";
    }
    out << "parley_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << h.count
        << "\n"
        << "parley_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum_seconds << "\n"
        << "parley_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count << "\n";
  }
  out << "# HELP parley_log_position Events durable in the log (the last positions of its partitions, summed).\n"
      << "# TYPE parley_log_position gauge\nparley_log_position " << log_position << "\n"
      << "# HELP parley_projection_lag_events Events in the log not yet applied by every projection.\n"
      << "# TYPE parley_projection_lag_events gauge\nparley_projection_lag_events "
      << (log_position > applied_position ? log_position - applied_position : 0) << "\n"
      << "# HELP parley_append_batches_total WriteBatches written by group commit.\n"
      << "# TYPE parley_append_batches_total counter\nparley_append_batches_total " << store.groups << "\n"
      << "# HELP parley_append_events_total Events appended.\n"
      << "# TYPE parley_append_events_total counter\nparley_append_events_total " << store.events << "\n"
      << "# HELP parley_wal_syncs_total WAL syncs; events per sync = events / syncs.\n"
      << "# TYPE parley_wal_syncs_total counter\nparley_wal_syncs_total " << store.syncs << "\n"
      << "# HELP parley_wal_sync_seconds_total Time spent syncing the WAL.\n"
      << "# TYPE parley_wal_sync_seconds_total counter\nparley_wal_sync_seconds_total "
      << store.sync_micros / 1e6 << "\n";
  return out.str();
}

}  // namespace parley::api
