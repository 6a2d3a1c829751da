// The live stream over real HTTP (SPEC section 9): staff and client
// connections at once, each receiving what its user may see and nothing
// else (never a note to a client), and a reconnect that resumes without a
// gap.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/beast/websocket.hpp>

#include <atomic>
#include <thread>

#include "tests/api/firm_fixture.h"
#include "tests/testing/sse_client.h"

namespace parley {
namespace {

class StreamApiTest : public FirmApiTest {
 protected:
  std::unique_ptr<testing::SseClient> Open(const std::string& user, const std::string& firm = "f1",
                                           const std::string& last_event_id = "") {
    auto stream =
        std::make_unique<testing::SseClient>(server_.port(), testing::UserToken(user, firm), last_event_id);
    EXPECT_EQ(stream->Status(), 200u) << user;
    return stream;
  }
  static auto Holds(const std::string& text) {
    return [text](const testing::SseEvent& e) { return e.data.find(text) != std::string::npos; };
  }
};

TEST_F(StreamApiTest, EachConnectionGetsWhatItsUserMaySee) {
  auto staff = Open("u-cmc");
  auto client = Open("u-c1");
  auto other_client = Open("u-c2");
  auto other_firm = Open("u-f2", "f2");

  const std::string shared = Start("u-cmc", R"({"subject":"TVA T4","body":"Bonjour à tous"})");
  ASSERT_EQ(Post("/v1/conversations/" + shared + "/notes", R"({"body":")" + std::string(kNoteText) + R"("})",
                 "u-cmc")
                .status,
            201u);
  const std::string private_one =
      Start("u-c1", R"({"subject":"Privé","body":"Seulement pour le cabinet","audience":{"user":"u-c1"}})");
  ASSERT_EQ(Post("/v1/conversations/" + shared + "/read", "", "u-c1").status, 204u);
  // A last public message: everyone who sees `shared` has all before it.
  ASSERT_EQ(Post("/v1/conversations/" + shared + "/messages", R"({"body":"Dernier mot"})", "u-cmc").status,
            201u);

  const auto& seen_by_staff = staff->Until(Holds("Dernier mot"));
  const auto& seen_by_client = client->Until(Holds("Dernier mot"));
  const auto& seen_by_other = other_client->Until(Holds("Dernier mot"));
  // The events of the log; "counters" events follow them (checked below).
  auto types = [](const std::vector<testing::SseEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events)
      if (e.type != "counters") out.push_back(e.type);
    return out;
  };
  EXPECT_EQ(types(seen_by_staff), (std::vector<std::string>{"ConversationStarted", "MessagePosted",
                                                            "NoteAdded", "ConversationStarted",
                                                            "MessagePosted", "ReadMarked", "MessagePosted"}));
  EXPECT_EQ(types(seen_by_client),
            (std::vector<std::string>{"ConversationStarted", "MessagePosted", "ConversationStarted",
                                      "MessagePosted", "MessagePosted"}))
      << "no note, no read marks, but its own private conversation";
  EXPECT_EQ(types(seen_by_other),
            (std::vector<std::string>{"ConversationStarted", "MessagePosted", "MessagePosted"}))
      << "not u-c1's private conversation";
  for (const auto* events : {&seen_by_client, &seen_by_other}) {
    for (const auto& e : *events) {
      EXPECT_EQ(e.data.find(kNoteText), std::string::npos) << "a note reached a client";
      EXPECT_EQ(e.data.find(private_one),
                events == &seen_by_other ? std::string::npos : e.data.find(private_one));
    }
  }
  EXPECT_EQ(other_client->raw().find(private_one), std::string::npos);
  // Another firm's connection gets nothing of f1.
  other_firm->Until([](const testing::SseEvent&) { return false; }, std::chrono::milliseconds(300));
  EXPECT_TRUE(other_firm->events().empty());
  // Ids are log positions, increasing; counters events have none.
  std::uint64_t previous = 0;
  for (const auto& e : seen_by_staff) {
    if (e.type == "counters") {
      EXPECT_TRUE(e.id.empty());
      continue;
    }
    EXPECT_LT(previous, std::stoull(e.id));
    previous = std::stoull(e.id);
  }
  // After the last message, each connection got d-104's counters as its
  // user sees them.
  auto last_counters = [](const std::vector<testing::SseEvent>& events) {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == "counters") return json::parse(it->data);
    return json::value();
  };
  const auto staff_counters = last_counters(seen_by_staff);
  ASSERT_TRUE(staff_counters.is_object()) << "staff got no counters";
  EXPECT_EQ(staff_counters.at("dossier").as_string(), "d-104");
  EXPECT_EQ(json::value(staff_counters.at("counters")), Get("/v1/dossiers/d-104/counters", "u-cmc").json());
  const auto other_counters = last_counters(seen_by_other);
  ASSERT_TRUE(other_counters.is_object());
  EXPECT_EQ(json::value(other_counters.at("counters")), Get("/v1/dossiers/d-104/counters", "u-c2").json())
      << "u-c2's own view: without u-c1's private conversation";
}

