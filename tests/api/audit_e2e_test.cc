// Audit over real HTTP (SPEC section 8): conversation and dossier history,
// the JSON Lines export, and "as of" on a conversation and on counters.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "tests/api/firm_fixture.h"

namespace parley {
namespace {

class AuditApiTest : public FirmApiTest {
 protected:
  // Times are shown to the millisecond: let one pass between steps whose
  // order "as of" must tell apart.
  static void NextMillisecond() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

  std::vector<std::string> Types(const json::value& page) {
    std::vector<std::string> out;
    for (const auto& e : page.at("items").as_array()) out.emplace_back(e.at("type").as_string());
    return out;
  }
  std::string Patch(const std::string& path, const std::string& body, const std::string& user) {
    auto r = Call(http::verb::patch, path, body, testing::UserToken(user, "f1"));
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.body;
  }
  // A conversation a client started, answered, edited twice, deleted,
  // noted, read, closed and reopened.
  std::string BusyConversation() {
    std::string id = Start("u-c1", R"({"subject":"Frais de voiture","body":"Quel taux ?"})");
    auto reply = Post("/v1/conversations/" + id + "/messages", R"({"body":"Version 1"})", "u-cmc");
    EXPECT_EQ(reply.status, 201u) << reply.body;
    const std::string m(reply.json().at("id").as_string());
    Patch("/v1/conversations/" + id + "/messages/" + m, R"({"body":"Version 2"})", "u-cmc");
    Patch("/v1/conversations/" + id + "/messages/" + m, R"({"body":"Version 3"})", "u-cmc");
    EXPECT_EQ(Call(http::verb::delete_, "/v1/conversations/" + id + "/messages/" + m, "",
                   testing::UserToken("u-cmc", "f1"))
                  .status,
              200u);
    EXPECT_EQ(Post("/v1/conversations/" + id + "/notes", json::serialize(json::object{{"body", kNoteText}}),
                   "u-cmc")
                  .status,
              201u);
    EXPECT_EQ(Post("/v1/conversations/" + id + "/read", "", "u-c1").status, 204u);
    EXPECT_EQ(Post("/v1/conversations/" + id + "/close", "", "u-cmc").status, 200u);
    EXPECT_EQ(Post("/v1/conversations/" + id + "/reopen", "", "u-cmc").status, 200u);
    return id;
  }
};

TEST_F(AuditApiTest, ConversationHistoryHasEveryEventAndEveryVersionInLogOrder) {
  const std::string id = BusyConversation();
  auto r = Get("/v1/conversations/" + id + "/history", "u-cmc");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto page = r.json();
  EXPECT_EQ(Types(page),
            (std::vector<std::string>{"ConversationStarted", "MessagePosted", "MessagePosted",
                                      "MessageEdited", "MessageEdited", "MessageDeleted", "NoteAdded",
                                      "ReadMarked", "ConversationClosed", "ConversationReopened"}));
  const auto& items = page.at("items").as_array();
  for (const char* version : {"Version 1", "Version 2", "Version 3"}) {
    EXPECT_NE(r.body.find(version), std::string::npos) << version << " is part of the history";
  }
  std::int64_t last = 0;
  for (const auto& e : items) {
    EXPECT_GT(e.at("position").as_int64(), last) << "log order";
    last = e.at("position").as_int64();
    EXPECT_EQ(e.at("conversation").as_string(), id);
    EXPECT_EQ(e.at("dossier").as_string(), "d-104");
    EXPECT_FALSE(e.at("at").as_string().empty());
  }
  EXPECT_EQ(items.at(0).at("actor").as_string(), "u-c1");
  EXPECT_EQ(items.at(0).at("data").at("subject").as_string(), "Frais de voiture");
  EXPECT_EQ(items.at(5).at("actor").as_string(), "u-cmc") << "who deleted";
  EXPECT_EQ(items.at(6).at("data").at("body").as_string(), kNoteText) << "managers see notes in history";
  EXPECT_EQ(items.at(9).at("data").at("by").as_string(), "u-cmc");
  EXPECT_EQ(items.at(7).at("data").at("user").as_string(), "u-c1") << "who read";
  EXPECT_TRUE(page.at("next_cursor").is_null());

  // Pages of 3 add up to the whole.
  std::vector<std::string> paged;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    auto p = Get("/v1/conversations/" + id + "/history?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor),
                 "u-cmc")
                 .json();
    for (const auto& t : Types(p)) paged.push_back(t);
    if (p.at("next_cursor").is_null()) break;
    cursor = p.at("next_cursor").as_string();
  }
  EXPECT_EQ(paged, Types(page));
}

TEST_F(AuditApiTest, OnlyManagersAndComplianceAccountsReadHistoryAndClientsNeverSeeNotes) {
  const std::string id = BusyConversation();
  const std::string priv =
      Start("u-c1", R"({"subject":"Privé","body":"Entre nous","audience":{"user":"u-c1"}})");
  EXPECT_EQ(Get("/v1/conversations/" + id + "/history", "u-audit").status, 200u);
  EXPECT_EQ(Get("/v1/dossiers/d-104/history", "u-audit").status, 200u);
  EXPECT_EQ(Get("/v1/dossiers/d-104/export", "u-audit").status, 200u);
  for (const std::string& path :
       std::vector<std::string>{"/v1/conversations/" + id + "/history", "/v1/dossiers/d-104/history",
                                "/v1/dossiers/d-104/export"}) {
    for (const char* user : {"u-collab", "u-c1", "u-c2"}) {
      auto r = Get(path, user);
      EXPECT_EQ(r.status, 403u) << user << " " << path << ": " << r.body;
      EXPECT_EQ(r.body.find(kNoteText), std::string::npos);
    }
    auto other_firm = Get(path, "u-f2", "f2");
    EXPECT_EQ(other_firm.status, 404u) << path;
  }
  // A client who cannot see a conversation does not learn it exists.
  EXPECT_EQ(Get("/v1/conversations/" + priv + "/history", "u-c2").status, 404u);
  EXPECT_EQ(Get("/v1/conversations/c_unknown/history", "u-cmc").status, 404u);
}

TEST_F(AuditApiTest, DossierHistoryHoldsItsDefinitionsAndEveryConversationAndExportIsTheSameLines) {
  const std::string first = BusyConversation();
  const std::string second = Start("u-cmc", R"({"subject":"Bilan 2026","body":"Documents ?"})");
  Start("u-cmc", R"({"subject":"Autre dossier","body":"Rien à voir"})", "d-105");
  auto r = Get("/v1/dossiers/d-104/history?limit=1000", "u-cmc");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto items = r.json().at("items").as_array();
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items.at(0).at("type").as_string(), "DossierDefined");
  EXPECT_EQ(items.at(0).at("data").at("staff").at(0).as_string(), "u-cmc") << "who could see what";
  std::set<std::string> conversations;
  for (const auto& e : items) {
    EXPECT_EQ(e.at("dossier").as_string(), "d-104");
    if (e.at("conversation").is_string()) conversations.insert(std::string(e.at("conversation").as_string()));
  }
  EXPECT_EQ(conversations, (std::set<std::string>{first, second}));
  EXPECT_EQ(r.body.find("Autre dossier"), std::string::npos) << "d-105 stays out of d-104's history";

