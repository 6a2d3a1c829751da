// parleyd on a 3-node NATS JetStream cluster on 127.0.0.1 (the test starts
// and kills the servers by PID), driven over real HTTP: two parleyd on one
// cluster give the same answers; kill -9 of the stream's leader and then of
// a follower under concurrent writers loses no acknowledged message and
// duplicates none; with 1 node of 3, writes answer 503 and reads still answer.
// The log has three partitions (and one, for the kills), and the firms are
// chosen to fall in each.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "eventstore/partitioned_log.h"
#include "tests/testing/http_client.h"
#include "tests/testing/mail_files.h"
#include "tests/testing/nats_cluster.h"
#include "tests/testing/parleyd_process.h"
#include "tests/testing/sse_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tokens.h"

namespace parley {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using Steady = std::chrono::steady_clock;

constexpr const char* kStream = "EV_P00";
constexpr std::size_t kPartitions = 3;

// The first firm ids "f1", "f2", ... that fall in partitions 0, 1, ...
std::vector<std::string> FirmPerPartition(std::size_t partitions = kPartitions) {
  std::vector<std::string> firms(partitions);
  for (int i = 1; std::count(firms.begin(), firms.end(), "") > 0; ++i) {
    const std::string firm = "f" + std::to_string(i);
    std::string& slot = firms[eventstore::PartitionOf(firm, partitions)];
    if (slot.empty()) slot = firm;
  }
  return firms;
}

testing::HttpResponse Call(testing::HttpClient& client, http::verb verb, const std::string& path,
                           const std::string& body, const std::string& token,
                           const std::string& idempotency_key = "") {
  auto headers = testing::Bearer(token);
  if (!body.empty()) headers["Content-Type"] = "application/json";
  if (!idempotency_key.empty()) headers["Idempotency-Key"] = idempotency_key;
  return client.Request(verb, path, body, headers);
}

// A firm with one manager and one client in dossier d-1.
void MakeFirm(testing::HttpClient& client, const std::string& firm = "f1") {
  const std::string base = "/v1/admin/firms/" + firm;
  const std::pair<std::string, const char*> puts[] = {
      {base, R"({"name":"Cabinet Dupont","default_language":"fr"})"},
      {base + "/users/u-cmc",
       R"({"kind":"staff","name":"Claire Martin","email":"c@d.example","role":"chef_mission_comptable"})"},
      {base + "/users/u-c1", R"({"kind":"client","name":"Anne Moreau","email":"a@b.example"})"},
      {base + "/dossiers/d-1", R"({"name":"Boulangerie Moreau","clients":[{"user":"u-c1"}],"staff":["u-cmc"]})"},
  };
  for (const auto& [path, body] : puts) {
    auto r = Call(client, http::verb::put, path, body, testing::PlatformToken());
    ASSERT_TRUE(r.status == 200 || r.status == 201) << path << ": " << r.status << " " << r.body;
  }
}

std::string StartConversation(testing::HttpClient& client, const std::string& firm = "f1") {
  auto r = Call(client, http::verb::post, "/v1/dossiers/d-1/conversations",
                R"({"subject":"Pièces du T4","body":"Bonjour, voici la liste."})", testing::UserToken("u-cmc", firm));
  EXPECT_EQ(r.status, 201u) << r.body;
  return r.status == 201 ? std::string(r.json().at("id").as_string()) : "";
}

// The bodies of a conversation's messages, as `port`'s parleyd serves them;
// `expect_found`: a 404 (not there yet) is a failure.
std::vector<std::string> Bodies(unsigned short port, const std::string& conversation, bool expect_found = true,
                                const std::string& firm = "f1") {
  testing::HttpClient client(port);
  auto r = client.Get("/v1/conversations/" + conversation, testing::Bearer(testing::UserToken("u-cmc", firm)));
  if (expect_found || r.status != 404) {
    EXPECT_EQ(r.status, 200u) << r.body;
  }
  std::vector<std::string> out;
  if (r.status != 200) return out;
  const json::value thread = r.json();
  for (const auto& m : thread.at("messages").as_array()) out.emplace_back(m.at("body").as_string());
  return out;
}

// Runs a command; its exit status and what it printed (stdout and stderr).
std::pair<int, std::string> RunCommand(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::vector<std::string> ParleydFlags(const testing::NatsCluster& cluster, std::size_t partitions = kPartitions) {
  return {"--store", cluster.StoreUrl() + "&partitions=" + std::to_string(partitions), "--threads", "4"};
}

TEST(JetStreamCluster, TwoServersOnOneClusterServeTheSameFirmAndEachReadsItsOwnWrites) {
  testing::NatsCluster cluster(3);
  testing::TempDir dir;
  testing::ParleydProcess a(dir.str("a"), ParleydFlags(cluster));
  testing::ParleydProcess b(dir.str("b"), ParleydFlags(cluster));
  testing::HttpClient on_a(a.port()), on_b(b.port());
  MakeFirm(on_a);
  const std::string conversation = StartConversation(on_a);
  ASSERT_FALSE(conversation.empty());

  // B follows the cluster: what A wrote appears there too.
  const auto deadline = Steady::now() + std::chrono::seconds(10);
  while (Bodies(b.port(), conversation, false).size() != 1 && Steady::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(Bodies(b.port(), conversation), std::vector<std::string>{"Bonjour, voici la liste."});

  // Each writes in turn and reads its own write at once.
  for (int i = 0; i < 10; ++i) {
    testing::HttpClient& writer = i % 2 == 0 ? on_b : on_a;
    const std::string user = i % 2 == 0 ? "u-c1" : "u-cmc";
    const std::string body = "message " + std::to_string(i);
    auto posted = Call(writer, http::verb::post, "/v1/conversations/" + conversation + "/messages",
                       json::serialize(json::object{{"body", body}}), testing::UserToken(user, "f1"));
    ASSERT_EQ(posted.status, 201u) << posted.body;
    auto bodies = Bodies(i % 2 == 0 ? b.port() : a.port(), conversation);
    ASSERT_FALSE(bodies.empty());
    EXPECT_EQ(bodies.back(), body) << "a caller reads its own write";
  }
  // Both end with the same thread and the same counters.
  auto same = [&](const std::string& path) {
    const auto until = Steady::now() + std::chrono::seconds(10);
    std::string from_a, from_b;
    do {
      from_a = on_a.Get(path, testing::Bearer(testing::UserToken("u-cmc", "f1"))).body;
      from_b = on_b.Get(path, testing::Bearer(testing::UserToken("u-cmc", "f1"))).body;
    } while (from_a != from_b && Steady::now() < until);
    EXPECT_EQ(from_a, from_b) << path;
  };
  same("/v1/conversations/" + conversation);
  same("/v1/dossiers/d-1/counters");
  same("/v1/dossiers/d-1/conversations?status=all");
  // The mailers append too, a moment later: both come to the same log.
  json::value position_a, position_b;
  for (auto until = Steady::now() + std::chrono::seconds(10); Steady::now() < until;) {
    position_a = on_a.Get("/healthz").json().at("log_position");
    position_b = on_b.Get("/healthz").json().at("log_position");
    if (position_a == position_b) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(position_a, position_b);
}

// Writers that post messages, each in its own conversation, with an
// Idempotency-Key each, and retry the same key after a 503 until it is
// acknowledged.
class Writers {
 public:
  // conversations[i] of firms[i].
  Writers(unsigned short port, std::vector<std::string> conversations, std::vector<std::string> firms)
      : port_(port),
        conversations_(std::move(conversations)),
        firms_(std::move(firms)) {
    last_ack_.assign(conversations_.size(), Steady::now());
    for (std::size_t i = 0; i < conversations_.size(); ++i) threads_.emplace_back([this, i] { Run(i); });
  }
  ~Writers() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  std::set<std::string> acknowledged() const {
    std::lock_guard lock(mu_);
    return acknowledged_;
  }
  std::vector<std::string> refusals() const {
    std::lock_guard lock(mu_);
    return refusals_;
  }
  // The longest time one writer went without an acknowledgement, while
  // writing: the slowest write, its retries after 503 included. (Per
  // writer, not per firm: a single write stuck for a minute while the
  // firm's other writers went on was seen, and hidden by a firm's figure.)
  std::chrono::milliseconds longest_pause() const {
    std::lock_guard lock(mu_);
    Steady::duration longest = longest_;
    for (const Steady::time_point& last : last_ack_) {
      if (!stop_) longest = std::max(longest, Steady::now() - last);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(longest);
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return acknowledged_.size();
  }
  int unavailable() const { return unavailable_; }

 private:
  void Run(std::size_t writer) {
    std::unique_ptr<testing::HttpClient> client;
    for (int k = 0; !stop_; ++k) {
      const std::string body = "w" + std::to_string(writer) + "-" + std::to_string(k);
      const std::string message = json::serialize(json::object{{"body", body}});
      // One message until it is acknowledged; the same key on every try.
      for (const auto give_up = Steady::now() + std::chrono::seconds(60); Steady::now() < give_up;) {
        try {
          if (!client) client = std::make_unique<testing::HttpClient>(port_);
          auto r = Call(*client, http::verb::post, "/v1/conversations/" + conversations_[writer] + "/messages",
                        message,
                        testing::UserToken(writer % 2 == 0 ? "u-cmc" : "u-c1", firms_[writer]), body);
          if (r.status == 201 || r.status == 200) {
            Acknowledge(writer, body);
            break;
          }
          if (r.status == 503) {
            unavailable_++;
            continue;
          }
          std::lock_guard lock(mu_);
          refusals_.push_back(body + ": " + std::to_string(r.status) + " " + r.body);
          break;
        } catch (const std::exception&) {
          client.reset();  // the connection broke: the same key again
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
  }
  void Acknowledge(std::size_t writer, const std::string& body) {
    std::lock_guard lock(mu_);
    acknowledged_.insert(body);
    const auto now = Steady::now();
    Steady::time_point& last = last_ack_[writer];
    longest_ = std::max(longest_, now - last);
    last = now;
  }

  const unsigned short port_;
  const std::vector<std::string> conversations_;
  const std::vector<std::string> firms_;
  std::atomic<bool> stop_{false};
  std::atomic<int> unavailable_{0};
  mutable std::mutex mu_;
  std::set<std::string> acknowledged_;
  std::vector<std::string> refusals_;
  std::vector<Steady::time_point> last_ack_;  // per writer
  Steady::duration longest_{};
  std::vector<std::thread> threads_;
};

// Waits until the writers have `more` acknowledgements beyond `from`.
void WaitForProgress(const Writers& writers, std::size_t from, std::size_t more, std::chrono::seconds timeout) {
  const auto deadline = Steady::now() + timeout;
  while (writers.count() < from + more && Steady::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(writers.count(), from + more) << "writes did not resume within " << timeout.count() << " s";
}

// Starts node `i` again and waits until its /healthz says JetStream is
// current: it has caught up with the meta group and every stream while the
// writers go on. Usually within 6 s. About one restart in ten (seen with
// nats-server 2.10.27, after "Filestore [_meta_] Stream state outdated"
// and a consumer assignment "not cleaned up") stays "not current with the
// meta leader" for 90 s and more; stopping and starting the node again is
// the operator's remedy, so the test does that, up to twice. This is
// nats-server's recovery, not what this test checks: the writes go on
// meanwhile on the two other nodes.
void RestartAndWaitHealthy(testing::NatsCluster& cluster, int i) {
  const auto start = Steady::now();
  cluster.Start(i);
  bool healthy = cluster.WaitHealthy(i, std::chrono::seconds(30));
  for (int again = 0; again < 2 && !healthy; ++again) {
    std::fprintf(stderr, "node %d not healthy 30 s after its start: starting it again\n", i);
    cluster.Stop(i);
    cluster.Start(i);
    healthy = cluster.WaitHealthy(i, std::chrono::seconds(30));
  }
  ASSERT_TRUE(healthy) << cluster.LogTail(i);
  std::fprintf(stderr, "node %d healthy again %lld ms after its restart\n", i,
               static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start).count()));
}

// A 3-node cluster with one parleyd on it, on a log of GetParam()
// partitions, holding firm f1.
class OnCluster : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override { MakeFirm(client); }

  const std::size_t partitions = GetParam();
  testing::NatsCluster cluster{3};
  testing::TempDir dir;
  testing::ParleydProcess server{dir.str("data"), ParleydFlags(cluster, partitions)};
  testing::HttpClient client{server.port()};
};
INSTANTIATE_TEST_SUITE_P(Partitions, OnCluster, ::testing::Values(1, 3),
                         [](const auto& info) { return "partitions" + std::to_string(info.param); });

TEST_P(OnCluster, KillingTheLeaderThenAFollowerLosesNoAcknowledgedWriteAndDuplicatesNone) {
  // Six writers spread over the partitions, each in a conversation of
  // that partition's firm.
  const std::vector<std::string> partition_firms = FirmPerPartition(partitions);
  for (const std::string& firm : partition_firms) MakeFirm(client, firm);
  std::vector<std::string> conversations, firms;
  for (int i = 0; i < 6; ++i) {
    firms.push_back(partition_firms[static_cast<std::size_t>(i) % partitions]);
    conversations.push_back(StartConversation(client, firms.back()));
    ASSERT_FALSE(conversations.back().empty());
  }

  Writers writers(server.port(), conversations, firms);
  WaitForProgress(writers, 0, 50, std::chrono::seconds(20));

  const int leader = cluster.StreamLeader(kStream);
  ASSERT_GE(leader, 0);
  cluster.Kill(leader);
  WaitForProgress(writers, writers.count(), 50, std::chrono::seconds(10));
  ASSERT_NO_FATAL_FAILURE(RestartAndWaitHealthy(cluster, leader));
  WaitForProgress(writers, writers.count(), 20, std::chrono::seconds(10));

  int new_leader = -1;
  for (auto until = Steady::now() + std::chrono::seconds(10); new_leader < 0 && Steady::now() < until;) {
    new_leader = cluster.StreamLeader(kStream);
  }
  ASSERT_GE(new_leader, 0);
  const int follower = (new_leader + 1) % cluster.size();
  cluster.Kill(follower);
  WaitForProgress(writers, writers.count(), 50, std::chrono::seconds(10));
  ASSERT_NO_FATAL_FAILURE(RestartAndWaitHealthy(cluster, follower));
  WaitForProgress(writers, writers.count(), 20, std::chrono::seconds(10));
  writers.Stop();

  EXPECT_TRUE(writers.refusals().empty()) << writers.refusals().front();
  // The issue's bar. JetStream elects a stream's new leader 4 to 9 s after
  // the last heartbeat (not tunable in nats-server 2.10); the rest of the
  // pause is ours, and appends no longer wait for the copy's consumer.
  EXPECT_LT(writers.longest_pause(), std::chrono::seconds(10)) << "writes resume by themselves";
  const std::set<std::string> acknowledged = writers.acknowledged();
  // Every message of every conversation, as a server on `port` serves them.
  auto all_bodies = [&](unsigned short port) {
    std::map<std::string, int> out;
    for (std::size_t i = 0; i < conversations.size(); ++i)
      for (const std::string& body : Bodies(port, conversations[i], true, firms[i])) out[body]++;
    return out;
  };
  std::map<std::string, int> seen = all_bodies(server.port());
  std::size_t lost = 0, duplicated = 0;
  for (const std::string& body : acknowledged) lost += seen.count(body) == 0;
  for (const auto& [body, times] : seen) duplicated += body != "Bonjour, voici la liste." && times > 1;
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(duplicated, 0u);
  std::cout << "acknowledged " << acknowledged.size() << " messages, " << writers.unavailable()
            << " answers 503, longest pause " << writers.longest_pause().count() << " ms" << std::endl;

  // The audit and rebuild tools read the server's local copy: the hash chain
  // verifies, and the rebuilt read models equal the live ones. The server
  // stops first: its mailer is still appending, and a comparison with a
  // moving log would be a race, not a finding.
  ASSERT_EQ(server.Terminate(), 0);
  const auto [verify_status, verified] = RunCommand(std::string(PARLEY_AUDIT) + " verify --data " + dir.str("data"));
  EXPECT_EQ(verify_status, 0) << verified;
  // One chain per partition, each holding its firms' events.
  for (std::size_t p = 0; p < partitions; ++p) {
    const std::string line =
        (partitions > 1 ? "partition " + std::to_string(p) + ": " : std::string()) + "chain intact: ";
    const std::size_t at = verified.find(line);
    ASSERT_NE(at, std::string::npos) << verified;
    EXPECT_GT(std::stoul(verified.substr(at + line.size())), 20u) << verified;
  }
  const auto [rebuild_status, rebuilt] =
      RunCommand(std::string(PARLEY_REBUILD) + " --check --data " + dir.str("data"));
  EXPECT_EQ(rebuild_status, 0) << rebuilt;

  // A new parleyd on a fresh local copy rebuilds the same thread from the cluster.
  testing::ParleydProcess fresh(dir.str("fresh"), ParleydFlags(cluster, partitions));
  EXPECT_EQ(all_bodies(fresh.port()), seen);
}

TEST_P(OnCluster, WithOneNodeOfThreeWritesAnswer503AndReadsStillAnswer) {
  const std::string conversation = StartConversation(client);
  ASSERT_FALSE(conversation.empty());

  const int leader = cluster.StreamLeader(kStream);
  ASSERT_GE(leader, 0);
  cluster.Kill(leader);
  cluster.Kill((leader + 1) % 3);

  // A write waits for a quorum, then answers 503 with the SPEC's body ...
  std::atomic<bool> written{false};
  testing::HttpResponse refused;
  std::thread writer([&] {
    testing::HttpClient own(server.port());
    refused = Call(own, http::verb::post, "/v1/conversations/" + conversation + "/messages",
                   R"({"body":"pendant la panne"})", testing::UserToken("u-cmc", "f1"), "outage-1");
    written = true;
  });
  // ... while reads answer from the read models all along.
  int reads = 0;
  while (!written) {
    testing::HttpClient reader(server.port());
    auto r = reader.Get("/v1/conversations/" + conversation, testing::Bearer(testing::UserToken("u-c1", "f1")));
    EXPECT_EQ(r.status, 200u) << r.body;
    ++reads;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  writer.join();
  EXPECT_GT(reads, 5);
  ASSERT_EQ(refused.status, 503u) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("code").as_string(), "unavailable");

  // Back to a quorum: the same request (same key) goes through, once.
  cluster.Start(leader);
  cluster.Start((leader + 1) % 3);
  ASSERT_TRUE(cluster.WaitHealthy(leader, std::chrono::seconds(30)));
  unsigned status = 0;
  for (auto until = Steady::now() + std::chrono::seconds(30);
       status != 201 && status != 200 && Steady::now() < until;) {
    status = Call(client, http::verb::post, "/v1/conversations/" + conversation + "/messages",
                  R"({"body":"pendant la panne"})", testing::UserToken("u-cmc", "f1"), "outage-1")
                 .status;
  }
  ASSERT_TRUE(status == 201 || status == 200) << status;
  auto bodies = Bodies(server.port(), conversation);
  EXPECT_EQ(std::count(bodies.begin(), bodies.end(), "pendant la panne"), 1);
}

// Firms in different partitions: each firm's live stream and history carry
// positions of its own partition, a firm never sees another's events, and
// a reconnect with Last-Event-ID resumes in the right partition.
TEST(JetStreamCluster, EachFirmFollowsItsOwnPartition) {
  testing::NatsCluster node(1);
  testing::TempDir dir;
  testing::ParleydProcess server(dir.str("data"), ParleydFlags(node));
  testing::HttpClient client(server.port());
  const std::vector<std::string> firms = FirmPerPartition();
  const std::string& busy = firms[0];
  const std::string& quiet = firms[1];
  MakeFirm(client, busy);
  MakeFirm(client, quiet);

  testing::SseClient quiet_stream(server.port(), testing::UserToken("u-cmc", quiet));
  ASSERT_EQ(quiet_stream.Status(), 200u);
  // Much traffic in the busy firm's partition, then one message in the quiet one.
  const std::string busy_conversation = StartConversation(client, busy);
  for (int i = 0; i < 30; ++i) {
    auto r = Call(client, http::verb::post, "/v1/conversations/" + busy_conversation + "/messages",
                  json::serialize(json::object{{"body", "occupé " + std::to_string(i)}}),
                  testing::UserToken("u-cmc", busy));
    ASSERT_EQ(r.status, 201u) << r.body;
  }
  const std::string quiet_conversation = StartConversation(client, quiet);
  const auto holds = [](const std::string& text) {
    return [text](const testing::SseEvent& e) { return e.data.find(text) != std::string::npos; };
  };
  std::vector<testing::SseEvent> seen;
  for (const auto& e : quiet_stream.Until(holds("Bonjour, voici la liste.")))
    if (e.type != "counters") seen.push_back(e);
  ASSERT_EQ(seen.size(), 2u) << quiet_stream.raw();  // the start and its first message
  EXPECT_EQ(seen[0].type, "ConversationStarted");
  EXPECT_EQ(quiet_stream.raw().find("occupé"), std::string::npos) << "another firm's events";

  // The id is the event's position in the quiet firm's partition, as its
  // history says, and small: the busy partition's events are not counted.
  auto history = Call(client, http::verb::get, "/v1/dossiers/d-1/history?limit=100", "",
                      testing::UserToken("u-cmc", quiet));
  ASSERT_EQ(history.status, 200u) << history.body;
  std::uint64_t started_at = 0;
  const json::value entries = history.json();
  for (const auto& entry : entries.at("items").as_array()) {
    if (entry.at("type").as_string() == "ConversationStarted")
      started_at = entry.at("position").to_number<std::uint64_t>();
  }
  EXPECT_EQ(std::to_string(started_at), seen[0].id);
  EXPECT_LT(started_at, 30u);

  EXPECT_EQ(std::stoull(seen[1].id), started_at + 1);

  // Resuming from the last id gets the next event of the quiet partition.
  auto posted = Call(client, http::verb::post, "/v1/conversations/" + quiet_conversation + "/messages",
                     R"({"body":"calme"})", testing::UserToken("u-cmc", quiet));
  ASSERT_EQ(posted.status, 201u) << posted.body;
  testing::SseClient resumed(server.port(), testing::UserToken("u-cmc", quiet), seen[1].id);
  std::vector<testing::SseEvent> after;
  for (const auto& e : resumed.Until(holds("calme")))
    if (e.type != "counters") after.push_back(e);
  ASSERT_EQ(after.size(), 1u) << resumed.raw();
  EXPECT_GT(std::stoull(after[0].id), started_at + 1);
  EXPECT_LT(std::stoull(after[0].id), 30u);

  // "As of" folds the quiet firm's own partition: the thread before the
  // last message (a millisecond after the first one: "at" is rounded down
  // to the millisecond), and the counters then.
  const auto first_at = ParseRfc3339(std::string(json::parse(seen[1].data).at("at").as_string()));
  ASSERT_TRUE(first_at.has_value()) << seen[1].data;
  const std::string before_calme = FormatRfc3339(*first_at + 1000);
  auto then = Call(client, http::verb::get, "/v1/conversations/" + quiet_conversation + "?as_of=" + before_calme,
                   "", testing::UserToken("u-cmc", quiet));
  ASSERT_EQ(then.status, 200u) << then.body;
  EXPECT_EQ(then.json().at("messages").as_array().size(), 1u) << then.body;
  auto counters = Call(client, http::verb::get, "/v1/dossiers/d-1/counters?as_of=" + before_calme, "",
                       testing::UserToken("u-cmc", quiet));
  ASSERT_EQ(counters.status, 200u) << counters.body;
  EXPECT_EQ(counters.json().at("open").as_int64(), 1) << counters.body;

  // The audit tool finds each firm's dossier in its partition's copy.
  ASSERT_EQ(server.Terminate(), 0);
  for (const std::string& firm : {busy, quiet}) {
    const auto [status, exported] = RunCommand(std::string(PARLEY_AUDIT) + " export --data " + dir.str("data") +
                                               " --dossier d-1 --firm " + firm);
    EXPECT_EQ(status, 0) << exported;
    const auto lines = std::count(exported.begin(), exported.end(), '\n');
    EXPECT_GE(lines, firm == busy ? 32 : 3) << exported;
    EXPECT_EQ(exported.find(firm == busy ? "calme" : "occupé"), std::string::npos) << "another firm's events";
  }
  const auto [replayed_status, replayed] =
      RunCommand(std::string(PARLEY_AUDIT) + " replay --data " + dir.str("data") + " --conversation " +
                 quiet_conversation + " --as-of " + before_calme);
  EXPECT_EQ(replayed_status, 0) << replayed;
  EXPECT_NE(replayed.find("Bonjour, voici la liste."), std::string::npos) << replayed;
  EXPECT_EQ(replayed.find("calme"), std::string::npos) << replayed;
}

// The mails in a parleyd's DATA/outbox, by Message-ID.
std::map<std::string, std::string> MailsIn(const std::string& data) {
  std::map<std::string, std::string> out;
  for (const testing::ReceivedMail& m : testing::ReadEmlDirectory(data + "/outbox")) out[m.message_id()] = m.to();
  return out;
}

// Two parleyd on one log, both with their mailer: one at a time sends
// (a lease on the cluster), so every mail goes out once; when the one
// sending is killed, the other takes over.
TEST(JetStreamCluster, OneMailerAtATimeSendsEachMailOnceAndAnotherTakesOver) {
  testing::NatsCluster node(1);
  testing::TempDir dir;
  auto a = std::make_unique<testing::ParleydProcess>(dir.str("a"), ParleydFlags(node));
  testing::ParleydProcess b(dir.str("b"), ParleydFlags(node));
  testing::HttpClient on_a(a->port()), on_b(b.port());
  MakeFirm(on_a);
  // Each start tells the dossier's client (a@b.example) at once.
  for (int i = 0; i < 6; ++i) ASSERT_FALSE(StartConversation(i % 2 ? on_b : on_a).empty());
  auto sent = [&] {
    std::size_t files = 0;
    std::set<std::string> ids;
    for (const char* server : {"a", "b"}) {
      for (const auto& [id, to] : MailsIn(dir.str(server))) {
        ++files;
        ids.insert(id);
      }
    }
    return std::pair(files, ids.size());
  };
  for (auto until = Steady::now() + std::chrono::seconds(20); sent().first < 6 && Steady::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a second sender would have sent by now
  const auto [files, distinct] = sent();
  EXPECT_EQ(files, 6u) << "each mail once, by one server";
  EXPECT_EQ(distinct, 6u);
  const bool a_sends = !MailsIn(dir.str("a")).empty();
  EXPECT_NE(a_sends, !MailsIn(dir.str("b")).empty()) << "one server sent them all";

  // The sender dies without a word; the other takes over within the lease.
  testing::ParleydProcess* survivor = a_sends ? &b : a.get();
  if (a_sends) {
    a->Kill();
  } else {
    b.Kill();
  }
  testing::HttpClient on_survivor(survivor->port());
  const auto killed_at = Steady::now();
  ASSERT_FALSE(StartConversation(on_survivor).empty());
  const std::string survivor_dir = dir.str(a_sends ? "b" : "a");
  while (MailsIn(survivor_dir).empty() && Steady::now() < killed_at + std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(MailsIn(survivor_dir).size(), 1u) << "the survivor sends what is due, and only that";
  std::cout << "the survivor sent after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - killed_at).count() << " ms"
            << std::endl;
}

TEST(JetStreamCluster, ParleydRefusesServersThatDoNotSyncEveryWriteUnlessToldUnsafe) {
  testing::NatsCluster lazy(1, /*sync_always=*/false);
  testing::TempDir dir;
  const auto [status, output] =
      RunCommand(std::string(PARLEYD_PATH) + " --port 0 --data " + dir.str("data") + " --jwt-secret " +
                 std::string(testing::kTestJwtSecret) + " --store '" + lazy.StoreUrl() + "'");
  EXPECT_NE(status, 0) << output;
  EXPECT_NE(output.find("sync_interval: always"), std::string::npos) << output;
  EXPECT_EQ(output.find("listening on"), std::string::npos) << output;

  testing::ParleydProcess server(dir.str("unsafe"), {"--store", lazy.StoreUrl(), "--unsafe-durability"});
  testing::HttpClient client(server.port());
  EXPECT_EQ(client.Get("/healthz").status, 200u);
}

}  // namespace
}  // namespace parley