TEST_F(StreamApiTest, AReconnectWithLastEventIdResumesWithoutAGap) {
  std::string last_id;
  {
    auto staff = Open("u-cmc");
    Start("u-cmc", R"({"subject":"Un","body":"premier"})");
    const auto& events = staff->Until(Holds("premier"));
    for (const auto& e : events)
      if (!e.id.empty()) last_id = e.id;
    ASSERT_FALSE(last_id.empty());
  }
  // While disconnected.
  const std::string id = Start("u-cmc", R"({"subject":"Deux","body":"deuxième"})");
  ASSERT_EQ(Post("/v1/conversations/" + id + "/messages", R"({"body":"troisième"})", "u-cmc").status, 201u);
  auto again = Open("u-cmc", "f1", last_id);
  std::vector<testing::SseEvent> resumed;
  for (const auto& e : again->Until(Holds("troisième")))
    if (e.type != "counters") resumed.push_back(e);
  ASSERT_EQ(resumed.size(), 3u) << again->raw();
  EXPECT_EQ(resumed[0].type, "ConversationStarted");
  EXPECT_NE(resumed[1].data.find("deuxième"), std::string::npos);
  // The very next conversation event of the log: other streams (the
  // outbox's e-mail records) may hold the positions in between.
  std::uint64_t next = 0;
  auto history = Get("/v1/dossiers/d-104/history?limit=1000", "u-cmc");
  ASSERT_EQ(history.status, 200u) << history.body;
  const auto entries = history.json();
  for (const auto& entry : entries.at("items").as_array()) {
    const auto position = entry.at("position").to_number<std::uint64_t>();
    if (entry.at("conversation").is_string() && position > std::stoull(last_id)) {
      next = position;
      break;
    }
  }
  EXPECT_EQ(std::stoull(resumed[0].id), next) << "the very next event";
}

// A server that keeps only the last 5 events for the stream.
class SmallBufferStreamTest : public ::testing::Test {
 protected:
  SmallBufferStreamTest() : server_(dir_.str("data"), {"--stream-buffer", "5"}), client_(server_.port()) {}
  testing::TempDir dir_;
  testing::ParleydProcess server_;
  testing::HttpClient client_;
};

TEST_F(SmallBufferStreamTest, AConnectionTooFarBehindIsToldAndClosed) {
  auto platform = testing::Bearer(testing::PlatformToken());
  platform["Content-Type"] = "application/json";
  ASSERT_EQ(client_.Request(http::verb::put, "/v1/admin/firms/f1", R"({"name":"Cabinet"})", platform).status,
            201u);
  ASSERT_EQ(
      client_
          .Request(http::verb::put, "/v1/admin/firms/f1/users/u-cmc",
                   R"({"kind":"staff","name":"Claire","email":"c@d.example","role":"expert_comptable"})",
                   platform)
          .status,
      201u);
  ASSERT_EQ(client_
                .Request(http::verb::put, "/v1/admin/firms/f1/dossiers/d-1",
                         R"({"name":"D","staff":["u-cmc"]})", platform)
                .status,
            201u);
  auto staff = testing::Bearer(testing::UserToken("u-cmc", "f1"));
  staff["Content-Type"] = "application/json";
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(client_
                  .Request(http::verb::post, "/v1/dossiers/d-1/conversations",
                           R"({"subject":"S )" + std::to_string(i) + R"(","body":"B"})", staff)
                  .status,
              201u);
  }
  // Twelve conversation events later, position 1 has long left the ring.
  testing::SseClient late(server_.port(), testing::UserToken("u-cmc", "f1"), "1");
  ASSERT_EQ(late.Status(), 200u);
  const auto& events = late.Until([](const testing::SseEvent& e) { return e.type == "reset"; });
  ASSERT_FALSE(events.empty()) << late.raw();
  EXPECT_EQ(events.back().type, "reset");
  EXPECT_NE(events.back().data.find("too_far_behind"), std::string::npos);
  late.Until([](const testing::SseEvent&) { return false; }, std::chrono::milliseconds(500));
  EXPECT_EQ(late.events().size(), 1u) << "nothing after the reset: the connection is closed";
}

