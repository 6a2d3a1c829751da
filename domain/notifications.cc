#include "domain/notifications.h"

#include <algorithm>
#include <set>

#include "common/overloaded.h"
#include "common/sha256.h"

namespace parley::domain {
namespace {

// A recipient as the mail needs them; nullopt when they cannot get mail.
struct Recipient {
  const UserDefined* user = nullptr;
  Frequency frequency = Frequency::kImmediate;
  std::string language;
};

std::optional<Recipient> RecipientOf(const NotificationFacts& facts, const std::string& id,
                                     const std::string& dossier) {
  const UserDefined* user = facts.directory->User(id);
  if (user == nullptr || user->email.empty()) return std::nullopt;
  Recipient r{user, Frequency::kImmediate, user->language};
  if (auto it = facts.settings->find(id); it != facts.settings->end()) {
    r.frequency = it->second.frequency;
    if (!it->second.language.empty()) r.language = it->second.language;
  }
  if (r.language.empty()) {
    if (const DossierDefined* d = facts.directory->Dossier(dossier)) r.language = d->language;
  }
  if (r.language.empty() && facts.directory->firm) r.language = facts.directory->firm->default_language;
  if (!IsLanguage(r.language)) r.language = "fr";
  return r;
}

// The client users who see the conversation now (SPEC section 2).
std::vector<std::string> ClientsWhoSee(const Conversation& c, const Directory& directory) {
  std::vector<std::string> out;
  const DossierDefined* dossier = directory.Dossier(c.dossier);
  if (dossier == nullptr) return out;
  for (const DossierClient& client : dossier->clients) {
    const bool sees = c.audience.user.empty() ? client.profile == ClientProfile::kFullAccess
                                              : client.user == c.audience.user;
    if (sees) out.push_back(client.user);
  }
  return out;
}

// The staff participants who are still staff of the firm.
std::vector<std::string> StaffParticipants(const Conversation& c, const Directory& directory) {
  std::vector<std::string> out;
  for (const std::string& id : c.participants) {
    const UserDefined* user = directory.User(id);
    if (user != nullptr && user->kind == UserKind::kStaff) out.push_back(id);
  }
  return out;
}

bool HasRead(const Conversation& c, const std::string& user, std::uint64_t ordinal) {
  auto it = c.read_up_to.find(user);
  return it != c.read_up_to.end() && it->second >= ordinal;
}

const NotifiedItem* ItemAt(const std::vector<NotifiedItem>& items, std::uint64_t ordinal) {
  if (ordinal == 0 || ordinal > items.size()) return nullptr;
  return &items[ordinal - 1];
}

std::string NameOf(const Directory& directory, const std::string& user) {
  const UserDefined* u = directory.User(user);
  return u ? u->name : user;
}

std::string DossierName(const Directory& directory, const std::string& dossier) {
  const DossierDefined* d = directory.Dossier(dossier);
  return d ? d->name : dossier;
}

std::string FirmName(const Directory& directory) {
  return directory.firm ? directory.firm->name : std::string();
}

std::string ConversationLink(const NotificationFacts& facts, const std::string& conversation) {
  return facts.public_url + "/conversations/" + conversation;
}

// One mail id per trigger and recipient: the same on every retry.
std::string MailId(const Trigger& trigger, const std::string& user) {
  return "ml" + ToHex(Sha256(trigger.firm + "\n" + trigger.Id() + "\n" + user)).substr(0, 24);
}

class Decision {
 public:
  Decision(const Trigger& trigger, const NotificationFacts& facts, Micros now)
      : trigger_(trigger), facts_(facts) {
    out_.firm = trigger.firm;
    out_.trigger = trigger;
    out_.at = now;
  }

  // A mail to `user` about the conversation, or the item held for their
  // digest; nothing for those who chose `never`.
  void Tell(const std::string& user, MailKind kind, const NotifiedItem* item, bool may_digest) {
    const Conversation& c = *facts_.conversation;
    auto recipient = RecipientOf(facts_, user, c.dossier);
    if (!recipient || recipient->frequency == Frequency::kNever) return;
    if (!told_.insert(user).second) return;
    if (may_digest && item != nullptr &&
        (recipient->frequency == Frequency::kHourly || recipient->frequency == Frequency::kDaily)) {
      // The window after the decision, not after the item: a mailer running
      // late never holds an item for a digest already sent.
      out_.held.push_back(
          {user, c.id, trigger_.ordinal, kind, DigestWindowEnd(recipient->frequency, out_.at)});
      return;
    }
    const bool staff = recipient->user->kind == UserKind::kStaff;
    MailFacts mail;
    mail.kind = kind;
    mail.language = recipient->language;
    mail.recipient_is_staff = staff;
    mail.recipient_name = recipient->user->name;
    mail.firm_name = FirmName(*facts_.directory);
    mail.dossier_name = DossierName(*facts_.directory, c.dossier);
    mail.conversation_subject = c.subject;
    mail.link = ConversationLink(facts_, c.id);
    if (item != nullptr) {
      mail.sender_name = NameOf(*facts_.directory, item->author);
      mail.posted_at = item->at;
      // A client is never shown a note, nor a nudge's text (they read it
      // in the portal).
      const bool quotable = !item->deleted && (staff || (!item->note && kind != MailKind::kUnreadNudge));
      if (quotable) mail.excerpt = item->body;
    }
    if (kind == MailKind::kReminder) {
      mail.reminder_number = trigger_.kind == TriggerKind::kReminder ? trigger_.reminder : 0;
      mail.reminder_count = trigger_.kind == TriggerKind::kReminder ? c.reminders.count : 0;
    }
    mail.accepts_reply = true;
    Queue(user, *recipient, kind, c.id, RenderMail(mail), mail.link, true);
  }

