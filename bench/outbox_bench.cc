// The mailer's clock tick (SPEC section 7, issue: 100,000 pending
// reminders): finding what is due must cost what is due, not what is
// pending.
//
//   BM_DueReminders/due:N   one tick that finds N due reminders among
//                           100,000 pending (the outbox read model's t/
//                           index, scanned as the mailer does: from its
//                           previous tick, before which all was fired)
//   BM_ScanAllPending       the baseline a tick must not pay: reading every
//                           pending reminder
//   BM_DueRemindersFromZero/due:N   the same tick scanning from the start
//                           of the index: it wades through the deletions
//                           the 200,000 fired triggers left until RocksDB
//                           compacts them (why the mailer keeps a floor)
//
// Setup, once: 100,000 conversations in a real RocksDB log, each with a
// firm message and reminders on (every 3 days), a second apart; their
// activity and nudge triggers are marked fired as the mailer would, so
// exactly the 100,000 reminders are pending; then the outbox read model is
// built by the real projector.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <thread>

#include "domain/event_codec.h"
#include "domain/streams.h"
#include "eventstore/rocksdb_store.h"
#include "projections/outbox_projection.h"
#include "projections/projector.h"

namespace parley::bench {
namespace {

constexpr int kPending = 100'000;
constexpr Micros kT0 = 1'800'000'000LL * 1'000'000;
constexpr Micros kSecond = 1'000'000;

struct DueIndex {
  std::filesystem::path dir;
  std::unique_ptr<eventstore::EventStore> log;
  std::unique_ptr<projections::ReadModelStore> models;
  projections::OutboxProjection outbox;

  DueIndex() {
    const char* base = std::getenv("PARLEY_BENCH_DIR");
    dir = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
          ("parley-bench-outbox-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    eventstore::RocksDbStoreOptions options;
    options.path = (dir / "log").string();
    auto opened = eventstore::OpenRocksDbStore(options);
    if (!opened.ok()) throw std::runtime_error(opened.error().message);
    log = std::move(*opened);
    auto store = projections::ReadModelStore::Open((dir / "projections").string());
    if (!store.ok()) throw std::runtime_error(store.error().message);
    models = std::move(*store);
    Fill();
    projections::Projector projector(*log, *models, {&outbox});
    if (auto caught = projector.CatchUp(); !caught.ok()) throw std::runtime_error(caught.error().message);
  }
  ~DueIndex() {
    log.reset();
    models.reset();
    std::filesystem::remove_all(dir);
  }

  static eventstore::EventData Data(std::string id, const char* type, std::string payload) {
    eventstore::EventData d;
    d.id = std::move(id);
    d.type = type;
    d.schema_version = domain::kEventSchemaVersion;
    d.payload = std::move(payload);
    d.actor = "u-bench";
    return d;
  }

  void Fill() {
    // Conversations from 8 threads: group commit makes this quick.
    std::vector<std::thread> writers;
    for (int w = 0; w < 8; ++w) {
      writers.emplace_back([this, w] {
        for (int i = w; i < kPending; i += 8) {
          const std::string c = "c" + std::to_string(i);
          const Micros at = kT0 + i * kSecond;
          domain::ConversationStarted started{
              c, "f1", "d1", "Pièces", {}, "u-1", domain::Side::kFirm, {"u-1"}, {true, 3, 1}, at};
          domain::MessagePosted posted{
              "m" + std::to_string(i), "u-1", domain::Side::kFirm, "Bonjour", {}, {}, at};
          std::vector<eventstore::EventData> events{
              Data("ev_s" + std::to_string(i), "ConversationStarted", domain::EncodeEvent(started)),
              Data("ev_p" + std::to_string(i), "MessagePosted", domain::EncodeEvent(posted))};
          auto appended =
              log->Append(domain::ConversationStream(c), eventstore::ExpectedVersion::NoStream(), events);
          if (!appended.ok()) throw std::runtime_error(appended.error().message);
        }
      });
    }
    for (auto& t : writers) t.join();
    // What the mailer records once it has fired the activity and nudge triggers.
    std::vector<eventstore::EventData> fired;
    auto flush = [&] {
      auto appended = log->Append(domain::OutboxStream("f1"), eventstore::ExpectedVersion::Any(), fired);
      if (!appended.ok()) throw std::runtime_error(appended.error().message);
      fired.clear();
    };
    for (int i = 0; i < kPending; ++i) {
      for (auto kind : {domain::TriggerKind::kActivity, domain::TriggerKind::kNudge}) {
        domain::Trigger t{kind, "f1", "c" + std::to_string(i), 1};
        t.due = kT0 + i * kSecond + (kind == domain::TriggerKind::kNudge ? domain::kNudgeDelay : 0);
        domain::NotificationsDecided decided{"f1", t, {}, {}, {}, t.due};
        fired.push_back(Data("ev_f" + t.Id(), "NotificationsDecided", domain::EncodeEvent(decided)));
      }
      if (fired.size() >= 5'000) flush();
    }
    if (!fired.empty()) flush();
  }
};

DueIndex& Index() {
  static DueIndex index;
  return index;
}

// Reminder n is due at kT0 + (n - 1) seconds + 3 days.
Micros NthReminderDue(int n) {
  return kT0 + static_cast<Micros>(n - 1) * kSecond + 3 * domain::kDay;
}
// The previous tick: every activity and nudge trigger had been fired.
constexpr Micros kPreviousTick = kT0 + 3 * domain::kDay - kSecond;

void Tick(benchmark::State& state, Micros from, int due) {
  DueIndex& index = Index();
  for (auto _ : state) {
    auto found = projections::DueTriggers(*index.models, from, NthReminderDue(due), due + 1);
    if (!found.ok() || static_cast<int>(found->size()) != due) {
      state.SkipWithError("the tick did not find exactly the due reminders");
      return;
    }
    benchmark::DoNotOptimize(found->data());
  }
  state.SetItemsProcessed(state.iterations() * due);
  state.counters["pending"] = kPending;
}

void BM_DueReminders(benchmark::State& state) {
  Tick(state, kPreviousTick, static_cast<int>(state.range(0)));
}
BENCHMARK(BM_DueReminders)
    ->ArgName("due")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

void BM_DueRemindersFromZero(benchmark::State& state) {
  Tick(state, 0, static_cast<int>(state.range(0)));
}
BENCHMARK(BM_DueRemindersFromZero)->ArgName("due")->Arg(10)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_ScanAllPending(benchmark::State& state) {
  DueIndex& index = Index();
  for (auto _ : state) {
    auto found =
        projections::DueTriggers(*index.models, kPreviousTick, NthReminderDue(kPending), kPending + 1);
    if (!found.ok() || found->size() != static_cast<std::size_t>(kPending)) {
      state.SkipWithError("the scan did not read every pending reminder");
      return;
    }
    benchmark::DoNotOptimize(found->data());
  }
  state.SetItemsProcessed(state.iterations() * kPending);
}
BENCHMARK(BM_ScanAllPending)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace parley::bench
