#include "projections/projector.h"

#include <algorithm>

namespace parley::projections {

namespace {
constexpr std::size_t kPageEvents = 1024;
}

Projector::Projector(eventstore::EventStore& log, ReadModelStore& store, std::vector<Projection*> projections)
    : log_(log), store_(store), projections_(std::move(projections)) {}

Projector::~Projector() {
  Stop();
}

Result<std::uint64_t> Projector::LowestCheckpoint() {
  std::uint64_t lowest = UINT64_MAX;
  for (Projection* p : projections_) {
    auto checkpoint = store_.Checkpoint(p->name());
    if (!checkpoint.ok()) return checkpoint.error();
    lowest = std::min(lowest, *checkpoint);
  }
  return projections_.empty() ? 0 : lowest;
}

Result<void> Projector::ApplyPage(const std::vector<eventstore::RecordedEvent>& events) {
  if (events.empty()) return {};
  if (auto applied = store_.ApplyBatch(projections_, events); !applied.ok()) return applied;
  for (Projection* p : projections_) p->Stored();
  {
    std::lock_guard lock(mu_);
    applied_ = events.back().position();
  }
  applied_cv_.notify_all();
  return {};
}

Result<void> Projector::CatchUp(const std::function<void(std::uint64_t)>& progress) {
  // A read model stored in another format than its projection's is
  // dropped and rebuilt from the log (which is the truth).
  for (Projection* p : projections_) {
    auto stored = store_.Format(p->name());
    if (!stored.ok()) return stored.error();
    if (*stored == p->format()) continue;
    if (auto reset = store_.Reset(p->name(), p->format()); !reset.ok()) return reset;
  }
  auto lowest = LowestCheckpoint();
  if (!lowest.ok()) return lowest.error();
  {
    std::lock_guard lock(mu_);
    applied_ = *lowest;
  }
  std::uint64_t next = *lowest + 1;
  for (;;) {
    auto page = log_.ReadAll(next, kPageEvents);
    if (!page.ok()) return page.error();
    if (page->events.empty()) return {};
    if (auto applied = ApplyPage(page->events); !applied.ok()) return applied;
    next = page->next_position;
    if (progress) progress(next - 1);
  }
}

Result<void> Projector::Start() {
  if (auto caught_up = CatchUp(); !caught_up.ok()) return caught_up;
  thread_ = std::thread([this, from = AppliedPosition() + 1] { Run(from); });
  return {};
}

void Projector::Run(std::uint64_t from) {
  eventstore::Subscription subscription(log_, from);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto events = subscription.Next(kPageEvents, std::chrono::milliseconds(100));
    Result<void> applied = events.ok() ? ApplyPage(*events) : Result<void>(events.error());
    if (!applied.ok()) {
      // A projection that cannot apply an event stops here rather than skip
      // it: its read model would silently diverge from the log.
      std::lock_guard lock(mu_);
      failure_ = applied.error();
      applied_cv_.notify_all();
      return;
    }
  }
}

void Projector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  applied_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Projector::AppliedPosition() const {
  std::lock_guard lock(mu_);
  return applied_;
}

bool Projector::WaitFor(std::uint64_t position, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, timeout, [&] { return applied_ >= position || failure_ || stopping_; }) &&
         applied_ >= position;
}

std::optional<Error> Projector::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

}  // namespace parley::projections
