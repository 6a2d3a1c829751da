// The NATS JetStream backend of the event store (see JETSTREAM.md).
//
// Writes: one JetStream message per append, on the subject
// ev.<partition>.<firm>.<stream>, holding its events as draft envelopes
// (no position, version or hash yet). A conditional append (an expected
// version) is published with Nats-Expected-Last-Subject-Sequence = the last
// message on its stream's subject in the local copy, read together with the
// version it decided on (ExpectNoMessage for a subject without one), so
// JetStream refuses it if anyone wrote that stream since; appends to other
// streams go on in parallel. Nats-Msg-Id, the command's id (its first
// event id), lets JetStream drop a message sent again after a lost
// acknowledgement. Reads: an ordered consumer feeds every message, in the
// stream's order, into a local RocksDB copy (RocksDbMirror), which places
// the events there: positions, versions and the hash chain follow from
// that order alone, so every copy builds the same log. An append returns
// once the copy holds it, so a caller reads its own writes.
#include "eventstore/jetstream_store.h"
#include "eventstore/partitioned_log.h"

#include <curl/curl.h>
#include <nats/nats.h>
#include <pthread.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "eventstore/envelope.h"
#include "eventstore/keys.h"
#include "eventstore/rocksdb_store.h"

namespace parley::eventstore {
namespace {

using Clock = std::chrono::steady_clock;

// "PJS2", the condition (one byte, 1: conditional, then the expected
// subject sequence, u64 big-endian), then (u32 length, draft envelope)...,
// every draft of one stream.
constexpr std::string_view kMessageMagic = "PJS2";
constexpr std::int64_t kDuplicateWindowNanos = 2LL * 60 * 1'000'000'000;  // JetStream's default

std::string NatsText(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && text != last) text += std::string(": ") + last;
  return text;
}

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The events of one append as envelopes without their place in the log
// (version and position 0, no previous hash): the copy places them.
std::string EncodeDrafts(std::string_view stream, std::span<const EventData> events, Micros now) {
  const Sha256Digest none{};
  std::string out;
  for (const EventData& e : events) {
    const std::string draft = EncodeEnvelope(e, {stream, 0, 0, now, &none});
    PutU32(out, static_cast<std::uint32_t>(draft.size()));
    out += draft;
  }
  return out;
}

// What a publish expects of its subject, if anything.
struct Condition {
  bool conditional = false;
  std::uint64_t subject_sequence = 0;  // with `conditional`: its last message (0: none yet)
};

// The bytes a message adds to its drafts: magic, then the condition (a
// flag byte and the expected subject sequence).
constexpr std::size_t kConditionBytes = 1 + 8;
constexpr std::size_t kMessageHeaderBytes = kMessageMagic.size() + kConditionBytes;

// The message: the condition the copy checks again, then the drafts.
std::string EncodeMessage(Condition condition, std::string_view drafts) {
  std::string out(kMessageMagic);
  out.push_back(condition.conditional ? 1 : 0);
  out += keys::EncodeU64(condition.subject_sequence);
  out += drafts;
  return out;
}

struct DecodedMessage {
  std::optional<std::uint64_t> expected_subject_sequence;
  std::string stream;
  std::vector<EventData> events;
  Micros timestamp = 0;
};

// A message's append, each draft checked by the FlatBuffers Verifier.
Result<DecodedMessage> DecodeMessage(std::string_view data, std::uint64_t sequence) {
  auto bad = [&](std::string_view why) {
    return Error::Corruption("JetStream message " + std::to_string(sequence) + " " + std::string(why), 0);
  };
  if (data.substr(0, kMessageMagic.size()) != kMessageMagic) return bad("is not a Parley message");
  data.remove_prefix(kMessageMagic.size());
  if (data.size() < kConditionBytes || static_cast<unsigned char>(data[0]) > 1) {
    return bad("has no valid condition");
  }
  DecodedMessage message;
  if (data[0] == 1) message.expected_subject_sequence = keys::DecodeU64(data.substr(1, 8));
  data.remove_prefix(kConditionBytes);
  std::string aligned;  // FlatBuffers reads scalars in place
  while (!data.empty()) {
    if (data.size() < 4) return bad("is cut short");
    std::uint32_t size = 0;
    for (int i = 3; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(data[i]);
    data.remove_prefix(4);
    if (size > data.size()) return bad("is cut short");
    aligned.assign(data.substr(0, size));
    data.remove_prefix(size);
    auto draft = CheckedEnvelope(aligned, 0);
    if (!draft.ok()) return bad("holds an event that is not a valid draft envelope");
    if (message.events.empty()) {
      message.stream = draft->stream();
      message.timestamp = draft->timestamp();
    } else if (draft->stream() != message.stream) {
      return bad("holds events of two streams");
    }
    message.events.push_back(ToEventData(*draft));
  }
  if (message.events.empty()) return bad("holds no event");
  return message;
}

// Reads a server's /varz: its version and whether JetStream syncs always.
Result<void> CheckServer(const std::string& monitor) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Error::Internal("cannot start libcurl");
  std::string body;
  const std::string url = "http://" + monitor + "/varz";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
  });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK || status != 200) {
    return Error::Unavailable("cannot read " + url + ": " + curl_easy_strerror(rc));
  }
  return CheckNatsServerVarz(body, monitor);
}

}  // namespace

