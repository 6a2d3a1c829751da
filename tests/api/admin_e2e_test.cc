// The directory routes over real HTTP: who may call them, what they
// refuse, and that what they write is durable and read back.
#include <gtest/gtest.h>

#include "tests/testing/http_client.h"
#include "tests/testing/parleyd_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tokens.h"

namespace parley {
namespace {

namespace http = boost::beast::http;
using testing::Bearer;

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : server_(dir_.str("data")), client_(server_.port()) {}

  testing::HttpResponse Put(const std::string& path, const std::string& body,
                            const std::string& token = testing::PlatformToken()) {
    auto headers = Bearer(token);
    headers["Content-Type"] = "application/json";
    return client_.Request(http::verb::put, path, body, headers);
  }

  static std::string Code(const testing::HttpResponse& r) {
    return std::string(r.json().at("error").at("code").as_string());
  }

  void GivenFirmF1() {
    ASSERT_EQ(Put("/v1/admin/firms/f1", R"({"name":"Cabinet Dupont","default_language":"fr"})").status, 201u);
    ASSERT_EQ(Put("/v1/admin/firms/f1/users/u-admin",
                  R"({"kind":"admin","name":"Admin Dupont","email":"admin@dupont.example"})")
                  .status,
              201u);
    ASSERT_EQ(Put("/v1/admin/firms/f1/users/u-cmc",
                  R"({"kind":"staff","name":"Claire Martin","email":"claire@dupont.example",
                      "role":"chef_mission_comptable"})")
                  .status,
              201u);
    ASSERT_EQ(
        Put("/v1/admin/firms/f1/users/u-c1",
            R"({"kind":"client","name":"Anne Moreau","email":"anne@boulangerie.example","language":"nl"})")
            .status,
        201u);
  }

  testing::TempDir dir_;
  testing::ParleydProcess server_;
  testing::HttpClient client_;
};

TEST_F(AdminApiTest, APlatformTokenDefinesAFirmItsPeopleAndADossier) {
  GivenFirmF1();
  auto dossier = Put("/v1/admin/firms/f1/dossiers/d-104",
                     R"({"name":"Boulangerie Moreau","clients":[{"user":"u-c1","profile":"full_access"}],
                         "staff":["u-cmc"]})");
  ASSERT_EQ(dossier.status, 201u) << dossier.body;
  auto json = dossier.json();
  EXPECT_EQ(json.at("id").as_string(), "d-104");
  EXPECT_EQ(json.at("language").as_string(), "fr") << "the firm's language by default";
  EXPECT_EQ(json.at("clients").at(0).at("profile").as_string(), "full_access");
  EXPECT_EQ(json.at("staff").at(0).as_string(), "u-cmc");
  // Defining it again: an update, 200.
  auto again = Put("/v1/admin/firms/f1/dossiers/d-104",
                   R"({"name":"Boulangerie Moreau SPRL","clients":[{"user":"u-c1"}],"staff":["u-cmc"]})");
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.json().at("name").as_string(), "Boulangerie Moreau SPRL");
  auto user =
      Put("/v1/admin/firms/f1/users/u-c1",
          R"({"kind":"client","name":"Anne Moreau","email":"anne@boulangerie.example","language":"nl"})");
  EXPECT_EQ(user.status, 200u);
  EXPECT_EQ(user.json().at("language").as_string(), "nl");
  EXPECT_TRUE(user.json().at("role").is_null());
}

TEST_F(AdminApiTest, WhatWasWrittenSurvivesARestart) {
  GivenFirmF1();
  ASSERT_EQ(server_.Terminate(), 0);
  testing::ParleydProcess again(dir_.str("data"));
  testing::HttpClient client(again.port());
  auto headers = Bearer(testing::PlatformToken());
  headers["Content-Type"] = "application/json";
  // The user is known after the restart: redefining it unchanged is an update.
  auto user = client.Request(http::verb::put, "/v1/admin/firms/f1/users/u-cmc",
                             R"({"kind":"staff","name":"Claire Martin","email":"claire@dupont.example",
                                 "role":"chef_mission_comptable"})",
                             headers);
  EXPECT_EQ(user.status, 200u) << user.body;
}