  void Queue(const std::string& user, const Recipient& recipient, MailKind kind,
             const std::string& conversation, const MailText& text, const std::string& link,
             bool accepts_reply) {
    QueuedMail m;
    m.id = MailId(trigger_, user);
    m.user = user;
    m.to_name = recipient.user->name;
    m.to_address = recipient.user->email;
    m.language = recipient.language;
    m.kind = kind;
    m.conversation = conversation;
    m.subject = text.subject;
    m.body = text.body;
    m.link = link;
    m.from_name = FirmName(*facts_.directory);
    m.accepts_reply = accepts_reply;
    out_.mails.push_back(std::move(m));
  }

  NotificationsDecided& out() { return out_; }

 private:
  const Trigger& trigger_;
  const NotificationFacts& facts_;
  NotificationsDecided out_;
  std::set<std::string> told_;  // one mail per recipient and trigger
};

void DecideActivity(Decision& d, const Trigger& t, const NotificationFacts& facts) {
  const Conversation& c = *facts.conversation;
  const NotifiedItem* item = ItemAt(facts.items, t.ordinal);
  if (item == nullptr || item->deleted) return;
  const Directory& directory = *facts.directory;
  const bool first = t.ordinal == 1;
  auto kind_for = [&](const std::string& user) {
    if (std::find(item->mentions.begin(), item->mentions.end(), user) != item->mentions.end())
      return MailKind::kMention;
    if (item->note) return MailKind::kNote;
    return first ? MailKind::kNewConversation : MailKind::kNewMessage;
  };
  std::vector<std::string> recipients;
  if (!item->note && item->side == Side::kFirm) recipients = ClientsWhoSee(c, directory);
  for (const std::string& staff : StaffParticipants(c, directory)) recipients.push_back(staff);
  for (const std::string& user : recipients) {
    if (user == item->author || HasRead(c, user, t.ordinal)) continue;
    d.Tell(user, kind_for(user), item, true);
  }
}

void DecideNudge(Decision& d, const Trigger& t, const NotificationFacts& facts) {
  const Conversation& c = *facts.conversation;
  const NotifiedItem* item = ItemAt(facts.items, t.ordinal);
  if (item == nullptr || item->deleted || item->note || c.status == Status::kClosed) return;
  // A later live message of the same side brings its own nudge.
  for (std::uint64_t k = t.ordinal + 1; k <= facts.items.size(); ++k) {
    const NotifiedItem& later = facts.items[k - 1];
    if (!later.note && !later.deleted && later.side == item->side) return;
  }
  const std::vector<std::string> recipients =
      item->side == Side::kFirm ? ClientsWhoSee(c, *facts.directory) : StaffParticipants(c, *facts.directory);
  for (const std::string& user : recipients) {
    if (user == item->author || HasRead(c, user, t.ordinal)) continue;
    d.Tell(user, MailKind::kUnreadNudge, item, false);
  }
}

// The last live public message of the firm, if it is the last one of all.
const NotifiedItem* AwaitedFirmMessage(const std::vector<NotifiedItem>& items) {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->note || it->deleted) continue;
    return it->side == Side::kFirm ? &*it : nullptr;
  }
  return nullptr;
}

void DecideReminder(Decision& d, const Trigger& t, const NotificationFacts& facts) {
  const Conversation& c = *facts.conversation;
  if (c.status == Status::kClosed) return;
  const NotifiedItem* awaited = AwaitedFirmMessage(facts.items);
  // By hand, staff remind whatever the last message; automatic ones only
  // while the client owes an answer and reminders are on.
  if (t.kind == TriggerKind::kReminder && (!c.reminders.enabled || awaited == nullptr)) return;
  for (const std::string& user : ClientsWhoSee(c, *facts.directory))
    d.Tell(user, MailKind::kReminder, awaited, false);
}

