// The real parleyd over real HTTP on 127.0.0.1.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/testing/http_client.h"
#include "tests/testing/parleyd_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tokens.h"

namespace parley {
namespace {

namespace http = boost::beast::http;

class ParleydTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(ParleydTest, HealthzAnswersOnThePrintedPort) {
  testing::ParleydProcess server(dir_.str("data"));
  testing::HttpClient client(server.port());
  auto res = client.Get("/healthz");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.headers["Content-Type"], "application/json");
  auto body = res.json().as_object();
  EXPECT_EQ(body.at("status").as_string(), "ok");
  EXPECT_EQ(body.at("log_position").to_number<std::uint64_t>(), 0u);
  // The data directory holds the RocksDB log.
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "log" / "CURRENT"));
}

TEST_F(ParleydTest, ServesItsOpenApiDocumentAndNamesTheMethodsAPathTakes) {
  testing::ParleydProcess server(dir_.str("data"));
  testing::HttpClient client(server.port());
  auto doc = client.Get("/openapi.json");
  ASSERT_EQ(doc.status, 200u);
  EXPECT_EQ(doc.json().at("openapi").as_string().subview().substr(0, 2), "3.");
  EXPECT_TRUE(doc.json().at("paths").as_object().contains("/v1/conversations/{c}/history"));
  auto wrong = client.Request(http::verb::delete_, "/healthz");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.headers["Allow"], "GET");
  auto wrong_v1 = client.Request(http::verb::put, "/v1/conversations/c_1/messages", "",
                                 testing::Bearer(testing::PlatformToken()));
  EXPECT_EQ(wrong_v1.status, 405u);
  EXPECT_EQ(wrong_v1.headers["Allow"], "POST");
}

TEST_F(ParleydTest, ATestClockMovesOnlyForwardAndOnlyWhenAsked) {
  const std::string body = R"({"now":"2030-01-15T08:00:00Z"})";
  const auto json_headers = [](const std::string& token) {
    auto h = testing::Bearer(token);
    h["Content-Type"] = "application/json";
    return h;
  };
  {
    testing::ParleydProcess plain(dir_.str("plain"));
    testing::HttpClient client(plain.port());
    EXPECT_EQ(
        client.Request(http::verb::post, "/v1/admin/clock", body, json_headers(testing::PlatformToken()))
            .status,
        404u)
        << "without --test-clock the path does not exist";
  }
  testing::ParleydProcess server(dir_.str("data"), {"--test-clock"});
  testing::HttpClient client(server.port());
  auto moved =
      client.Request(http::verb::post, "/v1/admin/clock", body, json_headers(testing::PlatformToken()));
  ASSERT_EQ(moved.status, 200u) << moved.body;
  EXPECT_EQ(moved.json().at("now").as_string(), "2030-01-15T08:00:00.000Z");
  auto back = client.Request(http::verb::post, "/v1/admin/clock", R"({"now":"2029-01-01T00:00:00Z"})",
                             json_headers(testing::PlatformToken()));
  EXPECT_EQ(back.status, 409u);
  // Events take the clock's time.
  auto put = [&](const std::string& path, const std::string& json) {
    return client.Request(http::verb::put, path, json, json_headers(testing::PlatformToken())).status;
  };
  ASSERT_EQ(put("/v1/admin/firms/f1", R"({"name":"Cabinet"})"), 201u);
  ASSERT_EQ(put("/v1/admin/firms/f1/users/u-m",
                R"({"kind":"staff","name":"Marc","email":"m@c.example","role":"expert_comptable"})"),
            201u);
  ASSERT_EQ(put("/v1/admin/firms/f1/dossiers/d-1", R"({"name":"Dossier","staff":["u-m"]})"), 201u);
  auto started = client.Request(http::verb::post, "/v1/dossiers/d-1/conversations",
                                R"({"subject":"Bilan","body":"Bonjour"})",
                                json_headers(testing::UserToken("u-m", "f1")));
  ASSERT_EQ(started.status, 201u) << started.body;
  EXPECT_EQ(started.json().at("created_at").as_string(), "2030-01-15T08:00:00.000Z");
  // Staff may not move it.
  EXPECT_EQ(client
                .Request(http::verb::post, "/v1/admin/clock", R"({"now":"2031-01-01T00:00:00Z"})",
                         json_headers(testing::UserToken("u-m", "f1")))
                .status,
            403u);
}