TEST_F(StreamApiTest, TheSamePathUpgradesToAWebSocket) {
  namespace websocket = boost::beast::websocket;
  boost::asio::io_context io;
  // Staff as a server would connect (Authorization header), the client as
  // a browser must (the token in the query).
  auto open = [&](const std::string& user, bool in_query) {
    auto ws = std::make_unique<websocket::stream<boost::asio::ip::tcp::socket>>(io);
    ws->next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), server_.port()});
    const std::string token = testing::UserToken(user, "f1");
    if (!in_query) {
      ws->set_option(websocket::stream_base::decorator(
          [token](websocket::request_type& req) { req.set(http::field::authorization, "Bearer " + token); }));
    }
    ws->handshake("127.0.0.1", in_query ? "/v1/stream?access_token=" + token : "/v1/stream");
    return ws;
  };
  auto staff = open("u-cmc", false);
  auto client = open("u-c1", true);
  // A reader that never returns would hang the test: a watchdog shuts the
  // sockets after 20 s.
  std::atomic<bool> finished = false;
  std::thread watchdog([&] {
    for (int i = 0; i < 200 && !finished; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!finished) {
      ::shutdown(staff->next_layer().native_handle(), SHUT_RDWR);
      ::shutdown(client->next_layer().native_handle(), SHUT_RDWR);
    }
  });
  // The next message that is not a "counters" one.
  int counters_seen = 0;
  auto read = [&](websocket::stream<boost::asio::ip::tcp::socket>& ws) {
    for (;;) {
      boost::beast::flat_buffer buffer;
      boost::system::error_code ec;
      ws.read(buffer, ec);
      if (ec) return json::value();
      auto message = json::parse(boost::beast::buffers_to_string(buffer.data()));
      if (message.at("event").as_string() != "counters") return message;
      ++counters_seen;
    }
  };
  const std::string id = Start("u-cmc", R"({"subject":"WS","body":"par websocket"})");
  ASSERT_EQ(
      Post("/v1/conversations/" + id + "/notes", R"({"body":")" + std::string(kNoteText) + R"("})", "u-cmc")
          .status,
      201u);
  ASSERT_EQ(Post("/v1/conversations/" + id + "/messages", R"({"body":"après la note"})", "u-cmc").status,
            201u);
  std::vector<std::string> staff_events, client_events;
  for (int i = 0; i < 4; ++i) {
    auto m = read(*staff);
    ASSERT_TRUE(m.is_object()) << "staff message " << i;
    staff_events.emplace_back(m.at("event").as_string());
    EXPECT_TRUE(m.at("id").is_int64());
  }
  for (int i = 0; i < 3; ++i) {
    auto m = read(*client);
    ASSERT_TRUE(m.is_object()) << "client message " << i;
    client_events.emplace_back(m.at("event").as_string());
    EXPECT_EQ(json::serialize(m).find(kNoteText), std::string::npos) << "a note reached a client";
  }
  // After the last event, the dossier's counters.
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  if (counters_seen == 0) staff->read(buffer, ec);
  finished = true;
  watchdog.join();
  if (counters_seen == 0) {
    ASSERT_FALSE(ec) << ec.message();
    auto counters = json::parse(boost::beast::buffers_to_string(buffer.data()));
    EXPECT_EQ(counters.at("event").as_string(), "counters");
    EXPECT_EQ(counters.at("data").at("dossier").as_string(), "d-104");
  }
  EXPECT_EQ(staff_events,
            (std::vector<std::string>{"ConversationStarted", "MessagePosted", "NoteAdded", "MessagePosted"}));
  EXPECT_EQ(client_events,
            (std::vector<std::string>{"ConversationStarted", "MessagePosted", "MessagePosted"}))
      << "the note is skipped, the message after it arrives";
}

TEST_F(StreamApiTest, RefusalsAreTypedErrors) {
  testing::SseClient anonymous(server_.port(), "");
  EXPECT_EQ(anonymous.Status(), 401u);
  testing::SseClient bad(server_.port(), testing::UserToken("u-cmc", "f1"), "not-a-number");
  EXPECT_EQ(bad.Status(), 400u);
  testing::SseClient service(server_.port(), testing::UserToken("u-audit", "f1"));
  EXPECT_EQ(service.Status(), 403u);
  EXPECT_EQ(
      client_.Request(http::verb::get, "/v1/inbox?access_token=" + testing::UserToken("u-cmc", "f1")).status,
      401u)
      << "only the stream takes a token in the query";
}

}  // namespace
}  // namespace parley
