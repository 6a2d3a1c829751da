// Sending to many dossiers over real HTTP (SPEC section 5): one
// conversation per dossier, each outcome reported, retries and a crash
// half-way never starting a second conversation in a dossier.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/api/firm_fixture.h"

namespace parley {
namespace {

class BulkApiTest : public FirmApiTest {
 protected:
  testing::HttpResponse Send(const std::string& body, const std::string& user = "u-cmc",
                             const std::string& key = "", testing::HttpClient* client = nullptr) {
    auto headers = testing::Bearer(testing::UserToken(user, "f1"));
    headers["Content-Type"] = "application/json";
    if (!key.empty()) headers["Idempotency-Key"] = key;
    return (client ? *client : client_).Request(http::verb::post, "/v1/bulk/conversations", body, headers);
  }
  // Polls the job until it is done (or 60 s pass).
  json::object Finished(const std::string& id, testing::HttpClient* client = nullptr) {
    const auto token = testing::Bearer(testing::UserToken("u-cmc", "f1"));
    json::object job;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         std::chrono::steady_clock::now() < deadline;) {
      auto r =
          (client ? *client : client_).Request(http::verb::get, "/v1/bulk/conversations/" + id, "", token);
      EXPECT_EQ(r.status, 200u) << r.body;
      job = r.json().as_object();
      if (job.at("status").as_string() == "done") return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the job did not finish: " << json::serialize(job);
    return job;
  }
  std::int64_t Open(const std::string& dossier, testing::HttpClient* client = nullptr) {
    auto r = (client ? *client : client_)
                 .Request(http::verb::get, "/v1/dossiers/" + dossier + "/counters", "",
                          testing::Bearer(testing::UserToken("u-cmc", "f1")));
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json().at("open").as_int64();
  }
};

TEST_F(BulkApiTest, OneConversationPerDossierAndEachOutcomeReported) {
  auto sent = Send(R"({"dossiers":["d-104","d-105","d-999"],"subject":"Pièces T4","body":"Bonjour"})");
  ASSERT_EQ(sent.status, 202u) << sent.body;
  EXPECT_EQ(sent.json().at("total").as_int64(), 3);
  auto job = Finished(std::string(sent.json().at("id").as_string()));
  EXPECT_EQ(job.at("succeeded").as_int64(), 2);
  EXPECT_EQ(job.at("failed").as_int64(), 1);
  const auto& results = job.at("results").as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("dossier").as_string(), "d-104") << "in the order asked";
  const std::string conversation(results[0].at("conversation").as_string());
  EXPECT_EQ(Get("/v1/conversations/" + conversation, "u-c1").json().at("subject").as_string(), "Pièces T4");
  EXPECT_EQ(results[2].at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(Open("d-104"), 1);
  EXPECT_EQ(Open("d-105"), 1);
}

TEST_F(BulkApiTest, TheSameKeyAnswersTheSameJobAndStartsNothingMore) {
  const std::string body = R"({"dossiers":["d-104","d-105"],"subject":"Clôture annuelle","body":"Merci"})";
  auto first = Send(body, "u-cmc", "key-1");
  ASSERT_EQ(first.status, 202u) << first.body;
  const std::string id(first.json().at("id").as_string());
  auto done = Finished(id);
  EXPECT_EQ(done.at("succeeded").as_int64(), 2) << json::serialize(done);
  auto again = Send(body, "u-cmc", "key-1");
  ASSERT_EQ(again.status, 202u) << again.body;
  EXPECT_EQ(again.json().at("id").as_string(), id);
  EXPECT_EQ(again.json().at("status").as_string(), "done");
  EXPECT_EQ(Open("d-104"), 1);
  EXPECT_EQ(Open("d-105"), 1);
  auto other = Send(R"({"dossiers":["d-104"],"subject":"Autre","body":"Merci"})", "u-cmc", "key-1");
  EXPECT_EQ(other.status, 409u) << "the same key for another request";
}

TEST_F(BulkApiTest, FiltersSelectTheDossiers) {
  Admin("/v1/admin/firms/f1/dossiers/d-106",
        R"({"name":"Bakkerij Peeters","language":"nl","clients":[],"staff":["u-collab"]})");
  auto mine = Send(R"({"filter":{"assigned_to_me":true},"subject":"Hallo","body":"Dag"})", "u-collab");
  ASSERT_EQ(mine.status, 202u) << mine.body;
  EXPECT_EQ(mine.json().at("total").as_int64(), 1);
  auto dutch = Send(R"({"filter":{"language":"nl"},"subject":"Hallo","body":"Dag"})");
  ASSERT_EQ(dutch.status, 202u);
  auto job = Finished(std::string(dutch.json().at("id").as_string()));
  ASSERT_EQ(job.at("results").as_array().size(), 1u);
  EXPECT_EQ(job.at("results").at(0).at("dossier").as_string(), "d-106");
  auto all = Send(R"({"filter":{"all":true},"subject":"Bonne année","body":"Meilleurs vœux"})");
  ASSERT_EQ(all.status, 202u);
  EXPECT_EQ(all.json().at("total").as_int64(), 3);
  Finished(std::string(all.json().at("id").as_string()));
}

TEST_F(BulkApiTest, EachDossierGetsTheTemplateInItsLanguage) {
  Admin("/v1/admin/firms/f1/dossiers/d-106",
        R"({"name":"Bakkerij Peeters","language":"nl","clients":[],"staff":["u-cmc"]})");
  auto templates = Get("/v1/templates", "u-cmc").json();
  std::string general;
  for (const auto& t : templates.at("items").as_array()) {
    if (t.at("type").as_string() == "general") general = t.at("id").as_string();
  }
  ASSERT_FALSE(general.empty());
  auto sent = Send(R"({"dossiers":["d-104","d-106"],"template":{"id":")" + general + R"("}})");
  ASSERT_EQ(sent.status, 202u) << sent.body;
  auto job = Finished(std::string(sent.json().at("id").as_string()));
  ASSERT_EQ(job.at("succeeded").as_int64(), 2) << json::serialize(job);
  auto subject = [&](int i) {
    const std::string id(job.at("results").at(i).at("conversation").as_string());
    return std::string(Get("/v1/conversations/" + id, "u-cmc").json().at("subject").as_string());
  };
  auto listed = [&](const std::string& lang) {
    const auto listed = Get("/v1/templates?lang=" + lang, "u-cmc").json();
    for (const auto& t : listed.at("items").as_array()) {
      if (t.at("id").as_string() == general)
        return std::string(t.at("languages").at(lang).at("subject").as_string());
    }
    return std::string();
  };
  EXPECT_NE(subject(0), subject(1));
  EXPECT_EQ(subject(1).substr(0, 5), listed("nl").substr(0, 5));
  EXPECT_EQ(subject(0).substr(0, 5), listed("fr").substr(0, 5));
}

TEST_F(BulkApiTest, RefusalsStartNoJob) {
  EXPECT_EQ(Send(R"({"dossiers":["d-104"],"subject":"x"})", "u-c1").status, 403u) << "staff only";
  EXPECT_EQ(Send(R"({"subject":"x"})").status, 400u) << "no selection";
  EXPECT_EQ(Send(R"({"dossiers":["d-104"],"filter":{"all":true},"subject":"x"})").status, 400u);
  EXPECT_EQ(Send(R"({"filter":{},"subject":"x"})").status, 400u);
  EXPECT_EQ(Send(R"({"filter":{"language":"es"},"subject":"x"})").status, 400u);
  EXPECT_EQ(Send(R"({"dossiers":[],"subject":"x"})").status, 400u);
  EXPECT_EQ(Send(R"({"dossiers":["d-104"],"body":"x"})").status, 400u) << "no subject and no template";
  EXPECT_EQ(Send(R"({"dossiers":["d-104"],"subject":"x"})").status, 400u) << "no text";
  auto templates = Get("/v1/templates", "u-cmc").json();
  std::string deadline;
  for (const auto& t : templates.at("items").as_array()) {
    if (t.at("type").as_string() == "deadline") deadline = t.at("id").as_string();
  }
  auto missing = Send(R"({"dossiers":["d-104"],"template":{"id":")" + deadline + R"("}})");
  EXPECT_EQ(missing.status, 400u) << "a template without its deadline fails for every dossier: refused now";
  EXPECT_EQ(Open("d-104"), 0) << "nothing was started";
  auto sent = Send(R"({"dossiers":["d-104"],"subject":"x","body":"y"})");
  ASSERT_EQ(sent.status, 202u);
  const std::string id(sent.json().at("id").as_string());
  EXPECT_EQ(Get("/v1/bulk/conversations/" + id, "u-c1").status, 404u);
  EXPECT_EQ(Get("/v1/bulk/conversations/" + id, "u-f2", "f2").status, 404u);
  Finished(id);
}

TEST_F(BulkApiTest, AKillHalfWayThenTheSameRequestGivesExactlyOneConversationPerDossier) {
  constexpr int kDossiers = 400;
  std::string list;
  for (int i = 0; i < kDossiers; ++i) {
    const std::string id = "d-b" + std::to_string(i);
    Admin("/v1/admin/firms/f1/dossiers/" + id,
          R"({"name":"Dossier )" + std::to_string(i) + R"(","staff":["u-cmc"]})");
    list += (i ? ",\"" : "\"") + id + "\"";
  }
  const std::string body = R"({"dossiers":[)" + list + R"(],"subject":"Pièces manquantes","body":"Merci"})";
  auto sent = Send(body, "u-cmc", "crash-key");
  ASSERT_EQ(sent.status, 202u) << sent.body;
  const std::string id(sent.json().at("id").as_string());
  // Kill once some outcomes are recorded and the job is still running.
  bool mid_job = false;
  for (int i = 0; i < 2000 && !mid_job; ++i) {
    auto job = Get("/v1/bulk/conversations/" + id, "u-cmc").json();
    if (job.at("status").as_string() == "done") break;
    mid_job = job.at("succeeded").as_int64() > 0;
    if (!mid_job) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  server_.Kill();
  EXPECT_TRUE(mid_job) << "the kill should come half-way through the job";

  testing::ParleydProcess again(dir_.str("data"));
  testing::HttpClient client(again.port());
  auto retried = Send(body, "u-cmc", "crash-key", &client);
  ASSERT_EQ(retried.status, 202u) << retried.body;
  EXPECT_EQ(retried.json().at("id").as_string(), id);
  auto job = Finished(id, &client);
  EXPECT_EQ(job.at("succeeded").as_int64(), kDossiers) << json::serialize(job.at("failed"));
  std::set<std::string> conversations;
  for (const auto& r : job.at("results").as_array())
    conversations.insert(std::string(r.at("conversation").as_string()));
  EXPECT_EQ(conversations.size(), static_cast<std::size_t>(kDossiers));
  auto inbox =
      client.Request(http::verb::get, "/v1/inbox", "", testing::Bearer(testing::UserToken("u-cmc", "f1")));
  ASSERT_EQ(inbox.status, 200u);
  int dossiers_with_one = 0;
  const auto portfolio = inbox.json();
  for (const auto& d : portfolio.at("items").as_array()) {
    const std::string dossier(d.at("dossier").as_string());
    if (dossier.rfind("d-b", 0) != 0) continue;
    EXPECT_EQ(d.at("counters").at("open").as_int64(), 1) << dossier;
    dossiers_with_one += d.at("counters").at("open").as_int64() == 1;
  }
  EXPECT_EQ(dossiers_with_one, kDossiers) << "exactly one conversation in each dossier";
}

}  // namespace
}  // namespace parley
