// The fixture of the end-to-end API tests: a real parleyd on 127.0.0.1 with
// a small directory, and helpers to call it as a given user.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/http_client.h"
#include "tests/testing/parleyd_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tokens.h"

namespace parley {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr const char* kNoteText = "Client difficile, ne pas relancer avant janvier";

// Firm f1 (a manager, a collaborateur, a compliance service account, two
// client users of d-104, d-105 without clients) and firm f2 (one staff user), on a fresh real parleyd.
class FirmApiTest : public ::testing::Test {
 protected:
  // `extra`: more parleyd flags (--test-clock, --smtp URL, ...).
  explicit FirmApiTest(std::vector<std::string> extra = {})
      : server_(dir_.str("data"), std::move(extra)), client_(server_.port()) {
    Admin("/v1/admin/firms/f1", R"({"name":"Cabinet Dupont","default_language":"fr"})");
    Admin("/v1/admin/firms/f1/users/u-cmc",
          R"({"kind":"staff","name":"Claire Martin","email":"c@d.example","role":"chef_mission_comptable"})");
    Admin("/v1/admin/firms/f1/users/u-collab",
          R"({"kind":"staff","name":"Luc Petit","email":"l@d.example","role":"collaborateur"})");
    Admin("/v1/admin/firms/f1/users/u-audit",
          R"({"kind":"service","name":"Conformité","email":"k@d.example"})");
    Admin("/v1/admin/firms/f1/users/u-c1", R"({"kind":"client","name":"Anne Moreau","email":"a@b.example"})");
    Admin("/v1/admin/firms/f1/users/u-c2", R"({"kind":"client","name":"Paul Moreau","email":"p@b.example"})");
    Admin("/v1/admin/firms/f1/dossiers/d-104",
          R"({"name":"Boulangerie Moreau","clients":[{"user":"u-c1"},{"user":"u-c2"}],"staff":["u-cmc"]})");
    Admin("/v1/admin/firms/f1/dossiers/d-105", R"({"name":"Garage Lambert","clients":[],"staff":["u-cmc"]})");
    Admin("/v1/admin/firms/f2", R"({"name":"Cabinet Autre"})");
    Admin("/v1/admin/firms/f2/users/u-f2",
          R"({"kind":"staff","name":"Eve Autre","email":"e@o.example","role":"expert_comptable"})");
  }

  void Admin(const std::string& path, const std::string& body) {
    auto r = Call(http::verb::put, path, body, testing::PlatformToken());
    ASSERT_TRUE(r.status == 200 || r.status == 201) << path << ": " << r.body;
  }

  testing::HttpResponse Call(http::verb verb, const std::string& path, const std::string& body,
                             const std::string& token) {
    auto headers = testing::Bearer(token);
    if (!body.empty()) headers["Content-Type"] = "application/json";
    return client_.Request(verb, path, body, headers);
  }
  testing::HttpResponse Get(const std::string& path, const std::string& user,
                            const std::string& firm = "f1") {
    return Call(http::verb::get, path, "", testing::UserToken(user, firm));
  }
  testing::HttpResponse Post(const std::string& path, const std::string& body, const std::string& user,
                             const std::string& firm = "f1") {
    return Call(http::verb::post, path, body, testing::UserToken(user, firm));
  }
  static std::string Code(const testing::HttpResponse& r) {
    return std::string(r.json().at("error").at("code").as_string());
  }

  // The ids of every conversation of d-104 that `user` lists, page by page.
  std::vector<std::string> AllPages(const std::string& user, int limit) {
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 50; ++page) {
      auto r = Get("/v1/dossiers/d-104/conversations?limit=" + std::to_string(limit) +
                       (cursor.empty() ? "" : "&cursor=" + cursor),
                   user);
      EXPECT_EQ(r.status, 200u) << r.body;
      if (r.status != 200) break;
      auto body = r.json();
      for (const auto& item : body.at("items").as_array()) seen.emplace_back(item.at("id").as_string());
      if (body.at("next_cursor").is_null()) break;
      cursor = body.at("next_cursor").as_string();
    }
    return seen;
  }

  // Starts a conversation and returns its id.
  std::string Start(const std::string& user,
                    const std::string& body = R"({"subject":"TVA T3","body":"Bonjour"})",
                    const std::string& dossier = "d-104") {
    auto r = Post("/v1/dossiers/" + dossier + "/conversations", body, user);
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.status == 201 ? std::string(r.json().at("id").as_string()) : "";
  }

  testing::TempDir dir_;
  testing::ParleydProcess server_;
  testing::HttpClient client_;
};

}  // namespace parley