Result<void> CheckNatsServerVarz(std::string_view body, std::string_view monitor_text) {
  const std::string monitor(monitor_text);
  const std::string url = "http://" + monitor + "/varz";
  boost::system::error_code ec;
  boost::json::value varz = boost::json::parse(body, ec);
  if (ec || !varz.is_object()) return Error::Unavailable(url + " did not answer JSON");
  const auto* version = varz.as_object().if_contains("version");
  int major = 0, minor = 0;
  if (version != nullptr && version->is_string()) {
    std::string_view v = version->as_string();
    auto [p, e1] = std::from_chars(v.data(), v.data() + v.size(), major);
    if (e1 == std::errc() && p < v.data() + v.size() && *p == '.') {
      std::from_chars(p + 1, v.data() + v.size(), minor);
    }
  }
  if (major < 2 || (major == 2 && minor < 10)) {
    return Error::InvalidArgument("the NATS server at " + monitor + " is older than 2.10 (" +
                                  (version != nullptr ? boost::json::serialize(*version) : "unknown") +
                                  "); 2.9 loses or duplicates writes on replicated streams");
  }
  const boost::json::value* always = nullptr;
  if (const auto* js = varz.as_object().if_contains("jetstream"); js != nullptr && js->is_object()) {
    if (const auto* config = js->as_object().if_contains("config"); config != nullptr && config->is_object()) {
      always = config->as_object().if_contains("sync_always");
    }
  }
  if (always == nullptr || !always->is_bool() || !always->as_bool()) {
    return Error::InvalidArgument("the NATS server at " + monitor +
                                  " does not sync each write before acknowledging it; set "
                                  "jetstream { sync_interval: always } or start with --unsafe-durability");
  }
  return {};
}

