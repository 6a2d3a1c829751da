// The conversation aggregate: pure decide/evolve, no I/O.
//
// Decide(state, command, context) checks every rule of SPEC sections 2-4
// against the conversation's own state and what the directory says about
// the actor and the dossier, and returns the events to append or a typed
// error. Evolve(state, event) folds one event into the state. Time and ids
// come in as data (the command carries the ids the server chose).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/directory.h"

namespace parley::domain {

inline constexpr std::size_t kMaxSubjectChars = 200;
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

enum class Status { kNew, kInProgress, kClosed };
const char* ToString(Status status);

// Who sees a conversation on the client side: every full-access client of
// the dossier (empty user), or one client user (a private conversation).
struct Audience {
  std::string user;  // empty: the dossier
  bool operator==(const Audience&) const = default;
};

// A file uploaded earlier (upload id), or a document of the dossier's
// document store (external id and name).
struct AttachmentRef {
  std::string upload_id;
  std::string external_id;
  std::string name;
  bool operator==(const AttachmentRef&) const = default;
};

struct Reminders {
  bool enabled = false;
  int every_days = 3;
  int count = 1;
  bool operator==(const Reminders&) const = default;
};

// ---- Events: past-tense facts. `at` is when it happened. ----

struct ConversationStarted {
  std::string conversation, firm, dossier, subject;
  Audience audience;
  std::string started_by;
  Side starter_side;
  std::vector<std::string> participants;  // staff
  Reminders reminders;
  Micros at = 0;
  bool operator==(const ConversationStarted&) const = default;
};
struct MessagePosted {
  std::string message, author;
  Side side;
  std::string body;
  std::vector<AttachmentRef> attachments;
  std::vector<std::string> mentions;
  Micros at = 0;
  bool operator==(const MessagePosted&) const = default;
};
struct MessageEdited {
  std::string message, body;
  Micros at = 0;
  bool operator==(const MessageEdited&) const = default;
};
struct MessageDeleted {
  std::string message;
  Micros at = 0;
  bool operator==(const MessageDeleted&) const = default;
};
struct NoteAdded {
  std::string note, author, body;
  std::vector<std::string> mentions;
  Micros at = 0;
  bool operator==(const NoteAdded&) const = default;
};
struct ParticipantAdded {
  std::string user, by;
  bool by_mention = false;
  Micros at = 0;
  bool operator==(const ParticipantAdded&) const = default;
};
struct ReadMarked {
  std::string user;
  std::uint64_t up_to = 0;  // thread ordinal of the last item read
  Micros at = 0;
  bool operator==(const ReadMarked&) const = default;
};
struct ConversationClosed {
  std::string by;
  Micros at = 0;
  bool operator==(const ConversationClosed&) const = default;
};
struct ConversationReopened {
  std::string by;
  Micros at = 0;
  bool operator==(const ConversationReopened&) const = default;
};

// Staff changed the conversation's reminders (SPEC section 7).
struct RemindersSet {
  Reminders reminders;
  std::string by;
  Micros at = 0;
  bool operator==(const RemindersSet&) const = default;
};
// Staff asked for one more reminder e-mail, now.
struct ReminderRequested {
  std::string by;
  Micros at = 0;
  bool operator==(const ReminderRequested&) const = default;
};

using Event = std::variant<ConversationStarted, MessagePosted, MessageEdited, MessageDeleted, NoteAdded,
                           ParticipantAdded, ReadMarked, ConversationClosed, ConversationReopened,
                           RemindersSet, ReminderRequested>;
// The event's type name as stored in the envelope ("MessagePosted").
const char* TypeName(const Event& event);
// When it happened (every event carries `at`).
Micros TimeOf(const Event& event);

// ---- Commands ----

struct StartConversation {
  std::string conversation, message;  // ids chosen by the server
  std::string subject, body;
  Audience audience;
  std::vector<std::string> staff_participants;  // besides the defaults
  std::vector<AttachmentRef> attachments;
  std::vector<std::string> mentions;
  Reminders reminders;
};
struct PostMessage {
  std::string message, body;
  std::vector<AttachmentRef> attachments;
  std::vector<std::string> mentions;
};
struct EditMessage {
  std::string message, body;
};
struct DeleteMessage {
  std::string message;
};
struct AddNote {
  std::string note, body;
  std::vector<std::string> mentions;
};
struct MarkRead {
  std::string up_to;  // a message or note id; empty: the latest item
};
struct Close {};
struct Reopen {};
struct AddParticipant {
  std::string user;
};
// What is left out keeps its current value.
struct SetReminders {
  std::optional<bool> enabled;
  std::optional<int> every_days, count;
  // These changes over `current`.
  Reminders Over(const Reminders& current) const {
    return {enabled.value_or(current.enabled), every_days.value_or(current.every_days),
            count.value_or(current.count)};
  }
};
struct ResendReminder {};

using Command = std::variant<StartConversation, PostMessage, EditMessage, DeleteMessage, AddNote, MarkRead,
                             Close, Reopen, AddParticipant, SetReminders, ResendReminder>;

// ---- State ----

// One item of the thread: a public message or a staff-only note, in order.
struct ThreadItem {
  std::string id, author;
  Side side;
  bool note = false;
  bool deleted = false;
  std::uint64_t ordinal = 0;  // 1, 2, ... in thread order
};

struct Conversation {
  bool exists = false;
  std::string id, firm, dossier, subject;
  Audience audience;
  std::string started_by;
  Side starter_side = Side::kFirm;
  Status status = Status::kNew;
  std::set<std::string> participants;  // staff
  std::vector<ThreadItem> items;
  std::map<std::string, std::uint64_t> read_up_to;  // user -> ordinal
  std::string closed_by;
  Micros closed_at = 0, created_at = 0, last_activity_at = 0;
  Reminders reminders;

  const ThreadItem* Find(const std::string& item_id) const;
  // The side of the last public message that is not deleted, if any.
  std::optional<Side> LastPublicSide() const;
  bool NeedsStaffAction() const;
  bool NeedsClientAction() const;
  // Public messages (and notes, for staff) by others after the user's read position.
  std::uint64_t UnreadFor(const std::string& user, Side side) const;
};

// ---- Rules ----

// What the decision needs beyond the conversation's own state.
struct CommandContext {
  Actor actor;
  DossierAccess dossier;  // the dossier of the conversation (or being started in)
  Micros now = 0;
};

// May `actor` see `conversation` at all? (No: answer 404.)
bool CanSee(const Conversation& conversation, const Actor& actor, const DossierAccess& dossier);

Result<std::vector<Event>> Decide(const Conversation& state, const Command& command,
                                  const CommandContext& context);
void Evolve(Conversation& state, const Event& event);

// Counts Unicode code points; false if `text` is not valid UTF-8.
bool Utf8Length(std::string_view text, std::size_t& length);

}  // namespace parley::domain