TEST_F(AdminApiTest, AFirmAdminMaintainsOnlyTheirOwnFirm) {
  GivenFirmF1();
  ASSERT_EQ(Put("/v1/admin/firms/f2", R"({"name":"Cabinet Autre"})").status, 201u);
  const std::string admin = testing::UserToken("u-admin", "f1");
  auto own = Put("/v1/admin/firms/f1/users/u-collab",
                 R"({"kind":"staff","name":"Luc Petit","email":"luc@dupont.example","role":"collaborateur"})",
                 admin);
  EXPECT_EQ(own.status, 201u) << own.body;
  auto other = Put("/v1/admin/firms/f2/users/u-x", R"({"kind":"staff","name":"X","email":"x@x.example",
                                                      "role":"collaborateur"})",
                   admin);
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(Code(other), "not_found");
  // A staff user of the firm is no admin.
  auto staff = Put("/v1/admin/firms/f1/users/u-y", R"({"kind":"client","name":"Y","email":"y@y.example"})",
                   testing::UserToken("u-cmc", "f1"));
  EXPECT_EQ(staff.status, 403u);
  EXPECT_EQ(Code(staff), "forbidden");
}

TEST_F(AdminApiTest, BadTokensAre401) {
  const std::string body = R"({"name":"Cabinet Dupont"})";
  auto none =
      client_.Request(http::verb::put, "/v1/admin/firms/f1", body, {{"Content-Type", "application/json"}});
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(Code(none), "unauthenticated");
  EXPECT_EQ(none.headers["WWW-Authenticate"], "Bearer");
  auto forged = testing::Token({{"sub", "ops"}, {"platform_admin", true}}, "not-the-server-secret-at-all");
  EXPECT_EQ(Put("/v1/admin/firms/f1", body, forged).status, 401u);
  auto expired = testing::Token({{"sub", "ops"}, {"platform_admin", true}, {"exp", 1'000'000'000}});
  EXPECT_EQ(Put("/v1/admin/firms/f1", body, expired).status, 401u);
  std::string token = testing::PlatformToken();
  std::string alg_none = api::Base64UrlEncode(R"({"alg":"none"})") + token.substr(token.find('.'));
  alg_none = alg_none.substr(0, alg_none.rfind('.') + 1);
  EXPECT_EQ(Put("/v1/admin/firms/f1", body, alg_none).status, 401u);
  EXPECT_EQ(Put("/v1/admin/firms/f1", body, "garbage").status, 401u);
}

TEST_F(AdminApiTest, BadBodiesAre400Or415AndWriteNothing) {
  GivenFirmF1();
  auto cases = std::vector<std::pair<std::string, std::string>>{
      {"/v1/admin/firms/f1/users/u-9", "{not json"},
      {"/v1/admin/firms/f1/users/u-9", "[1,2]"},
      {"/v1/admin/firms/f1/users/u-9", R"({"kind":"staff","name":"N","email":"n@x.example"})"},  // no role
      {"/v1/admin/firms/f1/users/u-9", R"({"kind":"robot","name":"N","email":"n@x.example"})"},
      {"/v1/admin/firms/f1/users/u-9", R"({"kind":"client","name":42,"email":"n@x.example"})"},
      {"/v1/admin/firms/f1/users/u-9", R"({"kind":"client","email":"n@x.example"})"},
      {"/v1/admin/firms/f1/dossiers/d-9", R"({"name":"D","clients":[{"user":"u-cmc"}]})"},  // staff as client
      {"/v1/admin/firms/f1/dossiers/d-9", R"({"name":"D","staff":"u-cmc"})"},
      {"/v1/admin/firms/f1", R"({"name":"Cabinet","default_language":"es"})"},
  };
  for (const auto& [path, body] : cases) {
    auto r = Put(path, body);
    EXPECT_EQ(r.status, 400u) << path << " " << body << " -> " << r.body;
    EXPECT_EQ(Code(r), "invalid_argument") << body;
  }
  auto headers = Bearer(testing::PlatformToken());
  headers["Content-Type"] = "text/plain";
  auto text = client_.Request(http::verb::put, "/v1/admin/firms/f1", R"({"name":"X"})", headers);
  EXPECT_EQ(text.status, 415u);
  // None of them changed anything: u-9 still does not exist, so defining it now creates it.
  EXPECT_EQ(
      Put("/v1/admin/firms/f1/users/u-9", R"({"kind":"client","name":"N","email":"n@x.example"})").status,
      201u);
  EXPECT_EQ(
      Put("/v1/admin/firms/nope/users/u-1", R"({"kind":"client","name":"N","email":"n@x.example"})").status,
      404u);
}

}  // namespace
}  // namespace parley
