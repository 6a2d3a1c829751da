// parley-bench: Parley's benchmarks, each beside the raw RocksDB baseline it
// is judged against, measured in the same run (these machines are shared
// and noisy, so only ratios within one run mean much).
//
//   BM_Append/appenders:N          durable one-event appends from N threads
//   BM_AppendAsync/appenders:N     the same with N appends always in flight
//                                  (AppendAsync: each one's completion sends
//                                  that appender's next), no thread each
//   BM_JetStreamAppend/appenders:N/partitions:P
//                                  the same on the JetStream backend, over a
//                                  log of P partitions (each thread a firm),
//                                  only when $PARLEY_BENCH_NATS names a
//                                  cluster (bench/jetstream_append.sh starts one)
//   BM_JetStreamWriters/appenders:N/writers:W
//                                  N threads, each appending conditionally to
//                                  its own stream, through W stores on one
//                                  partition, as W parleyd would (with
//                                  $PARLEY_BENCH_NATS)
//   BM_RawJetStreamPublishPerSubject/appenders:N
//                                  raw libnats: one message per append on its
//                                  own subject, conditional on that subject's
//                                  last sequence (with $PARLEY_BENCH_NATS)
//   BM_RawRocksSyncBatch/batch:N   raw synced WriteBatches of N values
//   BM_RawFileGroupCommit/appenders:N
//   BM_RawRocksGroupCommit/appenders:N
//                                  N threads each waiting for the sync of its
//                                  own value, through the store's two-stage
//                                  committer without its logic, on a plain
//                                  file or as the store's three RocksDB
//                                  entries: the floor under BM_Append
//   BM_RawRocksConcurrentSyncPut/writers:N
//                                  N threads each doing a synced Put: RocksDB's
//                                  own write grouping, the alternative to ours
//   BM_ReplayAll                   full-log ForEach, verifying and decoding
//   BM_RawRocksIterate             raw iteration over as many values
//   BM_DueReminders, BM_ScanAllPending   the mailer's tick (outbox_bench.cc)
//
// Every figure is items_per_second (events or values per second). Data goes
// under $PARLEY_BENCH_DIR (default: the system's temporary directory).
#include <benchmark/benchmark.h>
#include <nats/nats.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "eventstore/event_store.h"
#include "eventstore/group_waker.h"
#include "eventstore/jetstream_store.h"
#include "eventstore/keys.h"
#include "eventstore/partitioned_log.h"
#include "eventstore/rocksdb_store.h"

