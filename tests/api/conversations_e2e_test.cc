// Conversations over real HTTP against the real parleyd: the rules of SPEC
// sections 2-4 and, above all, what each caller may and may not see.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "tests/api/firm_fixture.h"

namespace parley {
namespace {

class ConversationsApiTest : public FirmApiTest {};

TEST_F(ConversationsApiTest, AClientQuestionNeedsStaffActionUntilStaffAnswer) {
  std::string id = Start("u-c1", R"({"subject":"Dépense professionnelle ?","body":"Ce restaurant ?"})");
  auto staff_view = Get("/v1/conversations/" + id, "u-cmc").json();
  EXPECT_EQ(staff_view.at("status").as_string(), "new");
  EXPECT_TRUE(staff_view.at("needs_staff_action").as_bool());
  EXPECT_TRUE(staff_view.at("bold").as_bool());
  EXPECT_EQ(staff_view.at("participants").at(0).as_string(), "u-cmc") << "assigned staff by default";
  auto counters = Get("/v1/dossiers/d-104/counters", "u-cmc").json();
  EXPECT_EQ(counters.at("staff_action_needed").as_int64(), 1);
  EXPECT_EQ(counters.at("client_action_needed").as_int64(), 0);
  EXPECT_EQ(counters.at("open").as_int64(), 1);

  auto answer =
      Post("/v1/conversations/" + id + "/messages", R"({"body":"Oui, 50 % déductible."})", "u-collab");
  ASSERT_EQ(answer.status, 201u) << answer.body;
  EXPECT_EQ(answer.json().at("author").at("name").as_string(), "Luc Petit");
  auto after = Get("/v1/conversations/" + id, "u-c1").json();  // read-your-writes across users too
  EXPECT_EQ(after.at("status").as_string(), "in_progress");
  EXPECT_TRUE(after.at("needs_client_action").as_bool());
  EXPECT_EQ(after.at("messages").as_array().size(), 2u);
  EXPECT_EQ(after.at("unread").as_int64(), 1);
  EXPECT_TRUE(after.at("bold").as_bool());
  counters = Get("/v1/dossiers/d-104/counters", "u-cmc").json();
  EXPECT_EQ(counters.at("staff_action_needed").as_int64(), 0);
  EXPECT_EQ(counters.at("client_action_needed").as_int64(), 1);
}

TEST_F(ConversationsApiTest, AClientNeverSeesANoteAnywhere) {
  std::string id = Start("u-cmc");
  auto note =
      Post("/v1/conversations/" + id + "/notes", json::serialize(json::object{{"body", kNoteText}}), "u-cmc");
  ASSERT_EQ(note.status, 201u) << note.body;
  auto staff_view = Get("/v1/conversations/" + id, "u-collab");
  EXPECT_NE(staff_view.body.find(kNoteText), std::string::npos) << "staff see notes";
  for (const std::string& path : {"/v1/conversations/" + id, std::string("/v1/dossiers/d-104/conversations"),
                                  std::string("/v1/dossiers/d-104/conversations?status=all"),
                                  std::string("/v1/dossiers/d-104/counters")}) {
    auto r = Get(path, "u-c1");
    EXPECT_EQ(r.status, 200u) << path;
    EXPECT_EQ(r.body.find(kNoteText), std::string::npos) << path;
    EXPECT_EQ(r.body.find("\"notes\""), std::string::npos) << path;
    EXPECT_EQ(r.body.find("read_by"), std::string::npos) << path;
  }
  EXPECT_EQ(Get("/v1/conversations/" + id, "u-c1").json().at("unread").as_int64(), 1)
      << "the message, not the note";
  auto refused = Post("/v1/conversations/" + id + "/notes", R"({"body":"moi aussi"})", "u-c1");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(refused.body.find(kNoteText), std::string::npos);
}

TEST_F(ConversationsApiTest, StaffSeeReadReceiptsClientsOnlyDelivered) {
  std::string id = Start("u-cmc");
  auto before = Get("/v1/conversations/" + id, "u-cmc").json();
  EXPECT_TRUE(before.at("messages").at(0).at("read_by").as_array().empty());
  ASSERT_EQ(Post("/v1/conversations/" + id + "/read", "", "u-c1").status, 204u);
  auto after = Get("/v1/conversations/" + id, "u-cmc").json();
  auto receipt = after.at("messages").at(0).at("read_by").at(0);
  EXPECT_EQ(receipt.at("user").as_string(), "u-c1");
  EXPECT_EQ(receipt.at("initials").as_string(), "AM");
  EXPECT_TRUE(receipt.at("at").is_string());
  auto client_view = Get("/v1/conversations/" + id, "u-c1").json();
  EXPECT_TRUE(client_view.at("messages").at(0).at("delivered").as_bool());
  EXPECT_FALSE(client_view.at("messages").at(0).as_object().contains("read_by"));
  EXPECT_EQ(client_view.at("unread").as_int64(), 0);
}

TEST_F(ConversationsApiTest, EachReceiptIsTheFirstTimeThatClientReachedTheMessage) {
  std::string id = Start("u-cmc");
  ASSERT_EQ(Post("/v1/conversations/" + id + "/read", "", "u-c1").status, 204u);
  const std::string first_read(Get("/v1/conversations/" + id, "u-cmc")
                                   .json()
                                   .at("messages")
                                   .at(0)
                                   .at("read_by")
                                   .at(0)
                                   .at("at")
                                   .as_string());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // receipts show milliseconds
  auto second = Post("/v1/conversations/" + id + "/messages", R"({"body":"Et ceci ?"})", "u-cmc");
  ASSERT_EQ(second.status, 201u);
  EXPECT_TRUE(second.json().at("read_by").as_array().empty()) << "nobody read it yet";
  ASSERT_EQ(Post("/v1/conversations/" + id + "/read", "", "u-c1").status, 204u);
  ASSERT_EQ(Post("/v1/conversations/" + id + "/read", "", "u-c2").status, 204u);
  ASSERT_EQ(Post("/v1/conversations/" + id + "/read", "", "u-collab").status, 204u);
  auto view = Get("/v1/conversations/" + id, "u-cmc").json();
  const auto& m1 = view.at("messages").at(0).at("read_by").as_array();
  const auto& m2 = view.at("messages").at(1).at("read_by").as_array();
  ASSERT_EQ(m1.size(), 2u) << "two clients; staff reads are no receipts";
  ASSERT_EQ(m2.size(), 2u);
  for (const auto& receipt : m1) {
    if (receipt.at("user").as_string() == "u-c1") {
      EXPECT_EQ(receipt.at("at").as_string(), first_read) << "the first read of it, not the latest";
    } else {
      EXPECT_EQ(receipt.at("user").as_string(), "u-c2");
      EXPECT_EQ(receipt.at("initials").as_string(), "PM");
    }
  }
  for (const auto& receipt : m2) EXPECT_NE(receipt.at("at").as_string(), first_read);
}

TEST_F(ConversationsApiTest, AnotherFirmGets404OnEverything) {
  std::string id = Start("u-cmc");
  EXPECT_EQ(Get("/v1/conversations/" + id, "u-f2", "f2").status, 404u);
  EXPECT_EQ(Get("/v1/dossiers/d-104/conversations", "u-f2", "f2").status, 404u);
  EXPECT_EQ(Get("/v1/dossiers/d-104/counters", "u-f2", "f2").status, 404u);
  auto post = Post("/v1/conversations/" + id + "/messages", R"({"body":"intrusion"})", "u-f2", "f2");
  EXPECT_EQ(post.status, 404u);
  EXPECT_EQ(Code(post), "not_found");
  EXPECT_EQ(Post("/v1/dossiers/d-104/conversations", R"({"subject":"S","body":"B"})", "u-f2", "f2").status,
            404u);
  // A token claiming firm f1 for a user of f2 names nobody f1 knows.
  EXPECT_EQ(Get("/v1/conversations/" + id, "u-f2", "f1").status, 401u);
}

TEST_F(ConversationsApiTest, APrivateConversationIsInvisibleToOtherClients) {
  std::string id =
      Start("u-cmc", R"({"subject":"Votre salaire","body":"Confidentiel","audience":{"user":"u-c1"}})");
  EXPECT_EQ(Get("/v1/conversations/" + id, "u-c1").status, 200u);
  EXPECT_EQ(Get("/v1/conversations/" + id, "u-c2").status, 404u);
  EXPECT_EQ(Post("/v1/conversations/" + id + "/messages", R"({"body":"?"})", "u-c2").status, 404u);
  auto list = Get("/v1/dossiers/d-104/conversations?status=all", "u-c2").json();
  EXPECT_TRUE(list.at("items").as_array().empty());
  EXPECT_EQ(Get("/v1/dossiers/d-104/counters", "u-c2").json().at("open").as_int64(), 0);
  EXPECT_EQ(Get("/v1/dossiers/d-105/conversations", "u-c1").status, 404u) << "not a client of that dossier";
}

TEST_F(ConversationsApiTest, CloseRulesAndAClosedConversationIsReadOnly) {
  std::string id = Start("u-cmc");
  auto refused = Post("/v1/conversations/" + id + "/close", "", "u-c1");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(Code(refused), "forbidden");
  auto closed = Post("/v1/conversations/" + id + "/close", "", "u-cmc");
  ASSERT_EQ(closed.status, 200u) << closed.body;
  EXPECT_EQ(closed.json().at("status").as_string(), "closed");
  EXPECT_EQ(closed.json().at("closed_by").as_string(), "u-cmc");
  for (const auto& [path, user] : std::vector<std::pair<std::string, std::string>>{
           {"/messages", "u-c1"}, {"/messages", "u-cmc"}, {"/notes", "u-cmc"}}) {
    auto r = Post("/v1/conversations/" + id + path, R"({"body":"encore"})", user);
    EXPECT_EQ(r.status, 409u) << path;
    EXPECT_EQ(Code(r), "conversation_closed");
  }
  EXPECT_EQ(Get("/v1/dossiers/d-104/conversations", "u-c1").json().at("items").as_array().size(), 0u)
      << "the open tab no longer lists it";
  EXPECT_EQ(
      Get("/v1/dossiers/d-104/conversations?status=closed", "u-c1").json().at("items").as_array().size(), 1u);
  EXPECT_EQ(Post("/v1/conversations/" + id + "/reopen", "", "u-c1").status, 403u);
  auto reopened = Post("/v1/conversations/" + id + "/reopen", "", "u-cmc");
  ASSERT_EQ(reopened.status, 200u);
  EXPECT_EQ(reopened.json().at("status").as_string(), "in_progress");
  EXPECT_EQ(Post("/v1/conversations/" + id + "/messages", R"({"body":"Merci"})", "u-c1").status, 201u);
}

TEST_F(ConversationsApiTest, BadRequestsAnswerTheSpecErrors) {
  auto start = [&](const std::string& body) {
    return Post("/v1/dossiers/d-104/conversations", body, "u-cmc");
  };
  EXPECT_EQ(start(R"({"body":"no subject"})").status, 400u);
  EXPECT_EQ(start(json::serialize(json::object{{"subject", std::string(201, 's')}, {"body", "B"}})).status,
            400u);
  EXPECT_EQ(start(json::serialize(json::object{{"subject", std::string(200, 's')}, {"body", "B"}})).status,
            201u);
  EXPECT_EQ(start(R"({"subject":"S","body":42})").status, 400u);
  EXPECT_EQ(start(R"({"subject":"S","body":"B","audience":"everyone"})").status, 400u);
  EXPECT_EQ(start("{oops").status, 400u);
  auto big =
      start(json::serialize(json::object{{"subject", "S"}, {"body", std::string(64 * 1024 + 1, 'b')}}));
  EXPECT_EQ(big.status, 413u);
  EXPECT_EQ(Code(big), "too_large");
  EXPECT_EQ(Get("/v1/dossiers/d-104/conversations?status=maybe", "u-cmc").status, 400u);
  EXPECT_EQ(Get("/v1/conversations/c_nope", "u-cmc").status, 404u);
  EXPECT_EQ(Get("/v1/dossiers/d-104/conversations", "u-cmc").json().at("items").as_array().size(), 1u)
      << "only the one valid start was written";
}

TEST_F(ConversationsApiTest, OnlyTheAuthorEditsOrDeletesAndTheThreadShowsIt) {
  std::string id = Start("u-c1", R"({"subject":"Question","body":"Premier jet"})");
  const std::string path = "/v1/conversations/" + id;
  const std::string message(Get(path, "u-c1").json().at("messages").at(0).at("id").as_string());
  auto edit = [&](const std::string& user, const std::string& body) {
    return Call(http::verb::patch, path + "/messages/" + message, body, testing::UserToken(user, "f1"));
  };
  EXPECT_EQ(edit("u-c2", R"({"body":"pas à toi"})").status, 403u);
  EXPECT_EQ(edit("u-cmc", R"({"body":"pas à toi"})").status, 403u);
  auto edited = edit("u-c1", R"({"body":"Version corrigée"})");
  ASSERT_EQ(edited.status, 200u) << edited.body;
  EXPECT_TRUE(edited.json().at("edited").as_bool());
  EXPECT_EQ(Get(path, "u-cmc").json().at("messages").at(0).at("body").as_string(), "Version corrigée");
  auto other = Call(http::verb::delete_, path + "/messages/" + message, "", testing::UserToken("u-c2", "f1"));
  EXPECT_EQ(other.status, 403u);
  auto deleted =
      Call(http::verb::delete_, path + "/messages/" + message, "", testing::UserToken("u-c1", "f1"));
  ASSERT_EQ(deleted.status, 200u) << deleted.body;
  auto shown = Get(path, "u-cmc").json().at("messages").at(0).as_object();
  EXPECT_TRUE(shown.at("deleted").as_bool());
  EXPECT_FALSE(shown.contains("body")) << "a deleted message shows no text";
  EXPECT_EQ(shown.at("id").as_string(), message);
  EXPECT_EQ(edit("u-c1", R"({"body":"trop tard"})").status, 404u);
  EXPECT_EQ(Call(http::verb::delete_, path + "/messages/m_nope", "", testing::UserToken("u-c1", "f1")).status,
            404u);
}

TEST_F(ConversationsApiTest, StaffAddStaffParticipantsAndMentionsDoToo) {
  std::string id = Start("u-cmc");
  const std::string path = "/v1/conversations/" + id;
  EXPECT_EQ(Post(path + "/participants", R"({"user":"u-collab"})", "u-c1").status, 403u);
  EXPECT_EQ(Post(path + "/participants", R"({"user":"u-c1"})", "u-cmc").status, 400u);
  auto added = Post(path + "/participants", R"({"user":"u-collab"})", "u-cmc");
  ASSERT_EQ(added.status, 200u) << added.body;
  EXPECT_EQ(added.json().at("participants").as_array().size(), 2u);
  EXPECT_EQ(Post(path + "/notes", R"({"body":"@Expert ?","mentions":["u-c1"]})", "u-cmc").status, 400u)
      << "a note never mentions a client";
}

TEST_F(ConversationsApiTest, IfMatchGuardsAgainstLostUpdatesAndETagsFollowVersions) {
  std::string id = Start("u-cmc");
  const std::string path = "/v1/conversations/" + id;
  auto read = Get(path, "u-c1");
  const std::string etag = read.headers["ETag"];
  EXPECT_EQ(etag, "\"" + std::to_string(read.json().at("version").to_number<std::uint64_t>()) + "\"");
  auto with = [&](const std::string& match, const std::string& body) {
    auto headers = testing::Bearer(testing::UserToken("u-c1", "f1"));
    headers["Content-Type"] = "application/json";
    headers["If-Match"] = match;
    return client_.Request(http::verb::post, path + "/messages", body, headers);
  };
  auto first = with(etag, R"({"body":"Réponse 1"})");
  ASSERT_EQ(first.status, 201u) << first.body;
  EXPECT_NE(first.headers["ETag"], etag) << "the write moved the version";
  auto stale = with(etag, R"({"body":"Réponse 2 sur une vieille version"})");
  EXPECT_EQ(stale.status, 409u);
  EXPECT_EQ(Code(stale), "conflict");
  EXPECT_EQ(with("\"abc\"", R"({"body":"?"})").status, 400u);
  EXPECT_EQ(with(first.headers["ETag"], R"({"body":"Réponse 2"})").status, 201u);
  EXPECT_EQ(Get(path, "u-cmc").json().at("messages").as_array().size(), 3u)
      << "the stale write appended nothing";
}

TEST_F(ConversationsApiTest, ARepeatedIdempotencyKeyAppendsNothing) {
  auto send = [&](const std::string& path, const std::string& key, const std::string& body) {
    auto headers = testing::Bearer(testing::UserToken("u-c1", "f1"));
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = key;
    return client_.Request(http::verb::post, path, body, headers);
  };
  const std::string start = R"({"subject":"Facture","body":"Où la déposer ?"})";
  auto first = send("/v1/dossiers/d-104/conversations", "key-1", start);
  ASSERT_EQ(first.status, 201u) << first.body;
  auto again = send("/v1/dossiers/d-104/conversations", "key-1", start);
  ASSERT_EQ(again.status, 201u) << again.body;
  EXPECT_EQ(again.json().at("id"), first.json().at("id"));
  EXPECT_EQ(Get("/v1/dossiers/d-104/conversations", "u-cmc").json().at("items").as_array().size(), 1u);
  auto other_body = send("/v1/dossiers/d-104/conversations", "key-1", R"({"subject":"Autre","body":"x"})");
  EXPECT_EQ(other_body.status, 409u);
  EXPECT_EQ(Code(other_body), "conflict");

  const std::string path =
      "/v1/conversations/" + std::string(first.json().at("id").as_string()) + "/messages";
  auto m1 = send(path, "key-2", R"({"body":"La voici"})");
  auto m2 = send(path, "key-2", R"({"body":"La voici"})");
  ASSERT_EQ(m1.status, 201u);
  ASSERT_EQ(m2.status, 201u);
  EXPECT_EQ(m1.json().at("id"), m2.json().at("id"));
  EXPECT_EQ(Get("/v1/conversations/" + std::string(first.json().at("id").as_string()), "u-cmc")
                .json()
                .at("messages")
                .as_array()
                .size(),
            2u);
  // The same key from another user is another request.
  auto headers = testing::Bearer(testing::UserToken("u-c2", "f1"));
  headers["Content-Type"] = "application/json";
  headers["Idempotency-Key"] = "key-2";
  EXPECT_EQ(client_.Request(http::verb::post, path, R"({"body":"La voici"})", headers).status, 201u);
}

TEST_F(ConversationsApiTest, PagesSkipWhatTheCallerCannotSeeWithoutLosingAnything) {
  std::set<std::string> visible;
  for (int i = 0; i < 9; ++i) {
    const bool hidden = i % 3 == 1;  // private to u-c1: u-c2 never sees them
    std::string id = Start("u-cmc", hidden ? R"({"subject":"Privé","body":"B","audience":{"user":"u-c1"}})"
                                           : R"({"subject":"Public","body":"B"})");
    if (!hidden) visible.insert(id);
  }
  std::vector<std::string> seen = AllPages("u-c2", 2);
  EXPECT_EQ(seen.size(), visible.size()) << "each visible conversation exactly once";
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), visible);
}