namespace {

// Each server is 2.10 or later and syncs every write, unless told not to
// check; once for a log, however many partitions it has.
Result<void> CheckServers(const JetStreamStoreOptions& options) {
  if (options.unsafe_durability) return {};
  if (options.monitors.empty()) {
    return Error::InvalidArgument(
        "give each NATS server's monitoring address (?monitor=host:port,...) so that Parley can check its "
        "version and that it syncs every write, or start with --unsafe-durability");
  }
  for (const std::string& monitor : options.monitors) {
    if (auto checked = CheckServer(monitor); !checked.ok()) return checked;
  }
  return {};
}

// Calls `attempt` until it succeeds, fails otherwise than kUnavailable, or
// a minute has passed: a cluster that has just formed may still be electing
// the leaders that make streams, consumers and buckets.
Result<void> RetryWhileUnavailable(const std::function<Result<void>()>& attempt) {
  for (const auto until = Clock::now() + std::chrono::seconds(60);;) {
    auto done = attempt();
    if (done.ok() || done.error().code != ErrorCode::kUnavailable || Clock::now() >= until) return done;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// The bytes of a message.
std::string_view DataOf(natsMsg* msg) {
  return std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
}

// Connects to the servers (reconnecting for ever: a cluster comes back)
// and opens a JetStream context whose requests wait `wait`.
Result<void> ConnectJetStream(const JetStreamStoreOptions& options, std::chrono::milliseconds wait,
                              natsConnection** nc, jsCtx** js) {
  natsOptions* opts = nullptr;
  if (natsStatus s = natsOptions_Create(&opts); s != NATS_OK) return Error::Internal(NatsText(s));
  std::vector<const char*> urls;
  for (const std::string& url : options.servers) urls.push_back(url.c_str());
  natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 100);
  natsOptions_SetTimeout(opts, 2000);
  natsStatus s = natsConnection_Connect(nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return Error::Unavailable("cannot connect to NATS: " + NatsText(s));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = wait.count();
  if (s = natsConnection_JetStream(js, *nc, &jo); s != NATS_OK) {
    return Error::Unavailable("JetStream is not available: " + NatsText(s));
  }
  return {};
}

class JetStreamStore final : public EventStore {
 public:
  explicit JetStreamStore(const JetStreamStoreOptions& options)
      : options_(options),
        stream_name_("EV_" + options.partition),
        subject_prefix_("ev." + options.partition + ".") {}
  ~JetStreamStore() override { Close(); }

  Result<void> Open();

  // Without a firm: the subject names kNoFirm (the conformance suite, tools).
  Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
                              std::span<const EventData> events) override {
    return AppendForFirm({}, stream, expected, events);
  }
  Result<AppendResult> AppendForFirm(std::string_view firm, std::string_view stream, ExpectedVersion expected,
                                     std::span<const EventData> events) override;
  Result<std::optional<RecordedEvent>> FindEvent(std::string_view event_id) override {
    return mirror_->FindEvent(event_id);
  }
  Result<std::uint64_t> StreamVersion(std::string_view stream) override { return mirror_->StreamVersion(stream); }
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, std::uint64_t from, Direction direction,
                                                std::size_t max_count) override {
    return mirror_->ReadStream(stream, from, direction, max_count);
  }
  Result<ReadAllPage> ReadAll(std::uint64_t from, std::size_t max_count) override {
    return mirror_->ReadAll(from, max_count);
  }
  Result<std::uint64_t> ForEach(std::uint64_t from, std::uint64_t to,
                                const std::function<bool(const EventView&)>& visit) override {
    return mirror_->ForEach(from, to, visit);
  }
  std::uint64_t LastPosition() const override { return mirror_->LastPosition(); }
  bool WaitForPosition(std::uint64_t position, std::chrono::milliseconds timeout) override {
    return mirror_->WaitForPosition(position, timeout);
  }
  Result<VerifyReport> Verify(std::uint64_t from, std::uint64_t to) override { return mirror_->Verify(from, to); }
  StoreStats Stats() const override {
    return {stat_appends_.load(), stat_appends_.load(), stat_appends_.load(), stat_events_.load(), 0};
  }
  void Close() override;

 private:
  // The subject token of appends that name no firm; SubjectToken never
  // makes it ('~' is escaped), so it is no firm's.
  static constexpr std::string_view kNoFirm = "~";
  // What the copy did with the last messages it applied, by sequence, so
  // that a writer learns its own append's place: nullopt if it placed
  // nothing (ids stored already). Older entries are overwritten.
  static constexpr std::size_t kRecentResults = 4096;
  struct RecentResult {
    std::uint64_t sequence = 0;
    std::optional<AppendResult> placed;
  };

  enum class Outcome { kStored, kDuplicate, kWrongLastSequence, kUnknown, kRefused };
  struct Published {
    Outcome outcome;
    std::uint64_t sequence = 0;
    std::string why;
  };
  static std::string Describe(const Published& p) {
    switch (p.outcome) {
      case Outcome::kStored: return "stored";
      case Outcome::kDuplicate: return p.sequence == 0 ? "duplicate still in flight" : "duplicate";
      case Outcome::kWrongLastSequence: return "wrong last subject sequence";
      case Outcome::kUnknown: return "unknown (" + p.why + ")";
      case Outcome::kRefused: return "refused (" + p.why + ")";
    }
    return "";
  }

  Result<void> EnsureStream();
  // What the stream's description records: its place in the log.
  std::string Description() const {
    return "Parley event log (one message per append), partition " + std::to_string(options_.partition_index) +
           " of " + std::to_string(options_.partitions);
  }
  Result<std::uint64_t> LastSequence();
  Result<void> Subscribe();
  void FollowLoop();
  // Publishes once. A conditional publish is stored only if the subject's
  // last message is the condition's sequence (0: none).
  Published Publish(const std::string& subject, const std::string& msg_id, const std::string& payload,
                    Condition condition);
  // Blocks until the copy has applied `sequence`, the deadline, or close.
  // If the ordered consumer has not delivered it soon, reads the missing
  // messages straight from the stream (CatchUpDirect), unless told not to
  // (a copy catching up with a long log at start-up: the consumer streams
  // it faster than one request per message).
  bool WaitApplied(std::uint64_t sequence, Clock::time_point deadline, bool read_directly = true);
  // Applies the messages after the copy's head up to `sequence`, read one
  // by one from the stream's leader. The ordered consumer lives on one
  // server and is made again only some seconds after that server dies (5 s
  // in the kill test), while the stream has a new leader at once.
  void CatchUpDirect(std::uint64_t sequence);
  // Applies message `sequence` to the copy unless it has it already (the
  // consumer and CatchUpDirect may both bring it). False: the copy stopped.
  // A message that is not a Parley append stops the copy: every copy would
  // stop at the same place, and nothing after it is guessed.
  bool ApplyToCopy(std::uint64_t sequence, std::string_view subject, std::string_view data);
  // The owner (the firm's token) that `subject` names for `stream`, if it
  // is ev.<partition>.<owner>.<stream's token>.
  bool OwnerOf(std::string_view subject, std::string_view stream, std::string_view& owner) const {
    if (!subject.starts_with(subject_prefix_)) return false;
    subject.remove_prefix(subject_prefix_.size());
    const std::size_t dot = subject.find('.');
    if (dot == 0 || dot == std::string_view::npos || subject.substr(dot + 1) != SubjectToken(stream)) return false;
    owner = subject.substr(0, dot);
    return true;
  }
  // The first append's result if every event of this one is stored in the copy already.
  Result<std::optional<AppendResult>> FindRetry(std::string_view stream, std::span<const EventData> events);
  // What the copy placed for message `sequence`, if it still knows.
  struct Placement {
    bool known = false;
    std::optional<AppendResult> result;  // nullopt: nothing placed
  };
  Placement PlacedBy(std::uint64_t sequence);
  // Publishes one append until its outcome is known, and waits for the copy
  // to place it.
  Result<AppendResult> Send(std::string_view firm, std::string_view stream, ExpectedVersion expected,
                            std::span<const EventData> events);
  // Brings the copy up to the stream's last message. False: not reached.
  bool CatchUp(Clock::time_point deadline);
  void Fail(const std::string& why);

  const JetStreamStoreOptions options_;
  const std::string stream_name_;
  const std::string subject_prefix_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* sub_ = nullptr;  // owned by the follower once it runs
  std::unique_ptr<RocksDbMirror> mirror_;
  std::thread follower_;
  std::atomic<bool> closing_{false};
  bool closed_ = false;

  std::size_t max_payload_ = 0;  // the servers' max_payload, read at Open

  std::mutex copy_mu_;  // one ApplyToCopy at a time
  std::vector<RecentResult> recent_ = std::vector<RecentResult>(kRecentResults);  // guarded by copy_mu_
  std::atomic<Clock::rep> consumer_behind_until_{0};  // WaitApplied reads directly until then
  std::mutex applied_mu_;
  std::condition_variable applied_cv_;
  std::string failure_;  // guarded by applied_mu_; set: the copy stopped
  int appends_running_ = 0;  // guarded by applied_mu_; Close waits for them

  std::atomic<std::uint64_t> stat_appends_{0}, stat_events_{0};
};

Result<void> JetStreamStore::Open() {
  if (options_.servers.empty()) return Error::InvalidArgument("no NATS server given");
  if (options_.mirror_path.empty()) return Error::InvalidArgument("the JetStream store needs a local directory");
  if (auto connected = ConnectJetStream(options_, options_.publish_timeout, &nc_, &js_); !connected.ok()) {
    return connected;
  }
  max_payload_ = static_cast<std::size_t>(natsConnection_GetMaxPayload(nc_));
  if (auto ensured = RetryWhileUnavailable([&] { return EnsureStream(); }); !ensured.ok()) return ensured;

  RocksDbStoreOptions local;
  local.path = options_.mirror_path;
  local.clock = options_.clock;
  auto mirror = OpenRocksDbMirror(local);
  if (!mirror.ok()) return mirror.error();
  mirror_ = std::move(*mirror);

  // Catch up before serving, so a restarted process answers what it wrote.
  auto last = LastSequence();
  if (!last.ok()) return last.error();
  if (mirror_->CurrentHead().sequence > *last) {
    return Error::Corruption("the local copy " + options_.mirror_path + " is ahead of stream " + stream_name_ +
                                 ": it belongs to another log; remove it to rebuild it",
                             0);
  }
  // Making the consumer goes through the cluster's meta leader (seen
  // timing out on a cluster that had just formed).
  if (auto subscribed = RetryWhileUnavailable([&] { return Subscribe(); }); !subscribed.ok()) return subscribed;
  follower_ = std::thread([this] { FollowLoop(); });
  if (!WaitApplied(*last, Clock::now() + std::chrono::minutes(10), /*read_directly=*/false)) {
    return Error::Unavailable("the local copy did not catch up with stream " + stream_name_);
  }
  return {};
}

Result<void> JetStreamStore::EnsureStream() {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, stream_name_.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const std::string subjects = subject_prefix_ + ">";
    const char* subject_list[] = {subjects.c_str()};
    config.Name = stream_name_.c_str();
    config.Subjects = subject_list;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = options_.replicas;
    config.DenyDelete = true;
    config.DenyPurge = true;
    config.Duplicates = kDuplicateWindowNanos;
    config.AllowDirect = true;
    const std::string description = Description();
    config.Description = description.c_str();
    s = js_AddStream(&info, js_, &config, nullptr, &code);
    if (s != NATS_OK) {
      // Another process may have created it at the same moment.
      s = js_GetStreamInfo(&info, js_, stream_name_.c_str(), nullptr, &code);
    }
  }
  if (s != NATS_OK) return Error::Unavailable("cannot create or read stream " + stream_name_ + ": " + NatsText(s));
  const bool file = info->Config->Storage == js_FileStorage;
  const bool deny_delete = info->Config->DenyDelete;
  const std::string description = info->Config->Description ? info->Config->Description : "";
  jsStreamInfo_Destroy(info);
  if (!file || !deny_delete) {
    return Error::InvalidArgument("stream " + stream_name_ + " exists without file storage and DenyDelete");
  }
  // Another count would send firms to other partitions than their history;
  // another format would not be read.
  if (description != Description()) {
    return Error::InvalidArgument("stream " + stream_name_ + " says \"" + description + "\", not \"" +
                                  Description() +
                                  "\": start with the partitions= count the log was made with, or use another "
                                  "log= name for a log of another format");
  }
  return {};
}

