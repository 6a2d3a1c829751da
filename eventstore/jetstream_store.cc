// The NATS JetStream backend of the event store (see JETSTREAM.md).
//
// Writes, by group commit: the appends waiting at one moment go out as one
// JetStream message holding their envelopes (never one append split over
// two), already numbered with their global positions and linked by their
// hashes. The message is published with Nats-Expected-Last-Sequence = the
// last message this process has applied, so JetStream accepts it only if
// nothing was written since: the version checks, positions and hash chain
// computed from the local copy are then exactly right. Nats-Msg-Id (the
// first event id and that sequence) lets JetStream drop a message sent
// again after a lost acknowledgement. Reads: an ordered consumer feeds
// every message into a local RocksDB copy (RocksDbMirror), which serves all
// reads; an append returns once the copy holds it, so a caller reads its
// own writes.
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
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "eventstore/envelope.h"
#include "eventstore/rocksdb_store.h"

namespace parley::eventstore {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kMessageMagic = "PJS1";  // then (u32 length, envelope)...
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

std::string EncodeMessage(const std::vector<std::string>& envelopes) {
  std::string out(kMessageMagic);
  for (const std::string& e : envelopes) {
    PutU32(out, static_cast<std::uint32_t>(e.size()));
    out += e;
  }
  return out;
}

// The envelopes of a message, each copied into its own (aligned) string.
Result<std::vector<std::string>> DecodeMessage(std::string_view data, std::uint64_t sequence) {
  std::vector<std::string> envelopes;
  if (data.empty()) return envelopes;  // the partition's first, empty message
  auto bad = [&] {
    return Error::Corruption("JetStream message " + std::to_string(sequence) + " is not a Parley message", 0);
  };
  if (data.substr(0, kMessageMagic.size()) != kMessageMagic) return bad();
  data.remove_prefix(kMessageMagic.size());
  while (!data.empty()) {
    if (data.size() < 4) return bad();
    std::uint32_t size = 0;
    for (int i = 3; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(data[i]);
    data.remove_prefix(4);
    if (size > data.size()) return bad();
    envelopes.emplace_back(data.substr(0, size));
    data.remove_prefix(size);
  }
  return envelopes;
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
        subject_prefix_("ev." + options.partition + "."),
        first_subject_(subject_prefix_ + "genesis") {}
  ~JetStreamStore() override { Close(); }

  Result<void> Open();

  Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
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
    return {stat_messages_.load(), stat_messages_.load(), stat_appends_.load(), stat_events_.load(), 0};
  }
  void Close() override;

 private:
  // One caller's append, waiting; its views point into the caller's frame,
  // which waits until `done`.
  struct PendingAppend {
    std::string_view stream;
    ExpectedVersion expected;
    std::span<const EventData> events;
    bool taken = false;  // in a group being committed
    bool done = false;   // `result` is final
    Result<AppendResult> result = Error::Internal("not committed");
  };
  static constexpr std::size_t kMaxGroupEvents = 4096;

  enum class Outcome { kStored, kDuplicate, kWrongLastSequence, kUnknown, kRefused };
  struct Published {
    Outcome outcome;
    std::uint64_t sequence = 0;
    std::string why;
  };

  Result<void> EnsureStream();
  // What the stream's description records: its place in the log.
  std::string Description() const {
    return "Parley event log, partition " + std::to_string(options_.partition_index) + " of " +
           std::to_string(options_.partitions);
  }
  Result<std::uint64_t> LastSequence();
  Result<void> Subscribe();
  void FollowLoop();
  Published Publish(const std::string& subject, const std::string& msg_id, const std::string& payload,
                    std::uint64_t expect_last_sequence, bool expect_no_message);
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
  bool ApplyToCopy(std::uint64_t sequence, std::string_view data);
  // The first append's result if every event of this one is stored already.
  Result<std::optional<AppendResult>> FindRetry(std::string_view stream, std::span<const EventData> events);
  void Fail(const std::string& why);
  // Takes waiting appends off the queue, in order, up to a message's budget
  // (at least one); queue_mu_ held.
  std::vector<PendingAppend*> TakeGroup();
  // Sends the group as one message and settles every append's result.
  void CommitGroup(const std::vector<PendingAppend*>& group);

  const JetStreamStoreOptions options_;
  const std::string stream_name_;
  const std::string subject_prefix_;
  const std::string first_subject_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* sub_ = nullptr;  // owned by the follower once it runs
  std::unique_ptr<RocksDbMirror> mirror_;
  std::thread follower_;
  std::atomic<bool> closing_{false};
  bool closed_ = false;

  // Group commit: appends wait in queue_; one caller at a time (the
  // committer) sends all that wait as one message, each building on the
  // last, and wakes them.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingAppend*> queue_;  // guarded by queue_mu_
  bool committing_ = false;           // guarded by queue_mu_
  std::size_t max_payload_ = 0;       // the servers' max_payload, read at Open

  std::mutex copy_mu_;  // one ApplyToCopy at a time
  std::atomic<Clock::rep> consumer_behind_until_{0};  // WaitApplied reads directly until then
  std::mutex applied_mu_;
  std::condition_variable applied_cv_;
  std::string failure_;  // guarded by applied_mu_; set: the copy stopped

  std::atomic<std::uint64_t> stat_messages_{0}, stat_appends_{0}, stat_events_{0};
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
  const std::uint64_t last = info->State.LastSeq;
  const std::string description = info->Config->Description ? info->Config->Description : "";
  jsStreamInfo_Destroy(info);
  if (!file || !deny_delete) {
    return Error::InvalidArgument("stream " + stream_name_ + " exists without file storage and DenyDelete");
  }
  // Another count would send firms to other partitions than their history.
  if (description != Description() && !(description.empty() && options_.partitions == 1)) {
    return Error::InvalidArgument("stream " + stream_name_ + " says \"" + description + "\", not \"" +
                                  Description() + "\": start with the partitions= count the log was made with");
  }
  if (last == 0) {
    // An empty first message: from then on every append expects a last
    // sequence, which JetStream cannot express for an empty stream.
    // ExpectNoMessage alone makes it idempotent (a second one is refused),
    // so it carries no message id that a failed attempt could leave stuck.
    Published first = Publish(first_subject_, "", "", 0, true);
    if (first.outcome == Outcome::kUnknown || first.outcome == Outcome::kRefused) {
      return Error::Unavailable("cannot write the first message of " + stream_name_ + ": " + first.why);
    }
    // Appends expect a last sequence of 1 or more: 0 would expect nothing.
    auto now_last = LastSequence();
    if (!now_last.ok()) return now_last.error();
    if (*now_last == 0) return Error::Unavailable("the first message of " + stream_name_ + " is not stored yet");
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
    const bool applied = ApplyToCopy(sequence, DataOf(msg));
    natsMsg_Destroy(msg);
    if (!applied) break;
  }
}

bool JetStreamStore::ApplyToCopy(std::uint64_t sequence, std::string_view data) {
  {
    std::lock_guard lock(copy_mu_);
    if (sequence <= mirror_->CurrentHead().sequence) return true;
    auto envelopes = DecodeMessage(data, sequence);
    Result<void> applied = envelopes.ok() ? mirror_->Apply(sequence, *envelopes) : Result<void>(envelopes.error());
    if (!applied.ok()) {
      Fail("the copy of stream " + stream_name_ + " stopped at message " + std::to_string(sequence) + ": " +
           applied.error().message);
      return false;
    }
  }
  {
    std::lock_guard lock(applied_mu_);
  }
  applied_cv_.notify_all();
  return true;
}

void JetStreamStore::CatchUpDirect(std::uint64_t sequence) {
  // From the head each time: the consumer may be applying too.
  for (std::uint64_t next; (next = mirror_->CurrentHead().sequence + 1) <= sequence && !closing_;) {
    natsMsg* msg = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (js_GetMsg(&msg, js_, stream_name_.c_str(), next, nullptr, &code) != NATS_OK) return;  // the consumer will
    const bool applied = ApplyToCopy(next, DataOf(msg));
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
                                                  const std::string& payload, std::uint64_t expect_last_sequence,
                                                  bool expect_no_message) {
  natsMsg* msg = nullptr;
  natsStatus s =
      natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
  if (s != NATS_OK) return {Outcome::kRefused, 0, NatsText(s)};
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.empty() ? nullptr : msg_id.c_str();
  po.ExpectLastSeq = expect_last_sequence;
  po.ExpectNoMessage = expect_no_message;
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
  std::size_t found = 0;
  std::optional<AppendResult> last;
  for (const EventData& event : events) {
    auto stored = mirror_->FindEvent(event.id);
    if (!stored.ok()) return stored.error();
    if (!stored->has_value()) continue;
    const RecordedEvent& e = **stored;
    if (e.stream() != stream) {
      return Error::InvalidArgument("event id " + event.id + " is already used in another stream");
    }
    if (last && e.position() != last->position + 1) {
      return Error::InvalidArgument("event id " + event.id + " was stored by a different append");
    }
    ++found;
    last = AppendResult{e.stream_version(), e.position(), true};
  }
  if (found == 0) return std::optional<AppendResult>();
  if (found != events.size()) {
    return Error::InvalidArgument("some of these event ids are already stored and some are not");
  }
  return last;
}

Result<AppendResult> JetStreamStore::Append(std::string_view stream, ExpectedVersion expected,
                                            std::span<const EventData> events) {
  if (auto valid = ValidateAppend(stream, events); !valid.ok()) return valid.error();
  PendingAppend pending{stream, expected, events};
  const auto deadline = Clock::now() + options_.give_up_after;
  std::unique_lock lock(queue_mu_);
  if (closing_) return Error::Unavailable("the event log is closed");
  queue_.push_back(&pending);
  for (;;) {
    if (pending.done) return std::move(pending.result);
    if (!committing_) {
      // Nobody is sending: this caller sends every waiting append (its own
      // among them) as one message, then wakes their callers.
      committing_ = true;
      std::vector<PendingAppend*> group = TakeGroup();
      lock.unlock();
      CommitGroup(group);
      lock.lock();
      for (PendingAppend* p : group) p->done = true;
      committing_ = false;
      queue_cv_.notify_all();
      continue;
    }
    if (!pending.taken && Clock::now() >= deadline) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), &pending));
      return Error::Unavailable("the JetStream cluster has not acknowledged earlier appends; retry with the same ids");
    }
    // Once taken, the sender settles it by its own deadline.
    if (pending.taken) {
      queue_cv_.wait(lock);
    } else {
      queue_cv_.wait_until(lock, deadline);
    }
  }
}

