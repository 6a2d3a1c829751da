#include "projections/projector.h"

#include <algorithm>

namespace parley::projections {

namespace {
constexpr std::size_t kPageEvents = 1024;
}

Projector::Projector(const eventstore::PartitionedLog& log, ReadModelStore& store,
                     std::vector<Projection*> projections)
    : log_(log), store_(store), projections_(std::move(projections)), applied_(log.count(), 0) {}

Projector::Projector(eventstore::EventStore& log, ReadModelStore& store, std::vector<Projection*> projections)
    : own_view_(std::in_place, log),
      log_(*own_view_),
      store_(store),
      projections_(std::move(projections)),
      applied_(1, 0) {}

Projector::~Projector() {
  Stop();
}

Result<std::uint64_t> Projector::LowestCheckpoint(std::size_t partition) {
  std::uint64_t lowest = UINT64_MAX;
  for (Projection* p : projections_) {
    auto checkpoint = store_.Checkpoint(p->name(), partition);
    if (!checkpoint.ok()) return checkpoint.error();
    lowest = std::min(lowest, *checkpoint);
  }
  return projections_.empty() ? 0 : lowest;
}

Result<void> Projector::ApplyPage(std::size_t partition, const std::vector<eventstore::RecordedEvent>& events) {
  if (events.empty()) return {};
  {
    std::lock_guard apply(apply_mu_);
    if (auto applied = store_.ApplyBatch(projections_, events, partition); !applied.ok()) return applied;
    for (Projection* p : projections_) p->Stored();
  }
  {
    std::lock_guard lock(mu_);
    applied_[partition] = events.back().position();
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
  std::uint64_t applied_events = 0;
  for (std::size_t partition = 0; partition < log_.count(); ++partition) {
    auto lowest = LowestCheckpoint(partition);
    if (!lowest.ok()) return lowest.error();
    {
      std::lock_guard lock(mu_);
      applied_[partition] = *lowest;
    }
    applied_events += *lowest;
    for (std::uint64_t next = *lowest + 1;;) {
      auto page = log_.at(partition).ReadAll(next, kPageEvents);
      if (!page.ok()) return page.error();
      if (page->events.empty()) break;
      if (auto applied = ApplyPage(partition, page->events); !applied.ok()) return applied;
      applied_events += page->next_position - next;
      next = page->next_position;
      if (progress) progress(applied_events);
    }
  }
  return {};
}

Result<void> Projector::Start() {
  if (auto caught_up = CatchUp(); !caught_up.ok()) return caught_up;
  for (std::size_t partition = 0; partition < log_.count(); ++partition) {
    threads_.emplace_back([this, partition, from = AppliedPosition(partition) + 1] { Run(partition, from); });
  }
  return {};
}

void Projector::Run(std::size_t partition, std::uint64_t from) {
  eventstore::Subscription subscription(log_.at(partition), from);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || failure_) return;
    }
    auto events = subscription.Next(kPageEvents, std::chrono::milliseconds(100));
    Result<void> applied = events.ok() ? ApplyPage(partition, *events) : Result<void>(events.error());
    if (!applied.ok()) {
      // A projection that cannot apply an event stops here rather than skip
      // it: its read model would silently diverge from the log.
      std::lock_guard lock(mu_);
      if (!failure_) failure_ = applied.error();
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
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::uint64_t Projector::AppliedPosition(std::size_t partition) const {
  std::lock_guard lock(mu_);
  return applied_.at(partition);
}

std::uint64_t Projector::AppliedEvents() const {
  std::lock_guard lock(mu_);
  std::uint64_t sum = 0;
  for (std::uint64_t applied : applied_) sum += applied;
  return sum;
}

bool Projector::WaitFor(std::size_t partition, std::uint64_t position, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::uint64_t& applied = applied_.at(partition);
  return applied_cv_.wait_for(lock, timeout, [&] { return applied >= position || failure_ || stopping_; }) &&
         applied >= position;
}

std::optional<Error> Projector::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

}  // namespace parley::projections