Result<std::uint64_t> JetStreamStore::LastSequence() {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, stream_name_.c_str(), nullptr, &code);
  if (s != NATS_OK) return Error::Unavailable("cannot read stream " + stream_name_ + ": " + NatsText(s));
  const std::uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return last;
}

Result<void> JetStreamStore::Subscribe() {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream_name_.c_str();
  so.Ordered = true;
  // Heartbeats every 500 ms: a consumer lost with a killed server is noticed
  // and made again within about a second, not the default 10 s.
  so.Config.Heartbeat = 500'000'000;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = mirror_->CurrentHead().sequence + 1;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string subjects = subject_prefix_ + ">";
  natsStatus s = js_SubscribeSync(&sub_, js_, subjects.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) {
    sub_ = nullptr;
    return Error::Unavailable("cannot follow stream " + stream_name_ + ": " + NatsText(s));
  }
  return {};
}

void JetStreamStore::FollowLoop() {
  pthread_setname_np(pthread_self(), "parley-follow");
  while (!closing_) {
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub_, 100);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      if (closing_) break;
      // A lost connection: the ordered consumer resumes by itself; a
      // subscription that ended is made again from the copy's head.
      if (s == NATS_INVALID_SUBSCRIPTION || s == NATS_CONNECTION_CLOSED) {
        natsSubscription_Destroy(sub_);
        sub_ = nullptr;
        while (!closing_ && !Subscribe().ok()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      continue;
    }
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
      natsMsg_Destroy(msg);
      continue;  // a control message, not a stored one
    }
    const std::uint64_t sequence = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    const bool applied = ApplyToCopy(sequence, natsMsg_GetSubject(msg), DataOf(msg));
    natsMsg_Destroy(msg);
    if (!applied) break;
  }
}

