// The mailer (SPEC section 7): turns the outbox read model's due work into
// outbox events and e-mails, on a thread of its own.
//
// Each pass (1) fires every trigger due by the injected clock: it gathers
// the facts as they are now, asks domain::DecideNotifications what they
// call for, and appends one NotificationsDecided whose event id derives
// from the trigger, so a trigger fired twice (a crash between the append
// and the read model) appends once; then (2) delivers every e-mail due,
// recording MailSent, or MailFailed with the next attempt after a back-off.
// An e-mail is recorded sent only after the server accepted it, so a crash
// never loses one; a crash in the instant between the server's "250" and
// the record sends it again, with the same Message-ID.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api/mail_transport.h"
#include "api/reply_token.h"
#include "common/clock.h"
#include "common/result.h"
#include "domain/notifications.h"
#include "eventstore/event_store.h"
#include "projections/directory_projection.h"
#include "projections/outbox_projection.h"
#include "projections/projector.h"

namespace parley::api {

struct MailerOptions {
  std::string mail_from = "noreply@localhost";            // the bare address mails come from
  std::string public_url = "http://localhost:8080";       // links: <public_url>/conversations/<id>
  Micros reply_valid_for = 60LL * 24 * 3600 * 1'000'000;  // how long a reply address works
  std::size_t page = 256;                                 // triggers or mails per scan
  // Whether this process may send now (several parleyd on one log: the
  // holder of a lease); empty: always. Checked before each pass and mail.
  std::function<bool()> may_send;
};

class Mailer {
 public:
  Mailer(const eventstore::PartitionedLog& log, projections::ReadModelStore& models, projections::Projector& projector,
         const projections::DirectoryProjection& directory, const Clock& clock, MailTransport& transport,
         const ReplyTokens& tokens, MailerOptions options);
  ~Mailer();

  // Starts the thread: a pass now, then whenever woken or something falls due.
  void Start();
  void Stop();
  // Work due from `earliest` on was added (the outbox read model's callback).
  void Wake(Micros earliest);
  // One pass on the caller's thread (POST /v1/admin/clock answers after it,
  // so that what the new time makes due is decided and sent).
  Result<void> RunDue();

 private:
  using FirmSettings = std::map<std::string, std::map<std::string, domain::UserSettings>>;
  // true: a full page, more may be due. `settings`: each firm's, loaded once a pass.
  Result<bool> FireDue(Micros from, Micros now, FirmSettings& settings);
  Result<bool> DeliverDue(Micros from, Micros now);  // likewise
  Result<void> Fire(const domain::Trigger& trigger,
                    const std::map<std::string, domain::UserSettings>& settings, Micros now);
  Result<void> Deliver(const projections::MailRecord& record, Micros now);
  Result<void> AppendOutbox(const std::string& firm, const std::string& event_id,
                            const domain::OutboxEvent& event);
  void Loop();
  bool MaySend() const { return !options_.may_send || options_.may_send(); }
  Micros ScanFrom() const;  // where a pass starts; mu_ held

  const eventstore::PartitionedLog& log_;
  projections::ReadModelStore& models_;
  projections::Projector& projector_;
  projections::DirectoryCache directories_;
  const Clock& clock_;
  MailTransport& transport_;
  const ReplyTokens& tokens_;
  MailerOptions options_;

  std::mutex pass_mu_;  // one pass at a time
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;  // guarded by mu_
  // Every due time before floor_ was fired by an earlier pass, so a pass
  // scans from there; work added since with an earlier due time lowers
  // added_floor_. Both guarded by mu_.
  Micros floor_ = 0;
  std::optional<Micros> added_floor_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace parley::api
