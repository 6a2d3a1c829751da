// Notifications (SPEC section 7): which e-mails a moment calls for, pure.
//
// The outbox read model keeps an index of *triggers* by due time: a new
// message or note (due at once), its unread nudge (2 hours later), the next
// reminder of a conversation, a reminder asked for by hand, and a user's
// digest window. When a trigger is due, the mailer gathers the facts (the
// conversation as it is now, the directory, everyone's settings) and calls
// DecideNotifications; the result is one NotificationsDecided event on the
// firm's outbox stream, whose id comes from the trigger, so that a trigger
// fires once however often the mailer looks at it. Delivery then records
// MailSent or MailFailed on the same stream.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/conversation.h"
#include "domain/directory.h"
#include "domain/notification_texts.h"
#include "domain/settings.h"

namespace parley::domain {

inline constexpr Micros kNudgeDelay = 2LL * 3600 * 1'000'000;  // SPEC: 2 hours after it was posted
inline constexpr Micros kHour = 3600LL * 1'000'000;
inline constexpr Micros kDay = 24 * kHour;
// Daily digests go out at 07:00 UTC (08:00 or 09:00 in Brussels and Paris).
inline constexpr Micros kDailyDigestHour = 7 * kHour;

// The end of the digest window that an item at `at` falls in, for a user
// with `frequency` (hourly or daily).
Micros DigestWindowEnd(Frequency frequency, Micros at);

// ---- Triggers ----

enum class TriggerKind { kActivity, kNudge, kReminder, kResend, kDigest };

struct Trigger {
  TriggerKind kind = TriggerKind::kActivity;
  std::string firm;
  std::string conversation;   // all but digests
  std::uint64_t ordinal = 0;  // activity and nudge: the thread item
  int reminder = 0;           // reminder: its number, 1..count
  std::uint64_t serial = 0;   // reminder: the schedule it belongs to; resend: the stream version
  std::string user;           // digest: whose
  Micros due = 0;

  // Unique per firing, stable: the outbox event's id derives from it.
  std::string Id() const;
  bool operator==(const Trigger&) const = default;
};

// ---- Outbox events: one stream per firm ----

struct QueuedMail {
  std::string id;  // its Message-ID derives from it
  std::string user, to_name, to_address, language;
  MailKind kind = MailKind::kNewMessage;
  std::string conversation;  // empty for a digest
  std::string subject, body, link;
  std::string from_name;  // the firm's name
  bool accepts_reply = false;
  bool operator==(const QueuedMail&) const = default;
};
// An item a digest user will read about at the end of the window.
struct HeldItem {
  std::string user, conversation;
  std::uint64_t ordinal = 0;
  MailKind kind = MailKind::kNewMessage;
  Micros window_end = 0;
  bool operator==(const HeldItem&) const = default;
};
struct NotificationsDecided {
  std::string firm;
  Trigger trigger;
  std::vector<QueuedMail> mails;
  std::vector<HeldItem> held;      // for digests to come
  std::vector<HeldItem> absorbed;  // a digest trigger: the items it covered
  Micros at = 0;
  bool operator==(const NotificationsDecided&) const = default;
};
struct MailSent {
  std::string firm, mail;
  int attempt = 1;
  Micros at = 0;
  bool operator==(const MailSent&) const = default;
};
struct MailFailed {
  std::string firm, mail;
  int attempt = 1;
  std::string error;
  bool permanent = false;  // the server refused it for good: no retry
  Micros retry_at = 0;
  Micros at = 0;
  bool operator==(const MailFailed&) const = default;
};
using OutboxEvent = std::variant<NotificationsDecided, MailSent, MailFailed>;
const char* TypeName(const OutboxEvent& event);

// When a failed delivery is tried again: 1 minute, then doubling, at most
// 6 hours apart.
Micros RetryDelay(int attempts);

// ---- Deciding ----

// One item of the thread as e-mails need it.
struct NotifiedItem {
  std::string id, author;
  Side side = Side::kFirm;
  bool note = false, deleted = false;
  std::string body;
  std::vector<std::string> mentions;
  Micros at = 0;
};

// Everything a trigger is decided on.
struct NotificationFacts {
  const Directory* directory = nullptr;                           // the firm's, now
  const std::map<std::string, UserSettings>* settings = nullptr;  // users who chose something
  const Conversation* conversation = nullptr;                     // now (all but digests)
  std::vector<NotifiedItem> items;                                // the conversation's thread, in order
  // Digest triggers: the items held for the user, and the conversations
  // they belong to with their threads.
  std::vector<HeldItem> held;
  std::map<std::string, std::pair<const Conversation*, std::vector<NotifiedItem>>> held_conversations;
  std::string public_url;  // links: <public_url>/conversations/<id>
};

// The thread ordinal whose text `trigger`'s mails may quote (0: none): the
// message or note it is about, or for a reminder the awaited firm message.
// The caller need load only that item's text.
std::uint64_t QuotedOrdinal(const Trigger& trigger, const std::vector<NotifiedItem>& items);

// The e-mails `trigger` calls for now. Recipients: for a message, the
// other side (the clients who see it, or the staff participants) and the
// other staff participants; for a note, the other staff participants;
// mentioned users get a mention. Nobody gets mail about what they have
// read, nor with frequency `never`; hourly and daily users get the item
// held for their digest. A nudge goes to whoever has not read the message
// 2 hours on, unless a later message of the same side will nudge them; a
// reminder to the clients while the last public message is the firm's.
// A client never gets a note, nor is told of one.
NotificationsDecided DecideNotifications(const Trigger& trigger, const NotificationFacts& facts, Micros now);

}  // namespace parley::domain
