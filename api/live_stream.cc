#include "api/live_stream.h"

#include <boost/json.hpp>

#include <chrono>
#include <mutex>
#include <set>

#include "domain/streams.h"
#include "projections/conversation_projection.h"
#include "projections/history_projection.h"

namespace parley::api {

LiveEvents::LiveEvents(const eventstore::PartitionedLog& log, projections::ReadModelStore& models,
                       projections::Projector& projector, std::size_t capacity)
    : log_(log), models_(models), projector_(projector), capacity_(capacity) {
  for (std::size_t partition = 0; partition < log.count(); ++partition) {
    auto ring = std::make_unique<Ring>();
    ring->evicted = log.at(partition).LastPosition();
    ring->head = ring->evicted;
    rings_.push_back(std::move(ring));
  }
  for (std::size_t partition = 0; partition < log.count(); ++partition) {
    rings_[partition]->thread = std::thread([this, partition] { Follow(partition); });
  }
}

void LiveEvents::Stop() {
  stopping_ = true;
  for (auto& ring : rings_) {
    if (ring->thread.joinable()) ring->thread.join();
  }
}

std::optional<std::vector<std::shared_ptr<const LiveEvent>>> LiveEvents::After(std::size_t partition,
                                                                               std::uint64_t position,
                                                                               std::size_t max) const {
  const Ring& ring = *rings_.at(partition);
  std::shared_lock lock(ring.mutex);
  if (position < ring.evicted) return std::nullopt;
  std::vector<std::shared_ptr<const LiveEvent>> out;
  // Positions grow along the ring: find the first one after `position`.
  auto it = std::upper_bound(ring.events.begin(), ring.events.end(), position,
                             [](std::uint64_t p, const auto& e) { return p < e->position; });
  for (; it != ring.events.end() && out.size() < max; ++it) out.push_back(*it);
  return out;
}

std::optional<std::string> LiveEvents::CachedCounters(
    const std::string& user, const std::string& dossier, std::uint64_t as_of,
    const std::function<std::optional<std::string>()>& compute) const {
  const auto key = std::pair(user, dossier);
  {
    std::lock_guard lock(counters_mutex_);
    if (auto it = counters_.find(key); it != counters_.end() && it->second.first == as_of)
      return it->second.second;
  }
  auto computed = compute();
  if (!computed) return computed;
  std::lock_guard lock(counters_mutex_);
  if (counters_.size() > 100'000) counters_.clear();
  counters_[key] = {as_of, *computed};
  return computed;
}

void LiveEvents::Follow(std::size_t partition) {
  Ring& ring = *rings_[partition];
  eventstore::Subscription subscription(log_.at(partition), ring.head.load() + 1);
  while (!stopping_) {
    auto events = subscription.Next(256, std::chrono::milliseconds(100));
    if (!events.ok() || events->empty()) continue;
    // What a user may see is judged on the read model: wait until it has
    // these events (read-your-writes for the stream too).
    while (!stopping_ &&
           !projector_.WaitFor(partition, events->back().position(), std::chrono::milliseconds(200))) {
    }
    for (const auto& e : *events) {
      ring.head = e.position();
      if (!e.stream().starts_with(domain::kConversationStreamPrefix)) continue;
      const std::string id(e.stream().substr(domain::kConversationStreamPrefix.size()));
      auto record = projections::LoadRecord(models_, id);
      if (!record.ok() || !record->has_value()) continue;
      // Only what domain::CanSee reads: the ring must not hold every thread.
      const domain::Conversation& full = (**record).state;
      auto seen = std::make_shared<domain::Conversation>();
      seen->exists = full.exists;
      seen->firm = full.firm;
      seen->dossier = full.dossier;
      seen->audience = full.audience;
      std::shared_ptr<const domain::Conversation> state = std::move(seen);
      auto entry = projections::RenderHistoryEntry(
          e, [&](std::string_view) -> Result<std::optional<std::pair<std::string, std::string>>> {
            return std::optional(std::pair(state->firm, state->dossier));
          });
      if (!entry.ok() || !entry->has_value()) continue;
      auto live = std::make_shared<LiveEvent>();
      live->position = e.position();
      live->firm = state->firm;
      live->dossier = state->dossier;
      live->type = std::string(e.type());
      live->staff_only = live->type == "NoteAdded" || live->type == "ReadMarked";
      live->conversation = std::move(state);
      live->data = boost::json::serialize((**entry).json);
      std::unique_lock lock(ring.mutex);
      ring.events.push_back(std::move(live));
      if (ring.events.size() > capacity_) {
        ring.evicted = ring.events.front()->position;
        ring.events.pop_front();
      }
    }
  }
}

namespace {

class LiveStream final : public OpenResponse {
 public:
  LiveStream(const LiveEvents& live, Service::Party party, std::uint64_t after, bool websocket,
             CountersOf counters)
      : live_(live),
        party_(std::move(party)),
        partition_(live.PartitionOf(party_.directory->firm->firm)),
        cursor_(after),
        websocket_(websocket),
        counters_(std::move(counters)) {}

  bool websocket() const override { return websocket_; }

  std::optional<std::string> Next() override {
    if (websocket_) return NextMessage();
    if (ended_) return std::nullopt;
    std::string out;
    if (!greeted_) {
      greeted_ = true;
      out = "retry: 2000\n\n";
    }
    if (!Fill()) {
      // Behind the ring: what it missed is gone from memory. Say so and
      // close; the portal reloads and reconnects from now.
      ended_ = true;
      return out + "event: reset\ndata: " + std::string(kReset) + "\n\n";
    }
    for (const auto& e : ready_) {
      out.append("id: ").append(std::to_string(e->position)).append("\nevent: ").append(e->type);
      out.append("\ndata: ").append(e->data).append("\n\n");
    }
    ready_.clear();
    for (const auto& counters : TakeCounters())
      out.append("event: counters\ndata: ").append(counters).append("\n\n");
    const auto now = std::chrono::steady_clock::now();
    if (out.empty() && now - last_sent_ > std::chrono::seconds(15)) out = ": keep-alive\n\n";
    if (!out.empty()) last_sent_ = now;
    return out;
  }

 private:
  static constexpr std::string_view kReset = R"({"reason":"too_far_behind"})";

  // One event per message; the ring is read again once they are sent.
  std::optional<std::string> NextMessage() {
    if (ended_) return std::nullopt;
    if (ready_.empty() && !Fill()) {
      ended_ = true;
      return R"({"id":null,"event":"reset","data":)" + std::string(kReset) + "}";
    }
    if (ready_.empty()) {
      if (counters_pending_.empty()) counters_pending_ = TakeCounters();
      if (counters_pending_.empty()) return std::string();
      std::string message = R"({"id":null,"event":"counters","data":)" + counters_pending_.front() + "}";
      counters_pending_.erase(counters_pending_.begin());
      return message;
    }
    auto e = ready_.front();
    ready_.pop_front();
    return R"({"id":)" + std::to_string(e->position) + R"(,"event":")" + e->type + R"(","data":)" + e->data +
           "}";
  }

  // Moves what the user may see from the ring into ready_; false if the
  // ring no longer holds the cursor.
  bool Fill() {
    auto batch = live_.After(partition_, cursor_, 256);
    if (!batch) return false;
    for (const auto& e : *batch) {
      cursor_ = e->position;
      if (e->firm != party_.directory->firm->firm) continue;
      if (e->staff_only && !party_.actor.is_staff()) continue;
      if (!Sees(*e)) continue;
      ready_.push_back(e);
      touched_[e->dossier] = e->position;
    }
    return true;
  }

  // The counters of the dossiers the events sent since the last call touched.
  std::vector<std::string> TakeCounters() {
    std::vector<std::string> out;
    if (counters_) {
      for (const auto& [dossier, position] : touched_) {
        auto counters = live_.CachedCounters(party_.actor.id, dossier, position,
                                             [&] { return counters_(party_, dossier); });
        if (counters) out.push_back(std::move(*counters));
      }
    }
    touched_.clear();
    return out;
  }

  bool Sees(const LiveEvent& e) {
    auto it = access_.find(e.dossier);
    if (it == access_.end()) it = access_.emplace(e.dossier, party_.directory->AccessFor(e.dossier)).first;
    return it->second && domain::CanSee(*e.conversation, party_.actor, *it->second);
  }

  const LiveEvents& live_;
  Service::Party party_;
  const std::size_t partition_;  // the ring of the party's firm
  std::uint64_t cursor_;
  const bool websocket_;
  CountersOf counters_;
  std::map<std::string, std::uint64_t> touched_;  // dossier -> its last event sent, for its counters
  std::vector<std::string> counters_pending_;     // WebSocket: counters messages still to send
  bool greeted_ = false, ended_ = false;
  std::deque<std::shared_ptr<const LiveEvent>> ready_;  // at most one ring batch
  std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
  std::map<std::string, std::optional<domain::DossierAccess>> access_;  // by dossier, for this connection
};

}  // namespace

std::unique_ptr<OpenResponse> OpenLiveStream(const LiveEvents& live, Service::Party party,
                                             std::uint64_t after, bool websocket, CountersOf counters) {
  return std::make_unique<LiveStream>(live, std::move(party), after, websocket, std::move(counters));
}

}  // namespace parley::api