bool JetStreamStore::ApplyToCopy(std::uint64_t sequence, std::string_view subject, std::string_view data) {
  {
    std::lock_guard lock(copy_mu_);
    if (sequence <= mirror_->CurrentHead().sequence) return true;
    auto message = DecodeMessage(data, sequence);
    std::string_view owner;
    if (message.ok() && !OwnerOf(subject, message->stream, owner)) {
      message = Error::Corruption(
          "JetStream message " + std::to_string(sequence) + " on " + std::string(subject) + " is not on its stream's subject",
          0);
    }
    Result<std::optional<AppendResult>> placed =
        message.ok() ? mirror_->Place({sequence, owner, message->stream, message->expected_subject_sequence,
                                       message->events, message->timestamp})
                     : Result<std::optional<AppendResult>>(message.error());
    if (!placed.ok()) {
      Fail("the copy of stream " + stream_name_ + " stopped at message " + std::to_string(sequence) + ": " +
           placed.error().message);
      return false;
    }
    recent_[sequence % kRecentResults] = {sequence, *placed};
  }
  {
    std::lock_guard lock(applied_mu_);
  }
  applied_cv_.notify_all();
  return true;
}

JetStreamStore::Placement JetStreamStore::PlacedBy(std::uint64_t sequence) {
  std::lock_guard lock(copy_mu_);
  const RecentResult& recent = recent_[sequence % kRecentResults];
  if (recent.sequence != sequence) return {};
  return {true, recent.placed};
}

bool JetStreamStore::CatchUp(Clock::time_point deadline) {
  auto last = LastSequence();
  return last.ok() && WaitApplied(*last, deadline);
}

void JetStreamStore::CatchUpDirect(std::uint64_t sequence) {
  // From the head each time: the consumer may be applying too.
  for (std::uint64_t next; (next = mirror_->CurrentHead().sequence + 1) <= sequence && !closing_;) {
    natsMsg* msg = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (js_GetMsg(&msg, js_, stream_name_.c_str(), next, nullptr, &code) != NATS_OK) return;  // the consumer will
    const bool applied = ApplyToCopy(next, natsMsg_GetSubject(msg), DataOf(msg));
    natsMsg_Destroy(msg);
    if (!applied) return;
  }
}

void JetStreamStore::Fail(const std::string& why) {
  {
    std::lock_guard lock(applied_mu_);
    if (failure_.empty()) failure_ = why;
  }
  std::fprintf(stderr, "parley: %s\n", why.c_str());
  applied_cv_.notify_all();
}

bool JetStreamStore::WaitApplied(std::uint64_t sequence, Clock::time_point deadline, bool read_directly) {
  // The consumer normally delivers within milliseconds; once it was found
  // behind, the next waits read directly at once, for a second.
  constexpr auto kConsumerGrace = std::chrono::milliseconds(100);
  const auto done = [&] { return mirror_->CurrentHead().sequence >= sequence || closing_ || !failure_.empty(); };
  const auto now = Clock::now();
  const auto grace = now.time_since_epoch().count() < consumer_behind_until_.load() ? Clock::duration::zero()
                                                                                    : Clock::duration(kConsumerGrace);
  {
    std::unique_lock lock(applied_mu_);
    if (applied_cv_.wait_until(lock, read_directly ? std::min(deadline, now + grace) : deadline, done)) {
      return mirror_->CurrentHead().sequence >= sequence;
    }
    if (!read_directly) return false;
  }
  consumer_behind_until_ = (Clock::now() + std::chrono::seconds(1)).time_since_epoch().count();
  CatchUpDirect(sequence);
  std::unique_lock lock(applied_mu_);
  return applied_cv_.wait_until(lock, deadline, done) && mirror_->CurrentHead().sequence >= sequence;
}