namespace parley::bench {
namespace {

using namespace parley::eventstore;

constexpr std::size_t kValueBytes = 300;
constexpr std::size_t kReplayEvents = 200'000;

std::filesystem::path FreshDir(const std::string& name) {
  const char* base = std::getenv("PARLEY_BENCH_DIR");
  auto dir = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
             ("parley-bench-" + name + "-" + std::to_string(std::random_device{}()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::unique_ptr<EventStore> OpenStore(const std::filesystem::path& dir) {
  RocksDbStoreOptions options;
  options.path = dir.string();
  auto store = OpenRocksDbStore(options);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(*store);
}

// Built with append, not operator+: GCC 12 warns falsely (-Wrestrict) on
// "literal" + std::to_string(n).
std::string Id(const char* prefix, std::uint64_t n) {
  std::string id(prefix);
  id.append(std::to_string(n));
  return id;
}

// Runs body(0) ... body(n - 1) on n threads and waits for them all.
void RunOnThreads(int n, const std::function<void(int)>& body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back(body, t);
  for (auto& th : threads) th.join();
}

EventData OneEvent(const std::string& id) {
  EventData e;
  e.id = id;
  e.type = "MessagePosted";
  e.payload = std::string(kValueBytes, 'm');
  e.actor = "u-bench";
  return e;
}

// A fresh RocksDB with default options, and the column families named
// (beside the default one, families[0]).
struct RawDb {
  std::filesystem::path dir;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;

  explicit RawDb(const std::string& name, const std::vector<std::string>& more_families = {})
      : dir(FreshDir(name)) {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{{rocksdb::kDefaultColumnFamilyName, {}}};
    for (const std::string& family : more_families)
      descriptors.emplace_back(family, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(options, dir.string(), descriptors, &families, &raw);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    db.reset(raw);
  }
  ~RawDb() {
    for (auto* family : families) db->DestroyColumnFamilyHandle(family);
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

// `per_thread` one-event appends from each of state.range(0) threads, into
// streams shaped like conversations, for as many iterations as it takes.
// Thread t is firm "f<t>" and appends to log.ForFirm("f<t>").
void RunAppends(benchmark::State& state, const PartitionedLog& log, int per_thread) {
  const int appenders = static_cast<int>(state.range(0));
  std::atomic<long> next_id{0};
  std::atomic<bool> failed{false};
  for (auto _ : state) {
    RunOnThreads(appenders, [&](int t) {
      const std::string firm = Id("f", static_cast<std::uint64_t>(t));
      const LogPartition partition = log.ForFirm(firm);
      for (int i = 0; i < per_thread; ++i) {
        std::vector<EventData> events{OneEvent(Id("e", next_id++))};
        // Each command targets its own conversation-like stream.
        auto r = partition.Append("conv-" + std::to_string(t) + "-" + std::to_string(i % 50), ExpectedVersion::Any(),
                              events);
        if (!r.ok()) failed = true;
      }
    });
  }
  if (failed) state.SkipWithError("an append failed");
  state.SetItemsProcessed(state.iterations() * appenders * per_thread);
}

void ReportGrouping(benchmark::State& state, const EventStore& store) {
  StoreStats stats = store.Stats();
  state.counters["events_per_sync"] = stats.syncs ? double(stats.events) / stats.syncs : 0;
  state.counters["events_per_batch"] = stats.groups ? double(stats.events) / stats.groups : 0;
  state.counters["sync_us"] = stats.syncs ? double(stats.sync_micros) / stats.syncs : 0;
}

void BM_Append(benchmark::State& state) {
  auto dir = FreshDir("append");
  auto store = OpenStore(dir);
  RunAppends(state, PartitionedLog(*store), 512);
  ReportGrouping(state, *store);
  store.reset();
  std::filesystem::remove_all(dir);
}

// RunAppends' appenders and streams, each appender an AppendAsync chain:
// state.range(0) appends in flight all the time, sent from this thread and
// then from the completions.
void BM_AppendAsync(benchmark::State& state) {
  constexpr int kPerAppender = 512;
  auto dir = FreshDir("append-async");
  auto store = OpenStore(dir);
  const int appenders = static_cast<int>(state.range(0));
  std::atomic<long> next_id{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable all_done;
  int finished = 0;  // guarded by mu
  // Sends appender t's i-th append; its completion sends the next.
  std::function<void(int, int)> send = [&](int t, int i) {
    AppendRequest request;
    request.firm = Id("f", static_cast<std::uint64_t>(t));
    request.stream = "conv-" + std::to_string(t) + "-" + std::to_string(i % 50);
    request.events.push_back(OneEvent(Id("e", next_id++)));
    store->AppendAsync(std::move(request), [&, t, i](Result<AppendResult> r) {
      if (!r.ok()) failed = true;
      if (i + 1 < kPerAppender) return send(t, i + 1);
      std::lock_guard lock(mu);
      if (++finished == appenders) all_done.notify_one();
    });
  };
  for (auto _ : state) {
    finished = 0;
    for (int t = 0; t < appenders; ++t) send(t, 0);
    std::unique_lock lock(mu);
    all_done.wait(lock, [&] { return finished == appenders; });
  }
  if (failed) state.SkipWithError("an append failed");
  state.SetItemsProcessed(state.iterations() * appenders * kPerAppender);
  ReportGrouping(state, *store);
  store.reset();
  std::filesystem::remove_all(dir);
}
// 1, 8 and 64 concurrent appenders, timed by the wall clock.
void AppenderVariants(benchmark::internal::Benchmark* b) {
  b->ArgName("appenders")->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_Append)->Apply(AppenderVariants);
BENCHMARK(BM_AppendAsync)->Apply(AppenderVariants);

void BM_RawRocksSyncBatch(benchmark::State& state) {
  const int batch_size = static_cast<int>(state.range(0));
  RawDb raw("rawbatch");
  const std::string value(kValueBytes, 'v');
  rocksdb::WriteOptions wo;
  wo.sync = true;
  std::uint64_t key = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < batch_size; ++i) batch.Put(keys::EncodeU64(++key), value);
    auto s = raw.db->Write(wo, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch_size);
}
// The cluster named by $PARLEY_BENCH_NATS; false (the benchmark skipped)
// if the URL does not parse.
bool ParseBenchUrl(benchmark::State& state, const std::string& url, JetStreamStoreOptions& options) {
  if (auto parsed = ParseJetStreamUrl(url, options); !parsed.ok()) {
    state.SkipWithError(parsed.error().message.c_str());
    return false;
  }
  return true;
}

// Registered by main() only when $PARLEY_BENCH_NATS is set: a fresh
// partition stream on that cluster, read back through a local copy.
void BM_JetStreamAppend(benchmark::State& state, const std::string& url) {
  JetStreamStoreOptions options;
  if (!ParseBenchUrl(state, url, options)) return;
  auto dir = FreshDir("jetstream");
  options.log_name = Id("B", std::random_device{}());
  options.partitions = static_cast<std::size_t>(state.range(1));
  options.mirror_path = dir.string();
  auto partitions = OpenJetStreamLog(options);
  if (!partitions.ok()) {
    state.SkipWithError(partitions.error().message.c_str());
    return;
  }
  {
    PartitionedLog log(std::move(*partitions));
    RunAppends(state, log, 64);
    const StoreStats stats = log.Stats();
    state.counters["events_per_message"] = stats.groups ? double(stats.events) / stats.groups : 0;
    log.Close();
  }
  std::filesystem::remove_all(dir);
}

// Registered with BM_JetStreamAppend: several stores (as several parleyd
// would hold) on one partition, each thread appending with the version it
// expects to a stream of its own, as API commands do. Writers of different
// streams should not slow each other down, whichever store they go through.
void BM_JetStreamWriters(benchmark::State& state, const std::string& url) {
  JetStreamStoreOptions options;
  if (!ParseBenchUrl(state, url, options)) return;
  auto dir = FreshDir("jetstream-writers");
  options.partition = Id("W", std::random_device{}());
  std::vector<std::unique_ptr<EventStore>> stores;
  for (int w = 0; w < state.range(1); ++w) {
    options.mirror_path = (dir / Id("copy", static_cast<std::uint64_t>(w))).string();
    auto store = OpenJetStreamStore(options);
    if (!store.ok()) {
      state.SkipWithError(store.error().message.c_str());
      return;
    }
    stores.push_back(std::move(*store));
  }
  const int appenders = static_cast<int>(state.range(0));
  constexpr int kPerThread = 64;
  std::atomic<long> next_id{0};
  std::atomic<bool> failed{false};
  int round = 0;
  for (auto _ : state) {
    ++round;
    RunOnThreads(appenders, [&](int t) {
      EventStore& store = *stores[static_cast<std::size_t>(t) % stores.size()];
      const std::string stream = "conv-" + std::to_string(round) + "-" + std::to_string(t);
      std::uint64_t version = 0;
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<EventData> events{OneEvent(Id("w", next_id++))};
        auto r = store.Append(stream, ExpectedVersion::Exactly(version), events);
        if (!r.ok()) {
          failed = true;
          return;
        }
        version = r->stream_version;
      }
    });
  }
  if (failed) state.SkipWithError("an append failed");
  state.SetItemsProcessed(state.iterations() * appenders * kPerThread);
  for (auto& store : stores) store->Close();
  stores.clear();
  std::filesystem::remove_all(dir);
}

// Registered with BM_JetStreamAppend: the design where each append is its
// own message on its stream's subject, published with the subject's last
// sequence (ExpectLastSubjectSeq; ExpectNoMessage for the first), straight
// through libnats on a fresh stream like a partition's, with no local copy.
// The baseline of BM_JetStreamAppend: the same design without the store.
void BM_RawJetStreamPublishPerSubject(benchmark::State& state, const std::string& url) {
  JetStreamStoreOptions options;
  if (!ParseBenchUrl(state, url, options)) return;
  const int appenders = static_cast<int>(state.range(0));
  const int per_thread = 64;
  std::vector<const char*> servers;
  for (const std::string& server : options.servers) servers.push_back(server.c_str());
  natsOptions* nats_options = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsOptions_Create(&nats_options);
  natsOptions_SetServers(nats_options, servers.data(), static_cast<int>(servers.size()));
  if (natsConnection_Connect(&nc, nats_options) != NATS_OK || natsConnection_JetStream(&js, nc, nullptr) != NATS_OK) {
    state.SkipWithError("cannot connect to NATS");
    natsOptions_Destroy(nats_options);
    return;
  }
  const std::string name = Id("RAW", std::random_device{}());
  const std::string subjects = name + ".>";
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = name.c_str();
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = options.replicas;
  jsStreamInfo* info = nullptr;
  if (js_AddStream(&info, js, &config, nullptr, nullptr) != NATS_OK) {
    state.SkipWithError("cannot create the stream");
  } else {
    jsStreamInfo_Destroy(info);
    const std::string payload(kValueBytes, 'm');
    std::atomic<bool> failed{false};
    std::vector<std::uint64_t> last(static_cast<std::size_t>(appenders), 0);  // each subject's last sequence
    for (auto _ : state) {
      RunOnThreads(appenders, [&](int t) {
        const std::string subject = name + ".f." + std::to_string(t);
        for (int i = 0; i < per_thread && !failed; ++i) {
          jsPubOptions po;
          jsPubOptions_Init(&po);
          po.ExpectNoMessage = last[t] == 0;
          po.ExpectLastSubjectSeq = last[t];
          jsPubAck* ack = nullptr;
          if (js_Publish(&ack, js, subject.c_str(), payload.data(), static_cast<int>(payload.size()), &po,
                         nullptr) != NATS_OK) {
            failed = true;
            break;
          }
          last[t] = ack->Sequence;
          jsPubAck_Destroy(ack);
        }
      });
    }
    if (failed) state.SkipWithError("a publish failed");
    state.SetItemsProcessed(state.iterations() * appenders * per_thread);
    js_DeleteStream(js, name.c_str(), nullptr, nullptr);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(nats_options);
}

BENCHMARK(BM_RawRocksSyncBatch)->ArgName("batch")->Arg(1)->Arg(8)->Arg(64)->UseRealTime();

void BM_RawRocksConcurrentSyncPut(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  const int per_thread = 512;
  RawDb raw("rawput");
  const std::string value(kValueBytes, 'v');
  std::atomic<std::uint64_t> key{0};
  for (auto _ : state) {
    RunOnThreads(writers, [&](int) {
      rocksdb::WriteOptions wo;
      wo.sync = true;
      for (int i = 0; i < per_thread; ++i)
        raw.db->Put(wo, keys::EncodeU64(++key), value).PermitUncheckedError();
    });
  }
  state.SetItemsProcessed(state.iterations() * writers * per_thread);
}
BENCHMARK(BM_RawRocksConcurrentSyncPut)
    ->ArgName("writers")
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The floor under BM_Append on this machine: the store's two-stage group
// commit without its logic. N threads each hand one value over and sleep;
// a writer thread writes all that wait, unsynced; a syncer thread syncs
// everything written and wakes those appenders (GroupWaker). No envelope,
// hash, version check or retry look-up: what any committer of this shape
// reaches with N threads that block on their sync.
template <class Sink>
void RunBareGroupCommit(benchmark::State& state, Sink& sink) {
  const int appenders = static_cast<int>(state.range(0));
  const int per_thread = 512;
  struct Waiting {
    std::uint64_t group = 0;
    std::atomic<bool> done{false};
  };
  std::mutex queue_mu, written_mu;
  std::condition_variable queue_cv, written_cv;
  std::vector<Waiting*> queue;                 // guarded by queue_mu
  std::uint64_t group = 0;                     // guarded by queue_mu
  bool stop = false;                           // guarded by queue_mu
  std::vector<std::vector<Waiting*>> written;  // guarded by written_mu
  bool writer_done = false;                    // guarded by written_mu
  std::atomic<bool> failed{false};
  std::atomic<std::uint64_t> syncs{0};
  GroupWaker waker;
  std::thread writer([&] {
    for (;;) {
      std::vector<Waiting*> taken;
      {
        std::unique_lock lock(queue_mu);
        queue_cv.wait(lock, [&] { return !queue.empty() || stop; });
        if (queue.empty()) break;
        taken.swap(queue);
        ++group;
      }
      if (!sink.Write(taken.size())) failed = true;
      {
        std::lock_guard lock(written_mu);
        written.push_back(std::move(taken));
      }
      written_cv.notify_one();
    }
    {
      std::lock_guard lock(written_mu);
      writer_done = true;
    }
    written_cv.notify_one();
  });
  std::thread syncer([&] {
    for (;;) {
      std::vector<std::vector<Waiting*>> groups;
      {
        std::unique_lock lock(written_mu);
        written_cv.wait(lock, [&] { return !written.empty() || writer_done; });
        if (written.empty()) return;
        groups.swap(written);
      }
      if (!sink.Sync()) failed = true;
      syncs++;
      std::uint64_t bits = 0;
      for (auto& g : groups) {
        for (Waiting* w : g) {
          bits |= GroupWaker::Bit(w->group);
          w->done.store(true);  // `w` may be gone from here on
        }
      }
      waker.Wake(bits);
    }
  });
  for (auto _ : state) {
    RunOnThreads(appenders, [&](int) {
      for (int i = 0; i < per_thread; ++i) {
        Waiting waiting;
        {
          std::lock_guard lock(queue_mu);
          waiting.group = group;
          queue.push_back(&waiting);
        }
        queue_cv.notify_one();
        waker.Wait(waiting.group, waiting.done);
      }
    });
  }
  {
    std::lock_guard lock(queue_mu);
    stop = true;
  }
  queue_cv.notify_one();
  writer.join();
  syncer.join();
  if (failed) state.SkipWithError("a write or sync failed");
  const auto values = state.iterations() * appenders * per_thread;
  state.SetItemsProcessed(values);
  state.counters["values_per_sync"] = syncs ? double(values) / double(syncs) : 0;
}

// Values appended to a plain file and fdatasync'ed.
struct FileSink {
  std::filesystem::path dir = FreshDir("rawfile");
  int fd = ::open((dir / "log").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0644);
  std::string buffer;

  ~FileSink() {
    if (fd >= 0) ::close(fd);
    std::filesystem::remove_all(dir);
  }
  bool Write(std::size_t values) {
    buffer.assign(values * kValueBytes, 'v');
    return fd >= 0 && ::write(fd, buffer.data(), buffer.size()) == static_cast<ssize_t>(buffer.size());
  }
  bool Sync() { return ::fdatasync(fd) == 0; }
};

// The store's three entries per event in RocksDB (default options): the
// value by position, a stream index entry and an event-id entry, in their
// column families; synced with SyncWAL.
struct RocksSink {
  RawDb raw{"rawgroup", {keys::kLogFamily, keys::kStreamsFamily, keys::kEventIdsFamily}};
  const std::string value = std::string(kValueBytes, 'v');
  std::uint64_t position = 0;
  std::vector<std::uint64_t> versions = std::vector<std::uint64_t>(3200);  // streams, as in RunAppends

  bool Write(std::size_t values) {
    rocksdb::WriteBatch batch;
    for (std::size_t i = 0; i < values; ++i) {
      const std::string log_key = keys::LogKey(++position);
      const std::size_t stream = position % versions.size();
      batch.Put(raw.families[1], log_key, value);
      batch.Put(raw.families[2], keys::StreamKey(Id("conv-", stream), ++versions[stream]), log_key);
      batch.Put(raw.families[3], Id("e", position), log_key);
    }
    return raw.db->Write(rocksdb::WriteOptions(), &batch).ok();
  }
  bool Sync() { return raw.db->SyncWAL().ok(); }
};

void BM_RawFileGroupCommit(benchmark::State& state) {
  FileSink sink;
  RunBareGroupCommit(state, sink);
}
BENCHMARK(BM_RawFileGroupCommit)->Apply(AppenderVariants);

void BM_RawRocksGroupCommit(benchmark::State& state) {
  RocksSink sink;
  RunBareGroupCommit(state, sink);
}
BENCHMARK(BM_RawRocksGroupCommit)->Apply(AppenderVariants);

void BM_ReplayAll(benchmark::State& state) {
  auto dir = FreshDir("replay");
  {
    auto store = OpenStore(dir);
    std::vector<EventData> events;
    for (std::size_t i = 0; i < kReplayEvents; ++i) {
      events.push_back(OneEvent(Id("r", i)));
      if (events.size() == 500) {
        if (!store->Append("conv-" + std::to_string(i % 1000), ExpectedVersion::Any(), events).ok()) {
          state.SkipWithError("fill failed");
          return;
        }
        events.clear();
      }
    }
  }
  // Most of a long-lived log sits compacted in the bottom level; so does the
  // baseline's data (BM_RawRocksIterate), so that both scan the same shape.
  RocksDbStoreOptions compact;
  compact.path = dir.string();
  if (!CompactRocksDbStore(compact).ok()) {
    state.SkipWithError("compaction failed");
    return;
  }
  auto store = OpenStore(dir);
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    std::uint64_t count = 0;
    auto last = store->ForEach(1, kEndOfStream, [&](const EventView& e) {
      // Touch what a projection reads: type, stream, position, payload.
      bytes += e.type().size() + e.stream().size() + e.payload().size() + (e.position() & 1);
      ++count;
      return true;
    });
    if (!last.ok() || count != kReplayEvents) {
      state.SkipWithError("replay failed");
      break;
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * kReplayEvents);
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ReplayAll)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_RawRocksIterate(benchmark::State& state) {
  RawDb raw("rawiter");
  {
    const std::string value(kValueBytes + 150, 'v');  // about an envelope's size
    rocksdb::WriteBatch batch;
    for (std::uint64_t k = 1; k <= kReplayEvents; ++k) {
      batch.Put(keys::EncodeU64(k), value);
      if (batch.Count() == 500) {
        raw.db->Write({}, &batch).PermitUncheckedError();
        batch.Clear();
      }
    }
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    raw.db->CompactRange(options, nullptr, nullptr).PermitUncheckedError();
  }
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator({}));
    std::uint64_t count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      bytes += it->key().size() + it->value().size();
      ++count;
    }
    if (count != kReplayEvents) {
      state.SkipWithError("iteration failed");
      break;
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * kReplayEvents);
}
BENCHMARK(BM_RawRocksIterate)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
  if (const char* url = std::getenv("PARLEY_BENCH_NATS"); url != nullptr && *url != '\0') {
    benchmark::RegisterBenchmark("BM_JetStreamAppend", parley::bench::BM_JetStreamAppend, std::string(url))
        ->ArgNames({"appenders", "partitions"})
        ->ArgsProduct({{1, 8, 64}, {1, 3}})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_JetStreamWriters", parley::bench::BM_JetStreamWriters, std::string(url))
        ->ArgNames({"appenders", "writers"})
        ->ArgsProduct({{8, 64}, {1, 2}})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_RawJetStreamPublishPerSubject", parley::bench::BM_RawJetStreamPublishPerSubject,
                                 std::string(url))
        ->ArgName("appenders")
        ->Arg(1)
        ->Arg(8)
        ->Arg(64)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