  auto exported = Get("/v1/dossiers/d-104/export", "u-cmc");
  ASSERT_EQ(exported.status, 200u);
  EXPECT_EQ(exported.headers["Content-Type"], "application/x-ndjson");
  std::istringstream lines(exported.body);
  std::string line;
  std::size_t n = 0;
  for (; std::getline(lines, line); ++n) {
    ASSERT_LT(n, items.size());
    EXPECT_EQ(json::parse(line), items.at(n)) << "line " << n;
  }
  EXPECT_EQ(n, items.size());

  // from/to keep what happened in between.
  const std::string t0(items.at(1).at("at").as_string());
  const std::string t1(items.at(3).at("at").as_string());
  auto window =
      Get("/v1/dossiers/d-104/history?from=" + t0 + "&to=" + t1, "u-cmc").json().at("items").as_array();
  ASSERT_FALSE(window.empty());
  for (const auto& e : window) {
    EXPECT_GE(std::string(e.at("at").as_string()), t0);
    EXPECT_LE(std::string(e.at("at").as_string()), t1);
  }
  EXPECT_LT(window.size(), items.size());
  EXPECT_EQ(Get("/v1/dossiers/d-104/history?from=yesterday", "u-cmc").status, 400u);
}

TEST_F(AuditApiTest, AsOfShowsAConversationAndCountersAsTheyWere) {
  const std::string id = Start("u-c1", R"({"subject":"Acompte","body":"Combien ?"})");
  auto started = Get("/v1/conversations/" + id, "u-cmc").json();
  const std::string t_start(started.at("created_at").as_string());
  NextMillisecond();
  auto reply = Post("/v1/conversations/" + id + "/messages", R"({"body":"1 200 euros"})", "u-cmc");
  ASSERT_EQ(reply.status, 201u);
  const std::string t_reply(reply.json().at("created_at").as_string());
  NextMillisecond();
  ASSERT_EQ(Post("/v1/conversations/" + id + "/close", "", "u-cmc").status, 200u);

  auto then = Get("/v1/conversations/" + id + "?as_of=" + t_start, "u-cmc");
  ASSERT_EQ(then.status, 200u) << then.body;
  EXPECT_EQ(then.json().at("status").as_string(), "new");
  EXPECT_EQ(then.json().at("messages").as_array().size(), 1u);
  EXPECT_TRUE(then.json().at("needs_staff_action").as_bool());
  auto later = Get("/v1/conversations/" + id + "?as_of=" + t_reply, "u-c1").json();
  EXPECT_EQ(later.at("status").as_string(), "in_progress");
  EXPECT_EQ(later.at("messages").as_array().size(), 2u);
  EXPECT_FALSE(later.as_object().contains("notes")) << "a client gets no notes as of any time";
  EXPECT_EQ(Get("/v1/conversations/" + id + "?as_of=2020-01-01T00:00:00Z", "u-cmc").status, 404u)
      << "it did not exist yet";
  EXPECT_EQ(Get("/v1/conversations/" + id + "?as_of=not-a-time", "u-cmc").status, 400u);

  auto now = Get("/v1/dossiers/d-104/counters", "u-cmc").json();
  EXPECT_EQ(now.at("closed").as_int64(), 1);
  auto at_start = Get("/v1/dossiers/d-104/counters?as_of=" + t_start, "u-cmc").json();
  EXPECT_EQ(at_start.at("open").as_int64(), 1);
  EXPECT_EQ(at_start.at("closed").as_int64(), 0);
  EXPECT_EQ(at_start.at("staff_action_needed").as_int64(), 1);
  auto at_reply = Get("/v1/dossiers/d-104/counters?as_of=" + t_reply, "u-cmc").json();
  EXPECT_EQ(at_reply.at("staff_action_needed").as_int64(), 0);
  EXPECT_EQ(at_reply.at("client_action_needed").as_int64(), 1);
  auto before = Get("/v1/dossiers/d-104/counters?as_of=2020-01-01T00:00:00Z", "u-cmc").json();
  EXPECT_EQ(before.at("open").as_int64() + before.at("closed").as_int64(), 0);
  // As of now equals the live read model.
  EXPECT_EQ(Get("/v1/dossiers/d-104/counters?as_of=2100-01-01T00:00:00Z", "u-cmc").json(), now);
  auto live = Get("/v1/conversations/" + id, "u-cmc").json();
  EXPECT_EQ(Get("/v1/conversations/" + id + "?as_of=2100-01-01T00:00:00Z", "u-cmc").json(), live);
}

}  // namespace
}  // namespace parley
