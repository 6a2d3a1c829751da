#include "api/mailer.h"

#include <chrono>
#include <iostream>

#include "common/sha256.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/conversation_projection.h"
#include "projections/outbox_projection.h"
#include "projections/settings_projection.h"

namespace parley::api {
namespace {

constexpr std::string_view kMailerActor = "parley-mailer";

// The thread as the record has it: who wrote what, without the texts.
std::vector<domain::NotifiedItem> ItemsOf(const domain::Conversation& state) {
  std::vector<domain::NotifiedItem> items;
  items.reserve(state.items.size());
  for (const domain::ThreadItem& i : state.items)
    items.push_back({i.id, i.author, i.side, i.note, i.deleted});
  return items;
}

std::vector<domain::NotifiedItem> ItemsOf(const std::vector<projections::Entry>& entries) {
  std::vector<domain::NotifiedItem> items;
  items.reserve(entries.size());
  for (const projections::Entry& e : entries) {
    items.push_back({e.id, e.author, e.side, e.note, e.deleted, e.body, e.mentions, e.created_at});
  }
  return items;
}

// The id of an outbox event: derived from what it records, so that doing
// the same work again appends nothing.
std::string OutboxEventId(const std::string& firm, const std::string& what) {
  return "ev_" + ToHex(Sha256("outbox\n" + firm + "\n" + what)).substr(0, 32);
}

}  // namespace

Mailer::Mailer(eventstore::EventStore& log, projections::ReadModelStore& models,
               projections::Projector& projector, const projections::DirectoryProjection& directory,
               const Clock& clock, MailTransport& transport, const ReplyTokens& tokens, MailerOptions options)
    : log_(log),
      models_(models),
      projector_(projector),
      directories_(models, directory),
      clock_(clock),
      transport_(transport),
      tokens_(tokens),
      options_(std::move(options)) {}

Mailer::~Mailer() {
  Stop();
}

void Mailer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Mailer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Mailer::Wake(std::optional<Micros> earliest) {
  std::lock_guard lock(mu_);
  if (earliest && (!added_floor_ || *earliest < *added_floor_)) added_floor_ = earliest;
  woken_ = true;
  wake_.notify_all();
}

Mailer::Counts Mailer::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void Mailer::Loop() {
  for (;;) {
    auto done = RunDue();
    if (!done.ok()) std::cerr << "parleyd: mailer: " << done.error().message << std::endl;
    // Sleep until woken, or until the next due work by the clock; a test
    // clock moves only by request, which wakes us, so a short cap suffices.
    // After a failure, wait the full second rather than spin on it.
    auto wait = std::chrono::milliseconds(1000);
    Micros from = 0;
    {
      std::lock_guard lock(mu_);
      from = added_floor_ ? std::min(floor_, *added_floor_) : floor_;
    }
    if (auto next = projections::NextDue(models_, from); done.ok() && next.ok() && *next) {
      const Micros until = **next - clock_.Now();
      wait = std::min(wait, std::chrono::milliseconds(std::max<Micros>(until / 1000, 0) + 1));
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, wait, [&] { return woken_ || stopping_; });
    if (stopping_) return;
    woken_ = false;
  }
}

Result<void> Mailer::RunDue() {
  std::lock_guard pass(pass_mu_);
  const Micros now = clock_.Now();
  Micros from = 0;
  {
    std::lock_guard lock(mu_);
    from = added_floor_ ? std::min(floor_, *added_floor_) : floor_;
    added_floor_.reset();
  }
  auto run = [&]() -> Result<void> {
    for (bool more = true; more;) {
      auto fired = FireDue(from, now);
      if (!fired.ok()) return fired.error();
      more = *fired;
    }
    for (bool more = true; more;) {
      auto delivered = DeliverDue(from, now);
      if (!delivered.ok()) return delivered.error();
      more = *delivered;
    }
    return {};
  };
  auto done = run();
  std::lock_guard lock(mu_);
  if (done.ok()) {
    floor_ = std::max(from, now);
  } else if (!added_floor_ || from < *added_floor_) {
    added_floor_ = from;  // scan the same range again next time
  }
  return done;
}

Result<bool> Mailer::FireDue(Micros from, Micros now) {
  auto due = projections::DueTriggers(models_, from, now, options_.page);
  if (!due.ok()) return due.error();
  for (const domain::Trigger& trigger : *due) {
    if (auto fired = Fire(trigger, now); !fired.ok()) return fired.error();
  }
  return due->size() == options_.page;
}

Result<void> Mailer::Fire(const domain::Trigger& trigger, Micros now) {
  auto directory = directories_.Get(trigger.firm);
  if (!directory.ok()) return directory.error();
  auto settings = projections::LoadFirmSettings(models_, trigger.firm);
  if (!settings.ok()) return settings.error();
  domain::NotificationFacts facts;
  facts.directory = directory->get();
  facts.settings = &*settings;
  facts.public_url = options_.public_url;

  std::optional<projections::ConversationRecord> conversation;
  std::map<std::string, projections::ConversationRecord> held_records;
  if (trigger.kind == domain::TriggerKind::kDigest) {
    auto held = projections::HeldItems(models_, trigger.firm, trigger.user, trigger.due);
    if (!held.ok()) return held.error();
    facts.held = std::move(*held);
    for (const domain::HeldItem& h : facts.held) {
      if (held_records.count(h.conversation)) continue;
      auto record = projections::LoadRecord(models_, h.conversation);
      if (!record.ok()) return record.error();
      if (!*record) continue;
      // A digest counts items: no text needed.
      auto& kept = held_records[h.conversation] = std::move(**record);
      facts.held_conversations[h.conversation] = {&kept.state, ItemsOf(kept.state)};
    }
  } else {
    auto record = projections::LoadRecord(models_, trigger.conversation);
    if (!record.ok()) return record.error();
    conversation = std::move(*record);
    if (conversation) {
      facts.conversation = &conversation->state;
      if (trigger.kind == domain::TriggerKind::kActivity || trigger.kind == domain::TriggerKind::kNudge) {
        // One item's text and mentions; the rest of the thread from the record.
        facts.items = ItemsOf(conversation->state);
        auto entry = projections::LoadEntry(models_, trigger.conversation, trigger.ordinal);
        if (!entry.ok()) return entry.error();
        if (*entry && trigger.ordinal >= 1 && trigger.ordinal <= facts.items.size()) {
          domain::NotifiedItem& item = facts.items[trigger.ordinal - 1];
          item.body = (**entry).body;
          item.mentions = (**entry).mentions;
          item.at = (**entry).created_at;
          item.deleted = (**entry).deleted;
        }
      } else {
        auto entries = projections::LoadEntries(models_, trigger.conversation);
        if (!entries.ok()) return entries.error();
        facts.items = ItemsOf(*entries);
      }
    }
  }
  domain::NotificationsDecided decided = domain::DecideNotifications(trigger, facts, now);
  if (auto appended = AppendOutbox(
          trigger.firm,
          OutboxEventId(trigger.firm, "trigger\n" + trigger.Id() + "\n" + std::to_string(trigger.due)),
          decided);
      !appended.ok())
    return appended.error();
  std::lock_guard lock(mu_);
  ++counts_.triggers;
  return {};
}

Result<bool> Mailer::DeliverDue(Micros from, Micros now) {
  auto due = projections::DueMails(models_, from, now, options_.page);
  if (!due.ok()) return due.error();
  for (const projections::MailRecord& record : *due) {
    if (auto delivered = Deliver(record, now); !delivered.ok()) return delivered.error();
  }
  return due->size() == options_.page;
}

Result<void> Mailer::Deliver(const projections::MailRecord& record, Micros now) {
  const domain::QueuedMail& m = record.mail;
  OutgoingMail mail;
  mail.id = m.id;
  mail.from = m.from_name.empty() ? options_.mail_from : m.from_name + " <" + options_.mail_from + ">";
  mail.to_name = m.to_name;
  mail.to_address = m.to_address;
  if (m.accepts_reply && !m.conversation.empty()) {
    mail.reply_to = tokens_.Address(tokens_.Issue(m.id, record.firm, m.user, m.conversation,
                                                  record.queued_at + options_.reply_valid_for));
  }
  mail.subject = m.subject;
  mail.text = m.body;
  mail.kind = domain::ToString(m.kind);
  mail.link = m.link;
  mail.language = m.language;
  mail.date = record.queued_at;
  const int attempt = record.attempts + 1;
  auto sent = transport_.Send(mail);
  if (sent.ok()) {
    auto recorded = AppendOutbox(record.firm, OutboxEventId(record.firm, "sent\n" + m.id),
                                 domain::MailSent{record.firm, m.id, attempt, now});
    if (!recorded.ok()) return recorded.error();
    std::lock_guard lock(mu_);
    ++counts_.sent;
    return {};
  }
  const bool permanent = sent.error().code == ErrorCode::kInvalidArgument;
  domain::MailFailed failed{record.firm, m.id,
                            attempt,     sent.error().message,
                            permanent,   permanent ? 0 : now + domain::RetryDelay(attempt),
                            now};
  std::cerr << "parleyd: mail " << m.id << " to " << m.to_address << " not delivered (attempt " << attempt
            << (permanent ? ", given up" : "") << "): " << sent.error().message << std::endl;
  auto recorded = AppendOutbox(
      record.firm, OutboxEventId(record.firm, "failed\n" + m.id + "\n" + std::to_string(attempt)), failed);
  if (!recorded.ok()) return recorded.error();
  std::lock_guard lock(mu_);
  ++counts_.failed;
  return {};
}

Result<void> Mailer::AppendOutbox(const std::string& firm, const std::string& event_id,
                                  const domain::OutboxEvent& event) {
  eventstore::EventData data;
  data.id = event_id;
  data.type = domain::TypeName(event);
  data.schema_version = domain::kEventSchemaVersion;
  data.payload = domain::EncodeEvent(event);
  data.actor = std::string(kMailerActor);
  auto appended = log_.Append(domain::OutboxStream(firm), eventstore::ExpectedVersion::Any(),
                              std::span<const eventstore::EventData>(&data, 1));
  if (!appended.ok()) return appended.error();
  // The next scan must not see the work again.
  if (!projector_.WaitFor(appended->position, std::chrono::seconds(10)))
    return Error::Unavailable("the outbox read model is behind the log");
  return {};
}

}  // namespace parley::api
