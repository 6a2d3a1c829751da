#include "api/mailer.h"

#include <chrono>
#include <iostream>

#include "api/command_runner.h"
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

// The id of an outbox event: derived from what it records, so that doing
// the same work again appends nothing.
std::string OutboxEventId(const std::string& firm, const std::string& what) {
  return "ev_" + ToHex(Sha256("outbox\n" + firm + "\n" + what)).substr(0, 32);
}

}  // namespace

Mailer::Mailer(const eventstore::PartitionedLog& log, projections::ReadModelStore& models,
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

void Mailer::Wake(Micros earliest) {
  std::lock_guard lock(mu_);
  if (!added_floor_ || earliest < *added_floor_) added_floor_ = earliest;
  woken_ = true;
  wake_.notify_all();
}

Micros Mailer::ScanFrom() const {
  return added_floor_ ? std::min(floor_, *added_floor_) : floor_;
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
      from = ScanFrom();
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
  if (!MaySend()) return {};  // another server sends; the range stays to scan
  const Micros now = clock_.Now();
  Micros from = 0;
  {
    std::lock_guard lock(mu_);
    from = ScanFrom();
    added_floor_.reset();
  }
  // Settings are read once per firm and pass, not once per trigger.
  FirmSettings settings;
  auto run = [&]() -> Result<void> {
    for (bool more = true; more;) {
      auto fired = FireDue(from, now, settings);
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

Result<bool> Mailer::FireDue(Micros from, Micros now, FirmSettings& settings) {
  auto due = projections::DueTriggers(models_, from, now, options_.page);
  if (!due.ok()) return due.error();
  for (const domain::Trigger& trigger : *due) {
    auto firm_settings = settings.find(trigger.firm);
    if (firm_settings == settings.end()) {
      auto loaded = projections::LoadFirmSettings(models_, trigger.firm);
      if (!loaded.ok()) return loaded.error();
      firm_settings = settings.emplace(trigger.firm, std::move(*loaded)).first;
    }
    if (auto fired = Fire(trigger, firm_settings->second, now); !fired.ok()) return fired.error();
  }
  return due->size() == options_.page;
}

Result<void> Mailer::Fire(const domain::Trigger& trigger,
                          const std::map<std::string, domain::UserSettings>& settings, Micros now) {
  auto directory = directories_.Get(trigger.firm);
  if (!directory.ok()) return directory.error();
  domain::NotificationFacts facts;
  facts.directory = directory->get();
  facts.settings = &settings;
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
      // The thread's shape from the record; the text of the one item the
      // mails may quote.
      facts.conversation = &conversation->state;
      facts.items = ItemsOf(conversation->state);
      if (const std::uint64_t quoted = domain::QuotedOrdinal(trigger, facts.items);
          quoted >= 1 && quoted <= facts.items.size()) {
        auto entry = projections::LoadEntry(models_, trigger.conversation, quoted);
        if (!entry.ok()) return entry.error();
        if (*entry) {
          domain::NotifiedItem& item = facts.items[quoted - 1];
          item.body = (**entry).body;
          item.mentions = (**entry).mentions;
          item.at = (**entry).created_at;
        }
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
  return {};
}

Result<bool> Mailer::DeliverDue(Micros from, Micros now) {
  auto due = projections::DueMails(models_, from, now, options_.page);
  if (!due.ok()) return due.error();
  for (const projections::MailRecord& record : *due) {
    if (!MaySend()) {
      return Error::Unavailable("this server no longer holds the mailer lease; another one sends");
    }
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
    return recorded;
  }
  const bool permanent = sent.error().code == ErrorCode::kInvalidArgument;
  domain::MailFailed failed{record.firm, m.id,
                            attempt,     sent.error().message,
                            permanent,   permanent ? 0 : now + domain::RetryDelay(attempt),
                            now};
  std::cerr << "parleyd: mail " << m.id << " to " << m.to_address << " not delivered (attempt " << attempt
            << (permanent ? ", given up" : "") << "): " << sent.error().message << std::endl;
  return AppendOutbox(record.firm,
                      OutboxEventId(record.firm, "failed\n" + m.id + "\n" + std::to_string(attempt)), failed);
}

Result<void> Mailer::AppendOutbox(const std::string& firm, const std::string& event_id,
                                  const domain::OutboxEvent& event) {
  const eventstore::EventData data = EventDataOf(event, event_id, std::string(kMailerActor));
  const eventstore::LogPartition log = log_.ForFirm(firm);
  auto appended = log.Append(domain::OutboxStream(firm), eventstore::ExpectedVersion::Any(),
                                   std::span<const eventstore::EventData>(&data, 1));
  if (!appended.ok()) return appended.error();
  // The next scan must not see the work again.
  if (!projector_.WaitFor(log.index, appended->position, std::chrono::seconds(10)))
    return Error::Unavailable("the outbox read model is behind the log");
  return {};
}

}  // namespace parley::api