TEST_F(ConversationsApiTest, TheInboxListsTheCallersDossiersWithCountersAndTotals) {
  Start("u-c1", R"({"subject":"Question","body":"?"})");
  Start("u-cmc", R"({"subject":"Demande","body":"Merci d'envoyer les relevés"})", "d-105");
  auto staff = Get("/v1/inbox", "u-cmc").json();
  ASSERT_EQ(staff.at("items").as_array().size(), 2u) << "u-cmc works on d-104 and d-105";
  EXPECT_EQ(staff.at("totals").at("open").as_int64(), 2);
  EXPECT_EQ(staff.at("totals").at("staff_action_needed").as_int64(), 1);
  EXPECT_EQ(staff.at("totals").at("client_action_needed").as_int64(), 1);
  auto client = Get("/v1/inbox", "u-c1").json();
  ASSERT_EQ(client.at("items").as_array().size(), 1u);
  EXPECT_EQ(client.at("items").at(0).at("dossier").as_string(), "d-104");
  EXPECT_EQ(client.at("totals").at("open").as_int64(), 1);
  EXPECT_TRUE(Get("/v1/inbox", "u-collab").json().at("items").as_array().empty()) << "assigned to no dossier";
  EXPECT_TRUE(Get("/v1/inbox", "u-f2", "f2").json().at("items").as_array().empty());
}

TEST_F(ConversationsApiTest, ListsPageNewestActivityFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Start("u-cmc"));
  ASSERT_EQ(Post("/v1/conversations/" + ids[1] + "/messages", R"({"body":"relance"})", "u-cmc").status, 201u);
  std::vector<std::string> seen = AllPages("u-c1", 2);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0], ids[1]) << "the one with the newest message comes first";
  EXPECT_EQ(seen[1], ids[4]);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 5u) << "no conversation twice";
  // Activity between pages moves a conversation to the front; the next
  // page still continues after the last one shown, with no repeat.
  auto first = Get("/v1/dossiers/d-104/conversations?limit=2", "u-c1").json();
  ASSERT_EQ(Post("/v1/conversations/" + ids[0] + "/messages", R"({"body":"encore"})", "u-cmc").status, 201u);
  auto second = Get("/v1/dossiers/d-104/conversations?limit=2&cursor=" +
                        std::string(first.at("next_cursor").as_string()),
                    "u-c1")
                    .json();
  for (const auto& item : second.at("items").as_array()) {
    for (const auto& shown : first.at("items").as_array()) EXPECT_NE(item.at("id"), shown.at("id"));
  }
  EXPECT_EQ(Get("/v1/dossiers/d-104/conversations?cursor=nonsense", "u-c1").status, 400u);
}

}  // namespace
}  // namespace parley
