#include "api/metrics.h"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

TEST(MetricsTest, RendersCountsHistogramsAndTheStoresState) {
  Metrics metrics;
  metrics.Record("/v1/inbox", 200, 1500);
  metrics.Record("/v1/inbox", 200, 30'000);
  metrics.Record("/v1/inbox", 401, 100);
  std::string text = metrics.Render({3, 2, 3, 5, 2'000}, 5, 4);
  EXPECT_NE(text.find("parley_http_requests_total{route=\"/v1/inbox\",status=\"200\"} 2"), std::string::npos);
  EXPECT_NE(text.find("parley_http_requests_total{route=\"/v1/inbox\",status=\"401\"} 1"), std::string::npos);
  EXPECT_NE(text.find("parley_http_request_duration_seconds_bucket{route=\"/v1/inbox\",le=\"0.002\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parley_http_request_duration_seconds_count{route=\"/v1/inbox\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("parley_projection_lag_events 1"), std::string::npos);
  EXPECT_NE(text.find("parley_wal_syncs_total 2"), std::string::npos);
  EXPECT_NE(text.find("parley_append_events_total 5"), std::string::npos);
}

}  // namespace
}  // namespace parley::api