JetStreamStore::Published JetStreamStore::Publish(const std::string& subject, const std::string& msg_id,
                                                  const std::string& payload,
                                                  Condition condition) {
  natsMsg* msg = nullptr;
  natsStatus s =
      natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
  if (s != NATS_OK) return {Outcome::kRefused, 0, NatsText(s)};
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.empty() ? nullptr : msg_id.c_str();
  if (condition.conditional) {
    // libnats reads ExpectLastSubjectSeq 0 as "no condition": no message
    // yet on the subject is ExpectNoMessage.
    po.ExpectLastSubjectSeq = condition.subject_sequence;
    po.ExpectNoMessage = condition.subject_sequence == 0;
  }
  po.MaxWait = options_.publish_timeout.count();
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, js_, msg, &po, &code);
  natsMsg_Destroy(msg);
  if (s == NATS_OK) {
    Published p{ack->Duplicate ? Outcome::kDuplicate : Outcome::kStored, ack->Sequence, ""};
    jsPubAck_Destroy(ack);
    return p;
  }
  if (code == JSStreamWrongLastSequenceErr) return {Outcome::kWrongLastSequence, 0, NatsText(s)};
  if (s == NATS_MAX_PAYLOAD) return {Outcome::kRefused, 0, "larger than the NATS servers' max_payload"};
  // A timeout, no responders, a lost connection, no quorum: the message
  // may or may not be stored.
  return {Outcome::kUnknown, 0, NatsText(s)};
}

Result<std::optional<AppendResult>> JetStreamStore::FindRetry(std::string_view stream,
                                                              std::span<const EventData> events) {
  return eventstore::FindRetry(stream, events, [&](const std::string& id) -> Result<std::optional<StoredAt>> {
    auto stored = mirror_->FindEvent(id);
    if (!stored.ok()) return stored.error();
    if (!stored->has_value()) return std::optional<StoredAt>();
    return std::optional<StoredAt>(StoredAt::Of(**stored));
  });
}

Result<AppendResult> JetStreamStore::AppendForFirm(std::string_view firm, std::string_view stream,
                                                   ExpectedVersion expected, std::span<const EventData> events) {
  if (auto valid = ValidateAppend(stream, events); !valid.ok()) return valid.error();
  {
    std::lock_guard lock(applied_mu_);
    if (closing_) return Error::Unavailable("the event log is closed");
    ++appends_running_;
  }
  Result<AppendResult> result = Send(firm, stream, expected, events);
  {
    // Notified under the lock: once Close sees none running, it may destroy
    // the condition variable.
    std::lock_guard lock(applied_mu_);
    --appends_running_;
    applied_cv_.notify_all();
  }
  return result;
}

