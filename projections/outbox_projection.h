// The outbox read model (SPEC section 7): what e-mail work is due when.
//
//   c/<conversation>                  what reminders need of a conversation:
//                                     open, whether the client owes an
//                                     answer, the reminder settings, the
//                                     schedule's serial and reminders sent;
//   t/<due, 16 hex>/<trigger id>      a trigger (domain::Trigger) due then;
//   h/<firm>/<user>/<window>/<c>/<n>  an item held for a digest;
//   m/<mail id>                       an e-mail decided, with its state;
//   s/<next attempt, 16 hex>/<mail>   an e-mail waiting for (re)delivery.
//
// Due work is found by scanning t/ and s/ up to now: the cost follows the
// number due, never the number pending. Values are JSON. The model is a
// pure fold of conversation and outbox events, so a rebuild gives the same
// bytes; the mailer (api/) is what turns due triggers into outbox events.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/notifications.h"
#include "projections/projector.h"

namespace parley::projections {

class OutboxProjection final : public Projection {
 public:
  static constexpr const char* kName = "outbox";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
  void Stored() override;

  // Called (on the projector's thread) after a batch that added due work
  // is stored, with the earliest due time it added: the mailer wakes up,
  // and scans from there at the latest.
  void OnDueWork(std::function<void(Micros earliest)> notify) { notify_ = std::move(notify); }

 private:
  // The earliest due time added by the batch being applied (projector
  // thread only); nullopt: nothing added.
  std::optional<Micros> earliest_added_;
  std::function<void(Micros)> notify_;
};

// An e-mail decided, and where its delivery stands.
struct MailRecord {
  std::string firm;
  domain::QueuedMail mail;
  std::string status = "queued";  // queued, sent, failed (for good)
  int attempts = 0;
  std::string last_error;
  Micros queued_at = 0, next_attempt = 0, sent_at = 0;
};

// Triggers due from `from` to `up_to` (both included), earliest first, at
// most `limit`. Fired triggers leave deletions behind in the index until
// RocksDB compacts them away; starting at `from` (the mailer's previous
// tick, before which everything was fired) keeps a tick from wading
// through them.
Result<std::vector<domain::Trigger>> DueTriggers(ReadModelStore& store, Micros from, Micros up_to,
                                                 std::size_t limit);
// E-mails whose next delivery attempt is from `from` to `up_to`.
Result<std::vector<MailRecord>> DueMails(ReadModelStore& store, Micros from, Micros up_to, std::size_t limit);
// The earliest time from `from` on that some trigger or delivery is due
// (nullopt: none).
Result<std::optional<Micros>> NextDue(ReadModelStore& store, Micros from);
// The items held for `user`'s digest window ending at `window_end`.
Result<std::vector<domain::HeldItem>> HeldItems(ReadModelStore& store, const std::string& firm,
                                                const std::string& user, Micros window_end);
Result<std::optional<MailRecord>> LoadMail(ReadModelStore& store, const std::string& mail);
// Reminders sent since the client last owed an answer anew.
Result<int> RemindersSent(ReadModelStore& store, const std::string& conversation);

}  // namespace parley::projections