TEST_F(ParleydTest, UnknownPathIsA404WithTheSpecErrorBody) {
  testing::ParleydProcess server(dir_.str("data"));
  testing::HttpClient client(server.port());
  auto res = client.Get("/nothing-here");
  EXPECT_EQ(res.status, 404u);
  auto error = res.json().as_object().at("error").as_object();
  EXPECT_EQ(error.at("code").as_string(), "not_found");
  EXPECT_FALSE(error.at("message").as_string().empty());
  // Under /v1 a token comes first: without one, 401 (paths are not revealed).
  EXPECT_EQ(client.Get("/v1/nothing-here").status, 401u);
  auto authed = client.Get("/v1/nothing-here", {{"Authorization", "Bearer " + testing::PlatformToken()}});
  EXPECT_EQ(authed.status, 404u);
  EXPECT_EQ(authed.json().at("error").at("code").as_string(), "not_found");
  // The connection stays usable.
  EXPECT_EQ(client.Get("/healthz").status, 200u);
}

TEST_F(ParleydTest, OversizedBodyIs413AndOversizedHeaderIs431) {
  testing::ParleydProcess server(dir_.str("data"));
  testing::HttpClient client(server.port());
  std::string big(2 << 20, 'x');
  std::string answer =
      client.Raw("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(big.size()) +
                 "\r\n\r\n" + big);
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer.substr(0, 200);
  EXPECT_NE(answer.find("\"too_large\""), std::string::npos);
  std::string header_answer =
      client.Raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'h') + "\r\n\r\n");
  EXPECT_NE(header_answer.find("HTTP/1.1 431"), std::string::npos) << header_answer.substr(0, 200);
  EXPECT_EQ(client.Get("/healthz").status, 200u) << "the server still serves others";
}

TEST_F(ParleydTest, MetricsCountRequestsByRouteAndShowTheStore) {
  testing::ParleydProcess server(dir_.str("data"));
  testing::HttpClient client(server.port());
  EXPECT_EQ(client.Get("/healthz").status, 200u);
  EXPECT_EQ(client.Get("/v1/conversations/c_x").status, 401u);
  auto res = client.Get("/metrics");
  ASSERT_EQ(res.status, 200u);
  EXPECT_NE(res.headers["Content-Type"].find("text/plain"), std::string::npos);
  EXPECT_NE(res.body.find("parley_http_requests_total{route=\"/healthz\",status=\"200\"} 1"),
            std::string::npos)
      << res.body;
  EXPECT_NE(res.body.find("parley_http_requests_total{route=\"/v1/conversations/{c}\",status=\"401\"} 1"),
            std::string::npos);
  EXPECT_NE(res.body.find("parley_projection_lag_events 0"), std::string::npos);
  EXPECT_NE(res.body.find("parley_wal_syncs_total"), std::string::npos);
}

TEST_F(ParleydTest, StopsCleanlyOnSigterm) {
  testing::ParleydProcess server(dir_.str("data"));
  {
    testing::HttpClient client(server.port());
    EXPECT_EQ(client.Get("/healthz").status, 200u);
  }
  EXPECT_EQ(server.Terminate(), 0);
  // It can start again on the same data.
  testing::ParleydProcess again(dir_.str("data"));
  testing::HttpClient client(again.port());
  EXPECT_EQ(client.Get("/healthz").status, 200u);
}

}  // namespace
}  // namespace parley