Result<AppendResult> JetStreamStore::Send(std::string_view firm, std::string_view stream, ExpectedVersion expected,
                                          std::span<const EventData> events) {
  const std::string owner = firm.empty() ? std::string(kNoFirm) : SubjectToken(firm);
  const std::string subject = subject_prefix_ + owner + "." + SubjectToken(stream);
  const std::string drafts = EncodeDrafts(stream, events, options_.clock->Now());
  if (kMessageHeaderBytes + drafts.size() > max_payload_) {
    return Error::TooLarge("this append is larger than the NATS servers' max_payload");
  }
  // The command's id: a resend, or a client's retry within JetStream's
  // duplicate window, is dropped as a duplicate.
  const std::string command_id = SubjectToken(events.front().id);
  const bool conditional = expected.kind() != ExpectedVersion::Kind::kAny;
  const auto deadline = Clock::now() + options_.give_up_after;
  bool sent = false;        // a send of ours may be stored
  bool caught_up = false;   // a version that did not match was checked against the whole log
  int renamed = 0;          // times the message id was changed past a stuck "in flight"
  std::optional<Published> last;  // the last answer, for the log when giving up
  Clock::time_point in_flight_since{};  // of the id now "in flight"; zero: none
  for (;;) {
    {
      std::lock_guard applied(applied_mu_);
      if (!failure_.empty()) return Error::Unavailable(failure_);
    }
    if (closing_) return Error::Unavailable("the event log is closed");
    if (Clock::now() >= deadline) {
      std::fprintf(stderr, "parley: an append to %s on %s gave up after %lld ms; last answer: %s\n",
                   std::string(stream).c_str(), stream_name_.c_str(),
                   static_cast<long long>(options_.give_up_after.count()),
                   last ? Describe(*last).c_str() : "none");
      return Error::Unavailable(
          "the JetStream cluster did not acknowledge the append in time; it may still be stored: retry with the "
          "same ids");
    }
    // Decide on the copy, as the RocksDB writer decides on its log.
    auto retry = FindRetry(stream, events);
    if (!retry.ok()) return retry.error();
    if (retry->has_value()) {
      AppendResult result = **retry;
      if (sent) result.deduplicated = false;  // our own send, whose answer was lost
      return result;
    }
    auto state = mirror_->CurrentStreamState(stream);
    if (!state.ok()) return state.error();
    if (!state->OwnedBy(owner)) {
      // Every copy would leave it out (RocksDbMirror::Place).
      return Error::InvalidArgument("stream " + std::string(stream) + " belongs to another firm");
    }
    if (!expected.Matches(state->version)) {
      // The copy may lag the log (another process wrote): decide on the
      // whole log before calling it a conflict.
      if (!caught_up) {
        caught_up = CatchUp(deadline);
        if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      return Error::Conflict("stream " + std::string(stream) + " is at version " + std::to_string(state->version) +
                                 ", expected " + expected.ToString(),
                             state->version);
    }
    // A conditional send names the subject sequence it expects as well:
    // nats-server 2.10 can keep the id of a publish that failed its
    // condition "in flight" for the whole duplicate window, so the same
    // command sent again on a newer state needs another id.
    std::string msg_id = conditional ? command_id + "." + std::to_string(state->subject_sequence) : command_id;
    if (renamed > 0) msg_id += "~" + std::to_string(renamed);
    const Condition condition{conditional, conditional ? state->subject_sequence : 0};
    Published p = Publish(subject, msg_id, EncodeMessage(condition, drafts), condition);
    last = p;
    switch (p.outcome) {
      case Outcome::kStored:
      case Outcome::kDuplicate:
        if (p.sequence != 0) {
          if (p.outcome == Outcome::kStored) {
            stat_appends_++;
            stat_events_ += events.size();
          }
          if (!WaitApplied(p.sequence, deadline + std::chrono::seconds(5))) {
            return Error::Unavailable("appended, but the local copy did not catch up; retry with the same ids");
          }
          // Placed by this message: ours, unless a duplicate of a send
          // from an earlier call. Placed nothing: its ids were stored
          // before it, and deciding again finds them as a retry. No longer
          // known (thousands of messages since): deciding again finds them.
          const Placement placement = PlacedBy(p.sequence);
          if (placement.result && (p.outcome == Outcome::kStored || sent)) return *placement.result;
          if (!placement.known && p.outcome == Outcome::kStored) sent = true;
          if (placement.known && !placement.result) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          break;
        }
        // A duplicate with sequence 0: an earlier send is in flight, ours
        // (`sent` is already set) or another caller's with the same ids. Seen
        // for a whole minute in the kill test: a proposal lost in a change
        // of leader leaves its id "in flight" on the new one until the
        // duplicate window ends. After a second, send under another id. If
        // both sends are stored, a conditional one fails its condition, and
        // the copy places an unconditional one's events once (by their ids).
        if (in_flight_since == Clock::time_point{}) in_flight_since = Clock::now();
        if (Clock::now() - in_flight_since > std::chrono::seconds(1)) {
          ++renamed;
          in_flight_since = {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        break;
      case Outcome::kWrongLastSequence:
        // Someone wrote the stream since the copy's state: decide again on
        // the log as it is now (a conflict, or our own earlier send).
        if (!CatchUp(deadline)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        caught_up = true;
        break;
      case Outcome::kUnknown:
        // A timeout, no quorum, a lost connection: the message may be
        // stored. Sending the same message again finds out (stored, a
        // duplicate, or a wrong last sequence). No stream info first: it
        // needs the stream's leader too, and while a new one is elected
        // that request waits out a timeout of its own.
        sent = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        break;
      case Outcome::kRefused:
        return Error::TooLarge(p.why);
    }
  }
}

void JetStreamStore::Close() {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(applied_mu_);
    closing_ = true;
  }
  applied_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  {
    std::unique_lock lock(applied_mu_);  // appends see closing_ and return
    applied_cv_.wait(lock, [&] { return appends_running_ == 0; });
  }
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
  sub_ = nullptr;
  if (js_ != nullptr) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
  nc_ = nullptr;
  if (mirror_) mirror_->Close();
}

// A key in a key-value bucket whose values live `ttl` (the bucket's max
// age): the holder rewrites it every ttl/4, conditional on its last
// revision; others create it only once it is gone (expired, or deleted by
// a holder that stopped). Held() ends ttl/2 after the start of the last
// renewal that succeeded, so a holder cut off from the cluster stops
// well before the value expires and someone else can take it.
class JetStreamLease final : public Lease {
 public:
  JetStreamLease(std::string bucket, std::string key, std::chrono::milliseconds ttl)
      : bucket_(std::move(bucket)), key_(std::move(key)), ttl_(ttl) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    owner_ = std::string(host) + ":" + std::to_string(getpid());
  }
  ~JetStreamLease() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Let another take over at once rather than after the ttl.
    if (kv_ != nullptr && Held()) kvStore_Delete(kv_, key_.c_str());
    if (kv_ != nullptr) kvStore_Destroy(kv_);
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (nc_ != nullptr) natsConnection_Destroy(nc_);
  }

  Result<void> Open(const JetStreamStoreOptions& options) {
    if (auto connected = ConnectJetStream(options, std::chrono::milliseconds(2000), &nc_, &js_); !connected.ok()) {
      return connected;
    }
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = bucket_.c_str();
    config.History = 1;
    config.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl_).count();
    config.StorageType = js_FileStorage;
    config.Replicas = options.replicas;
    auto opened = RetryWhileUnavailable([&]() -> Result<void> {
      natsStatus s = js_CreateKeyValue(&kv_, js_, &config);
      if (s != NATS_OK) s = js_KeyValue(&kv_, js_, bucket_.c_str());  // made by another, maybe otherwise
      if (s != NATS_OK) return Error::Unavailable("cannot open bucket " + bucket_ + ": " + NatsText(s));
      return {};
    });
    if (!opened.ok()) return opened;
    thread_ = std::thread([this] { Run(); });
    return {};
  }

  bool Held() const override { return Clock::now().time_since_epoch().count() < held_until_.load(); }

 private:
  void Run() {
    pthread_setname_np(pthread_self(), "parley-lease");
    for (;;) {
      const auto started = Clock::now();
      std::uint64_t revision = 0;
      const natsStatus s =
          revision_ == 0
              ? kvStore_Create(&revision, kv_, key_.c_str(), owner_.data(), static_cast<int>(owner_.size()))
              : kvStore_Update(&revision, kv_, key_.c_str(), owner_.data(), static_cast<int>(owner_.size()),
                               revision_);
      if (s == NATS_OK) {
        revision_ = revision;
        held_until_ = (started + ttl_ / 2).time_since_epoch().count();
      } else if (revision_ != 0 && !Held()) {
        revision_ = 0;  // lost: try to create it again, once it is gone
      }
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, ttl_ / 4, [&] { return stopping_; })) return;
    }
  }

  const std::string bucket_, key_;
  const std::chrono::milliseconds ttl_;
  std::string owner_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* kv_ = nullptr;
  std::uint64_t revision_ = 0;  // of our last write; 0: not holding (Run's thread only)
  std::atomic<Clock::rep> held_until_{0};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
};

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string SubjectToken(std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(id.size());
  for (unsigned char c : id) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

Result<void> ParseJetStreamUrl(std::string_view url, JetStreamStoreOptions& options) {
  constexpr std::string_view kScheme = "nats://";
  if (url.substr(0, kScheme.size()) != kScheme) return Error::InvalidArgument("a NATS store URL starts with nats://");
  url.remove_prefix(kScheme.size());
  const std::size_t question = url.find('?');
  std::string_view hosts = url.substr(0, question);
  options.servers.clear();
  for (const std::string& host : SplitList(hosts)) options.servers.push_back(std::string(kScheme) + host);
  if (options.servers.empty()) return Error::InvalidArgument("the NATS store URL names no server");
  if (question == std::string_view::npos) return {};
  std::string_view query = url.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    // A whole number from 1 to `max`, or nullopt.
    const auto count = [&](std::size_t max) -> std::optional<std::size_t> {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > max) return std::nullopt;
      return n;
    };
    if (key == "replicas") {
      const auto replicas = count(5);
      if (!replicas) return Error::InvalidArgument("replicas must be 1 to 5");
      options.replicas = static_cast<int>(*replicas);
    } else if (key == "monitor") {
      options.monitors = SplitList(value);
    } else if (key == "partitions") {
      const auto partitions = count(kMaxPartitions);
      if (!partitions) return Error::InvalidArgument("partitions must be 1 to " + std::to_string(kMaxPartitions));
      options.partitions = *partitions;
    } else if (key == "log") {
      if (value.empty() || SubjectToken(value) != value) {
        return Error::InvalidArgument("a log name holds only letters, digits, _ and -");
      }
      options.log_name = std::string(value);
    } else {
      return Error::InvalidArgument("unknown NATS store option " + std::string(key));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string PartitionName(const std::string& log_name, std::size_t index) {
  std::string name = log_name.empty() ? "P" : log_name + "_P";
  if (index < 10) name.push_back('0');
  return name + std::to_string(index);
}

namespace {

// OpenJetStreamStore once the servers are checked.
Result<std::unique_ptr<EventStore>> OpenPartition(const JetStreamStoreOptions& options) {
  if (options.partitions < 1 || options.partition_index >= options.partitions) {
    return Error::InvalidArgument("partition " + std::to_string(options.partition_index) + " is not in a log of " +
                                  std::to_string(options.partitions));
  }
  auto store = std::make_unique<JetStreamStore>(options);
  if (auto opened = store->Open(); !opened.ok()) return opened.error();
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<EventStore>> OpenJetStreamStore(const JetStreamStoreOptions& options) {
  if (auto checked = CheckServers(options); !checked.ok()) return checked.error();
  return OpenPartition(options);
}

Result<std::unique_ptr<Lease>> OpenJetStreamLease(const JetStreamStoreOptions& options, const std::string& name,
                                                  std::chrono::milliseconds ttl) {
  if (name.empty() || SubjectToken(name) != name) {
    return Error::InvalidArgument("a lease name holds only letters, digits, _ and -");
  }
  auto lease = std::make_unique<JetStreamLease>(
      options.log_name.empty() ? "PARLEY_LEASES" : "PARLEY_LEASES_" + options.log_name, name, ttl);
  if (auto opened = lease->Open(options); !opened.ok()) return opened.error();
  return std::unique_ptr<Lease>(std::move(lease));
}

Result<std::vector<std::unique_ptr<EventStore>>> OpenJetStreamLog(const JetStreamStoreOptions& options) {
  if (auto checked = CheckServers(options); !checked.ok()) return checked.error();
  std::vector<std::unique_ptr<EventStore>> partitions;
  for (std::size_t index = 0; index < options.partitions; ++index) {
    JetStreamStoreOptions one = options;
    one.partition_index = index;
    one.partition = PartitionName(options.log_name, index);
    one.mirror_path = options.mirror_path + "/" + one.partition;
    auto store = OpenPartition(one);
    if (!store.ok()) return store.error();
    partitions.push_back(std::move(*store));
  }
  return partitions;
}

}  // namespace parley::eventstore