std::vector<JetStreamStore::PendingAppend*> JetStreamStore::TakeGroup() {
  // Half the servers' max_payload leaves room for the envelopes' own fields.
  const std::size_t budget = max_payload_ / 2;
  std::vector<PendingAppend*> group;
  std::size_t bytes = 0, count = 0;
  while (!queue_.empty()) {
    PendingAppend* p = queue_.front();
    std::size_t size = 0;
    for (const EventData& e : p->events) size += EventSize(e);
    if (!group.empty() && (bytes + size > budget || count + p->events.size() > kMaxGroupEvents)) break;
    queue_.pop_front();
    p->taken = true;
    group.push_back(p);
    bytes += size;
    count += p->events.size();
  }
  return group;
}

void JetStreamStore::CommitGroup(const std::vector<PendingAppend*>& group) {
  const auto deadline = Clock::now() + options_.give_up_after;
  // The last position each append had in a message that may be stored: found
  // there later, it is this append's own write, not a retry's.
  std::vector<std::uint64_t> sent_position(group.size(), 0);
  std::vector<bool> settled(group.size(), false);
  auto settle = [&](std::size_t i, Result<AppendResult> result) {
    group[i]->result = std::move(result);
    settled[i] = true;
  };
  auto settle_rest = [&](const Error& error) {
    for (std::size_t i = 0; i < group.size(); ++i)
      if (!settled[i]) settle(i, error);
  };
  for (;;) {
    {
      std::lock_guard applied(applied_mu_);
      if (!failure_.empty()) return settle_rest(Error::Unavailable(failure_));
    }
    if (closing_) return settle_rest(Error::Unavailable("the event log is closed"));
    if (Clock::now() >= deadline) {
      return settle_rest(Error::Unavailable(
          "the JetStream cluster did not acknowledge the append in time; it may still be stored: retry with the "
          "same ids"));
    }

    // Decide each append on the copy's head, as the RocksDB writer decides
    // a group on its own: retries, version checks, then the envelopes.
    const RocksDbMirror::Head head = mirror_->CurrentHead();
    // Open waits for the first message; an expected last sequence of 0
    // would make the publish unconditional.
    if (head.sequence == 0) return settle_rest(Error::Unavailable("the log's first message is not applied yet"));
    std::vector<std::size_t> members;                          // appends in this message
    std::vector<std::optional<std::size_t>> same_as(group.size());  // a concurrent retry of a member
    std::vector<AppendResult> planned(group.size());
    std::unordered_map<std::string_view, std::uint64_t> versions;  // after this message's earlier appends
    std::unordered_map<std::string_view, std::size_t> owner;       // event id -> member
    std::vector<std::string> envelopes;
    Sha256Digest hash = head.hash;
    const Micros now = std::max(options_.clock->Now(), head.timestamp);
    std::uint64_t position = head.position;
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (settled[i]) continue;
      const PendingAppend& p = *group[i];
      auto retry = FindRetry(p.stream, p.events);
      if (!retry.ok()) {
        settle(i, retry.error());
        continue;
      }
      if (retry->has_value()) {
        AppendResult result = **retry;
        if (result.position == sent_position[i]) result.deduplicated = false;
        settle(i, result);
        continue;
      }
      // Ids already in this message: the whole append again (a concurrent
      // retry, answered with the first one's result) or a refusal.
      std::size_t known = 0;
      std::optional<std::size_t> earlier;
      bool one_owner = true;
      for (const EventData& e : p.events) {
        auto o = owner.find(e.id);
        if (o == owner.end()) continue;
        ++known;
        one_owner = one_owner && (!earlier || *earlier == o->second);
        earlier = o->second;
      }
      if (known > 0) {
        const PendingAppend& other = *group[*earlier];
        if (known == p.events.size() && one_owner && other.stream == p.stream &&
            other.events.size() == p.events.size()) {
          same_as[i] = *earlier;
        } else {
          settle(i, Error::InvalidArgument("some of these event ids are already stored and some are not"));
        }
        continue;
      }
      std::uint64_t version;
      if (auto known = versions.find(p.stream); known != versions.end()) {
        version = known->second;
      } else {
        auto stored = mirror_->StreamVersion(p.stream);
        if (!stored.ok()) {
          settle(i, stored.error());
          continue;
        }
        version = *stored;
      }
      if (!p.expected.Matches(version)) {
        settle(i, Error::Conflict("stream " + std::string(p.stream) + " is at version " + std::to_string(version) +
                                      ", expected " + p.expected.ToString(),
                                  version));
        continue;
      }
      for (const EventData& event : p.events) {
        envelopes.push_back(EncodeEnvelope(event, {p.stream, ++version, ++position, now, &hash}));
        hash = Sha256(envelopes.back());
        owner[event.id] = i;
      }
      versions[p.stream] = version;
      planned[i] = AppendResult{version, position, false};
      members.push_back(i);
    }
    if (members.empty()) return;  // every append settled without a write

    const std::string payload = EncodeMessage(envelopes);
    if (payload.size() > max_payload_) {
      // Only a lone append can outgrow the budget TakeGroup keeps to.
      for (std::size_t m : members) settle(m, Error::TooLarge("this append is larger than the NATS servers' max_payload"));
      continue;
    }
    const PendingAppend& first = *group[members.front()];
    const std::string subject = subject_prefix_ + "e." + SubjectToken(first.stream);
    // The message id names the message's first append and the head it was
    // built on: a resend after a lost acknowledgement is dropped as a
    // duplicate, while a message rebuilt on a newer head gets a new id.
    // nats-server 2.10 keeps the id of a proposal that failed its sequence
    // check "in flight" for the whole duplicate window, so one id per head
    // keeps appends moving.
    const std::string msg_id = SubjectToken(first.events.front().id) + "." + std::to_string(head.sequence);

    // Send the same message until its outcome is known.
    for (bool rebuild = false; !rebuild;) {
      if (Clock::now() >= deadline || closing_) break;  // settled above, on the next turn
      Published p = Publish(subject, msg_id, payload, head.sequence, false);
      switch (p.outcome) {
        case Outcome::kStored: {
          stat_messages_++;
          stat_appends_ += members.size();
          stat_events_ += envelopes.size();
          const bool applied = WaitApplied(p.sequence, deadline + std::chrono::seconds(5));
          for (std::size_t i = 0; i < group.size(); ++i) {
            if (settled[i]) continue;
            if (!applied) {
              settle(i, Error::Unavailable("appended, but the local copy did not catch up; retry with the same ids"));
            } else if (same_as[i]) {
              AppendResult result = planned[*same_as[i]];
              result.deduplicated = true;
              settle(i, result);
            } else {
              settle(i, planned[i]);
            }
          }
          return;
        }
        case Outcome::kUnknown:
          // A timeout, no quorum, a lost connection: the message may be
          // stored. Sending the same message again finds out: stored, a
          // duplicate, or a wrong last sequence. No stream info first: it
          // needs the stream's leader too, and while a new one is elected
          // that request waited out a timeout of its own, up to a second
          // added to every pause.
          for (std::size_t m : members) sent_position[m] = planned[m].position;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          break;
        case Outcome::kDuplicate:
          for (std::size_t m : members) sent_position[m] = planned[m].position;
          if (p.sequence != 0) {  // stored by an earlier send: found as a retry on the next turn
            if (!WaitApplied(p.sequence, deadline)) break;
            rebuild = true;
            break;
          }
          [[fallthrough]];  // sequence 0: an earlier send is still in flight
        case Outcome::kWrongLastSequence: {
          // Once the log has moved past our head, catch up and decide again,
          // which finds our events if they are there; until then send the
          // same message again.
          auto last = LastSequence();
          if (last.ok() && *last > head.sequence) {
            WaitApplied(*last, deadline);
            rebuild = true;
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          break;
        }
        case Outcome::kRefused:
          for (std::size_t m : members) settle(m, Error::TooLarge(p.why));
          rebuild = true;
          break;
      }
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
    std::unique_lock lock(queue_mu_);  // let a running commit finish
    queue_cv_.wait(lock, [&] { return !committing_; });
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