void DecideDigest(Decision& d, const Trigger& t, const NotificationFacts& facts) {
  d.out().absorbed = facts.held;
  const Directory& directory = *facts.directory;
  const UserDefined* user = directory.User(t.user);
  if (user == nullptr) return;
  std::vector<DigestLine> lines;
  std::map<std::string, std::size_t> line_of;  // conversation -> index in lines
  std::string first_dossier;
  for (const HeldItem& held : facts.held) {
    auto found = facts.held_conversations.find(held.conversation);
    if (found == facts.held_conversations.end() || found->second.first == nullptr) continue;
    const Conversation& c = *found->second.first;
    const NotifiedItem* item = ItemAt(found->second.second, held.ordinal);
    if (item == nullptr || item->deleted || HasRead(c, t.user, held.ordinal)) continue;
    // Who sees what may have changed since the item was held.
    const bool staff = user->kind == UserKind::kStaff;
    if (!staff) {
      auto clients = ClientsWhoSee(c, directory);
      if (item->note || std::find(clients.begin(), clients.end(), t.user) == clients.end()) continue;
    }
    auto [it, added] = line_of.emplace(c.id, lines.size());
    if (added) {
      lines.push_back({DossierName(directory, c.dossier), c.subject, ConversationLink(facts, c.id)});
      if (first_dossier.empty()) first_dossier = c.dossier;
    }
    DigestLine& line = lines[it->second];
    if (item->note) {
      ++line.notes;
    } else {
      ++line.messages;
    }
    if (held.kind == MailKind::kMention) line.mentioned = true;
    if (held.kind == MailKind::kNewConversation) line.new_conversation = true;
  }
  if (lines.empty()) return;
  auto recipient = RecipientOf(facts, t.user, first_dossier);
  if (!recipient || recipient->frequency == Frequency::kNever) return;
  MailFacts mail;
  mail.kind = MailKind::kDigest;
  mail.language = recipient->language;
  mail.recipient_is_staff = user->kind == UserKind::kStaff;
  mail.recipient_name = user->name;
  mail.firm_name = FirmName(directory);
  mail.link = facts.public_url + "/conversations";
  mail.hourly = recipient->frequency == Frequency::kHourly;
  mail.digest = std::move(lines);
  mail.accepts_reply = false;
  d.Queue(t.user, *recipient, MailKind::kDigest, "", RenderMail(mail), mail.link, false);
}

}  // namespace

Micros DigestWindowEnd(Frequency frequency, Micros at) {
  if (frequency == Frequency::kHourly) return (at / kHour + 1) * kHour;
  // The next 07:00 UTC strictly after `at`.
  Micros day_start = at / kDay * kDay;
  Micros next = day_start + kDailyDigestHour;
  return next > at ? next : next + kDay;
}

std::string Trigger::Id() const {
  switch (kind) {
    case TriggerKind::kActivity:
      return "a/" + conversation + "/" + std::to_string(ordinal);
    case TriggerKind::kNudge:
      return "n/" + conversation + "/" + std::to_string(ordinal);
    case TriggerKind::kReminder:
      return "r/" + conversation + "/" + std::to_string(serial) + "/" + std::to_string(reminder);
    case TriggerKind::kResend:
      return "s/" + conversation + "/" + std::to_string(serial);
    case TriggerKind::kDigest:
      return "d/" + firm + "/" + user + "/" + std::to_string(due);
  }
  return {};
}

const char* TypeName(const OutboxEvent& event) {
  return std::visit(Overloaded{
                        [](const NotificationsDecided&) { return "NotificationsDecided"; },
                        [](const MailSent&) { return "MailSent"; },
                        [](const MailFailed&) { return "MailFailed"; },
                    },
                    event);
}

Micros RetryDelay(int attempts) {
  constexpr Micros kFirst = 60LL * 1'000'000, kMost = 6 * kHour;
  Micros delay = kFirst;
  for (int i = 1; i < attempts && delay < kMost; ++i) delay *= 2;
  return std::min(delay, kMost);
}

std::uint64_t QuotedOrdinal(const Trigger& trigger, const std::vector<NotifiedItem>& items) {
  switch (trigger.kind) {
    case TriggerKind::kActivity:
    case TriggerKind::kNudge:
      return trigger.ordinal;
    case TriggerKind::kReminder:
    case TriggerKind::kResend:
      if (const NotifiedItem* awaited = AwaitedFirmMessage(items)) return awaited - items.data() + 1;
      return 0;
    case TriggerKind::kDigest:
      return 0;
  }
  return 0;
}

NotificationsDecided DecideNotifications(const Trigger& trigger, const NotificationFacts& facts, Micros now) {
  Decision d(trigger, facts, now);
  if (facts.directory == nullptr || facts.settings == nullptr) return std::move(d.out());
  if (trigger.kind == TriggerKind::kDigest) {
    DecideDigest(d, trigger, facts);
    return std::move(d.out());
  }
  if (facts.conversation == nullptr || !facts.conversation->exists) return std::move(d.out());
  switch (trigger.kind) {
    case TriggerKind::kActivity:
      DecideActivity(d, trigger, facts);
      break;
    case TriggerKind::kNudge:
      DecideNudge(d, trigger, facts);
      break;
    case TriggerKind::kReminder:
    case TriggerKind::kResend:
      DecideReminder(d, trigger, facts);
      break;
    case TriggerKind::kDigest:
      break;
  }
  return std::move(d.out());
}

}  // namespace parley::domain
