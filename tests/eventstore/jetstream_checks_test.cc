// The JetStream backend's checks before it writes anything: the store URL,
// subject tokens, and the servers it refuses (older than 2.10, or not
// syncing every write), on /varz answers and on a real nats-server.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <filesystem>
#include <algorithm>
#include <iostream>
#include <optional>
#include <thread>

#include "eventstore/jetstream_store.h"
#include "tests/testing/events.h"
#include "tests/testing/nats_cluster.h"
#include "tests/testing/temp_dir.h"

namespace parley::eventstore {
namespace {

TEST(JetStreamUrl, ParsesServersMonitorsReplicasAndPartitions) {
  JetStreamStoreOptions options;
  ASSERT_TRUE(ParseJetStreamUrl(
                  "nats://10.0.0.1:4222,h2:4223?monitor=h1:8222,h2:8223&replicas=5&partitions=12&log=eu-west",
                  options)
                  .ok());
  EXPECT_EQ(options.servers, (std::vector<std::string>{"nats://10.0.0.1:4222", "nats://h2:4223"}));
  EXPECT_EQ(options.monitors, (std::vector<std::string>{"h1:8222", "h2:8223"}));
  EXPECT_EQ(options.replicas, 5);
  EXPECT_EQ(options.partitions, 12u);
  EXPECT_EQ(PartitionName(options.log_name, 0), "eu-west_P00");
  EXPECT_EQ(PartitionName(options.log_name, 11), "eu-west_P11");
  JetStreamStoreOptions plain;
  ASSERT_TRUE(ParseJetStreamUrl("nats://h:4222", plain).ok());
  EXPECT_EQ(plain.replicas, 3);
  EXPECT_EQ(plain.partitions, 1u);
  EXPECT_EQ(PartitionName(plain.log_name, 0), "P00");
  EXPECT_EQ(PartitionName(plain.log_name, 63), "P63");
}

TEST(JetStreamUrl, RefusesWhatItDoesNotKnow) {
  for (const char* bad : {"http://h:4222", "nats://", "nats://h?replicas=0", "nats://h?replicas=9",
                          "nats://h?replicas=two", "nats://h?log=a.b", "nats://h?log=", "nats://h?partitions=0",
                          "nats://h?partitions=65", "nats://h?partitions=2x", "nats://h?partition=P01",
                          "nats://h?sync=never"}) {
    JetStreamStoreOptions options;
    auto parsed = ParseJetStreamUrl(bad, options);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(SubjectToken, KeepsSafeBytesAndEncodesTheRest) {
  EXPECT_EQ(SubjectToken("conv-c_01J9ABC"), "conv-c_01J9ABC");
  EXPECT_EQ(SubjectToken("a.b*c>d e%"), "a%2Eb%2Ac%3Ed%20e%25");
  EXPECT_EQ(SubjectToken("é"), "%C3%A9");
  EXPECT_NE(SubjectToken("%41"), SubjectToken("A"));
}

std::string Varz(const std::string& version, bool sync_always) {
  return R"({"server_name":"n0","version":")" + version +
         R"(","jetstream":{"config":{"max_memory":1,"sync_interval":120000000000,"sync_always":)" +
         (sync_always ? "true" : "false") + "}}}";
}

TEST(NatsServerVarz, AcceptsOnly210OrLaterSyncingEveryWrite) {
  EXPECT_TRUE(CheckNatsServerVarz(Varz("2.10.27", true), "m:8222").ok());
  EXPECT_TRUE(CheckNatsServerVarz(Varz("2.11.0", true), "m:8222").ok());
  EXPECT_TRUE(CheckNatsServerVarz(Varz("3.0.1", true), "m:8222").ok());

  auto old = CheckNatsServerVarz(Varz("2.9.10", true), "m:8222");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(old.error().message.find("older than 2.10"), std::string::npos) << old.error().message;

  auto lazy = CheckNatsServerVarz(Varz("2.10.27", false), "m:8222");
  ASSERT_FALSE(lazy.ok());
  EXPECT_NE(lazy.error().message.find("sync_interval: always"), std::string::npos) << lazy.error().message;

  EXPECT_FALSE(CheckNatsServerVarz(R"({"version":"2.10.1"})", "m:8222").ok()) << "no JetStream config";
  EXPECT_FALSE(CheckNatsServerVarz("not json", "m:8222").ok());
  EXPECT_FALSE(CheckNatsServerVarz(R"({"version":"x"})", "m:8222").ok());
}

TEST(JetStreamStore, RefusesARealServerThatDoesNotSyncUnlessToldUnsafe) {
  testing::NatsCluster lazy(1, /*sync_always=*/false);
  testing::TempDir dir;
  JetStreamStoreOptions options;
  options.servers = lazy.ServerUrls();
  options.monitors = lazy.Monitors();
  options.replicas = 1;
  options.mirror_path = dir.str("copy");
  auto refused = OpenJetStreamStore(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("--unsafe-durability"), std::string::npos) << refused.error().message;

  JetStreamStoreOptions no_monitor = options;
  no_monitor.monitors.clear();
  EXPECT_FALSE(OpenJetStreamStore(no_monitor).ok()) << "nothing to check the servers with";

  options.unsafe_durability = true;
  auto store = OpenJetStreamStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::vector<EventData> events{testing::MakeEvent("e1")};
  EXPECT_TRUE((*store)->Append("s", ExpectedVersion::NoStream(), events).ok());
}


TEST(JetStreamLog, HasOneStreamAndCopyPerPartitionAndRefusesAnotherCount) {
  testing::NatsCluster node(1);
  testing::TempDir dir;
  JetStreamStoreOptions options;
  ASSERT_TRUE(ParseJetStreamUrl(node.StoreUrl() + "&partitions=3&log=checks", options).ok());
  options.replicas = 1;
  options.mirror_path = dir.str("copies");
  {
    auto log = OpenJetStreamLog(options);
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_EQ(log->size(), 3u);
    // Each partition is a log of its own: positions start at 1 in each.
    for (std::size_t i = 0; i < 3; ++i) {
      const std::vector<EventData> events{testing::MakeEvent("e" + std::to_string(i)),
                                          testing::MakeEvent("f" + std::to_string(i))};
      auto appended = (*log)[i]->Append("s", ExpectedVersion::NoStream(), events);
      ASSERT_TRUE(appended.ok()) << appended.error().message;
      EXPECT_EQ(appended->position, 2u);
      EXPECT_FALSE((*log)[(i + 1) % 3]->FindEvent("e" + std::to_string(i))->has_value());
    }
    for (auto& store : *log) store->Close();
  }
  for (const char* name : {"checks_P00", "checks_P01", "checks_P02"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "copies" / name / "CURRENT")) << name;
  }

  // Another count would send firms elsewhere than their history.
  JetStreamStoreOptions fewer = options;
  fewer.partitions = 2;
  auto refused = OpenJetStreamLog(fewer);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("partitions="), std::string::npos) << refused.error().message;

  // The same count reopens every partition where it was.
  auto again = OpenJetStreamLog(options);
  ASSERT_TRUE(again.ok()) << again.error().message;
  for (auto& store : *again) EXPECT_EQ(store->LastPosition(), 2u);
}


// What JetStream holds, read with raw libnats: one message per append, on
// ev.<partition>.<firm>.<stream> (ids encoded), with the command's id as
// Nats-Msg-Id; a conditional append's id names the subject sequence it
// expected.
TEST(JetStreamStore, StoresOneMessagePerAppendOnItsFirmAndStreamSubject) {
  testing::NatsCluster node(1);
  testing::TempDir dir;
  JetStreamStoreOptions options;
  ASSERT_TRUE(ParseJetStreamUrl(node.StoreUrl(), options).ok());
  options.replicas = 1;
  options.partition = "subj";
  options.mirror_path = dir.str("copy");
  auto store = OpenJetStreamStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::vector<EventData> two{testing::MakeEvent("m1"), testing::MakeEvent("m2")};
  const std::vector<EventData> one{testing::MakeEvent("m3")};
  const std::vector<EventData> other{testing::MakeEvent("m4")};
  ASSERT_TRUE((*store)->AppendForFirm("f.1", "conv a", ExpectedVersion::NoStream(), two).ok());
  ASSERT_TRUE((*store)->AppendForFirm("f.1", "conv a", ExpectedVersion::Any(), one).ok());
  auto last = (*store)->Append("s", ExpectedVersion::Exactly(0), other);  // no firm named
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_EQ(last->position, 4u);
  // A stream lives on one firm's subject: another firm cannot write it.
  auto foreign = (*store)->AppendForFirm("f.2", "conv a", ExpectedVersion::Any(),
                                          std::vector<EventData>{testing::MakeEvent("m5")});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, ErrorCode::kInvalidArgument);

  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, options.servers[0].c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  struct Stored {
    std::string subject, msg_id;
  };
  auto stored = [&](std::uint64_t sequence) {
    natsMsg* msg = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    Stored out;
    if (js_GetMsg(&msg, js, "EV_subj", sequence, nullptr, &code) != NATS_OK) return out;
    out.subject = natsMsg_GetSubject(msg);
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK) out.msg_id = id;
    natsMsg_Destroy(msg);
    return out;
  };
  const Stored first = stored(1), second = stored(2), third = stored(3), fourth = stored(4);
  EXPECT_EQ(first.subject, "ev.subj.f%2E1.conv%20a");
  EXPECT_EQ(first.msg_id, "m1.0") << "conditional: the command's id and the subject sequence it expected";
  EXPECT_EQ(second.subject, "ev.subj.f%2E1.conv%20a");
  EXPECT_EQ(second.msg_id, "m3") << "unconditional: the command's id";
  EXPECT_EQ(third.subject, "ev.subj.~.s");
  EXPECT_EQ(third.msg_id, "m4.0");
  EXPECT_TRUE(fourth.subject.empty()) << "three appends, three messages";
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// What the design relies on from nats-server 2.10 on a replicated stream,
// with raw libnats. If a later server changes this, the message ids can
// change too (eventstore/JETSTREAM.md, "An append").
TEST(NatsServer, ConditionalPublishesAnswerAsTheDesignExpects) {
  testing::NatsCluster cluster(3);
  JetStreamStoreOptions options;
  ASSERT_TRUE(ParseJetStreamUrl(cluster.StoreUrl(), options).ok());
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, options.servers[0].c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {"x.>"};
  config.Name = "X";
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = 3;
  jsErrCode code = static_cast<jsErrCode>(0);
  bool created = false;
  for (int i = 0; i < 100 && !created; ++i) {
    created = js_AddStream(nullptr, js, &config, nullptr, &code) == NATS_OK;
    if (!created) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(created);
  // "stored N", "duplicate N", or "wrong last sequence".
  auto publish = [&](const char* id, std::optional<std::uint64_t> expect) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id;
    if (expect) {
      po.ExpectLastSubjectSeq = *expect;
      po.ExpectNoMessage = *expect == 0;
    }
    po.MaxWait = 5000;
    jsPubAck* ack = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    const natsStatus s = js_Publish(&ack, js, "x.a", "d", 1, &po, &error);
    std::string answer;
    if (s == NATS_OK) {
      answer = (ack->Duplicate ? "duplicate " : "stored ") + std::to_string(ack->Sequence);
      jsPubAck_Destroy(ack);
    } else {
      answer = error == JSStreamWrongLastSequenceErr ? "wrong last sequence" : natsStatus_GetText(s);
    }
    return answer;
  };
  EXPECT_EQ(publish("a", 0), "stored 1");
  // A resend of a stored conditional message is refused by its condition
  // before its id is looked up: not "duplicate".
  EXPECT_EQ(publish("a", 0), "wrong last sequence");
  // A publish that fails its condition can leave its id "in flight" for
  // the duplicate window (2 minutes): the same id sent again, even without
  // a condition, is answered "duplicate 0" and not stored. Hence a
  // conditional append's id names the subject sequence it expects, so the
  // same command decided again on a newer state goes out under a new id.
  EXPECT_EQ(publish("b", 5), "wrong last sequence");
  EXPECT_EQ(publish("b", std::nullopt), "duplicate 0");
  EXPECT_EQ(publish("b.1", 1), "stored 2");
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// The ordered consumer that feeds the local copy lives on one server. When
// that server dies (and it is not the stream's leader), JetStream goes on
// storing at once, but the consumer is made again only seconds later:
// appends read what they wrote straight from the stream meanwhile.
TEST(JetStreamStore, AppendsGoOnAtOnceWhenTheServerFeedingTheCopyDies) {
  testing::NatsCluster cluster(3);
  testing::TempDir dir;
  JetStreamStoreOptions options;
  ASSERT_TRUE(ParseJetStreamUrl(cluster.StoreUrl(), options).ok());
  options.partition = "feed";
  options.mirror_path = dir.str("copy");
  auto store = OpenJetStreamStore(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::vector<EventData> first{testing::MakeEvent("first")};
  ASSERT_TRUE((*store)->Append("s", ExpectedVersion::Any(), first).ok());

  // The node to kill: the consumer's, and not the stream's leader (or its
  // death would wait for an election instead).
  int host = -1, leader = -1;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       std::chrono::steady_clock::now() < until;) {
    host = cluster.ConsumerHost("EV_feed");
    leader = cluster.StreamLeader("EV_feed");
    if (host >= 0 && leader >= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(host, 0) << "no consumer listed";
  if (host == leader) {
    // The consumer starts on the leader: move the leadership away (the
    // consumer stays where it is).
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, cluster.ServerUrls()[0].c_str()), NATS_OK);
    natsMsg* reply = nullptr;
    EXPECT_EQ(natsConnection_RequestString(&reply, nc, "$JS.API.STREAM.LEADER.STEPDOWN.EV_feed", "", 5000),
              NATS_OK);
    natsMsg_Destroy(reply);
    natsConnection_Destroy(nc);
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
         std::chrono::steady_clock::now() < until;) {
      leader = cluster.StreamLeader("EV_feed");
      if (leader >= 0 && leader != host) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_NE(leader, host) << "the leadership did not move";
    ASSERT_EQ(cluster.ConsumerHost("EV_feed"), host) << "the consumer moved with it";
    const std::vector<EventData> moved{testing::MakeEvent("moved")};
    ASSERT_TRUE((*store)->Append("s", ExpectedVersion::Any(), moved).ok());
  }
  cluster.Kill(host);

  std::chrono::milliseconds slowest{0};
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<EventData> events{testing::MakeEvent("after-" + std::to_string(i))};
    auto appended = (*store)->Append("s", ExpectedVersion::Any(), events);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start));
    EXPECT_TRUE((*store)->FindEvent("after-" + std::to_string(i))->has_value()) << "reads its own write";
  }
  EXPECT_LT(slowest, std::chrono::milliseconds(1500));  // 1.6-5.0 s without reading directly
  std::cout << "slowest append after the consumer's server died: " << slowest.count() << " ms" << std::endl;

  // Once the consumer is back, the copy goes on from where it is.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::vector<EventData> last{testing::MakeEvent("last")};
  auto appended = (*store)->Append("s", ExpectedVersion::Any(), last);
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  const std::uint64_t events = (*store)->LastPosition();
  EXPECT_TRUE(events == 22u || events == 23u) << events;  // 23 with "moved"
  EXPECT_EQ(appended->position, events);
  auto verified = (*store)->Verify(1, kEndOfStream);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->checked, events);
}

}  // namespace
}  // namespace parley::eventstore
