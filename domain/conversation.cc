#include "domain/conversation.h"

#include <algorithm>

#include "common/overloaded.h"

namespace parley::domain {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

Result<void> CheckBody(const std::string& body, bool has_attachments) {
  if (body.size() > kMaxBodyBytes) return Error::TooLarge("The message is longer than 64 KiB.");
  std::size_t chars = 0;
  if (!Utf8Length(body, chars)) return Error::InvalidArgument("The message is not valid UTF-8 text.");
  if (body.empty() && !has_attachments) {
    return Error::InvalidArgument("A message needs some text or an attachment.");
  }
  return {};
}

Result<void> CheckAttachments(const std::vector<AttachmentRef>& attachments) {
  for (const AttachmentRef& a : attachments) {
    const bool upload = !a.upload_id.empty();
    const bool external = !a.external_id.empty();
    if (upload == external) {
      return Error::InvalidArgument(
          "An attachment is either an uploaded file id or a document's external id.");
    }
    if (external && a.name.empty()) return Error::InvalidArgument("A document attachment needs a name.");
  }
  return {};
}

Result<void> CheckSubject(const std::string& subject) {
  std::size_t chars = 0;
  if (!Utf8Length(subject, chars)) return Error::InvalidArgument("The subject is not valid UTF-8 text.");
  if (IsBlank(subject)) return Error::InvalidArgument("The subject is required.");
  if (chars > kMaxSubjectChars) return Error::InvalidArgument("The subject is longer than 200 characters.");
  return {};
}

Result<void> CheckReminders(const Reminders& r) {
  if (r.every_days < 1 || r.every_days > 365) {
    return Error::InvalidArgument("Reminders go out every 1 to 365 days.");
  }
  if (r.count < 1 || r.count > 20) return Error::InvalidArgument("A conversation sends 1 to 20 reminders.");
  return {};
}

// Checks who a message or note mentions, and returns the staff it makes
// participants. Clients may mention only people who can see the
// conversation; notes may mention staff only, never a client.
Result<std::vector<std::string>> CheckMentions(const Conversation& conversation, const Actor& actor,
                                               const DossierAccess& dossier,
                                               const std::vector<std::string>& mentions, bool in_note) {
  std::vector<std::string> new_participants;
  for (const std::string& user : mentions) {
    if (dossier.IsStaff(user)) {
      if (actor.is_client() && !conversation.participants.count(user)) {
        return Error::InvalidArgument("You can only mention people taking part in this conversation.");
      }
      if (!conversation.participants.count(user) && !Contains(new_participants, user)) {
        new_participants.push_back(user);
      }
      continue;
    }
    Actor mentioned{user, UserKind::kClient, StaffRole::kNone};
    if (in_note || !dossier.HasClient(user) || !CanSee(conversation, mentioned, dossier)) {
      return Error::InvalidArgument(in_note ? "A private note can only mention staff of the firm."
                                            : "User " + user + " cannot be mentioned in this conversation.");
    }
  }
  return new_participants;
}

// The events that make `users` participants, skipping those who already are.
void AddParticipants(const Conversation& c, const std::vector<std::string>& users, const std::string& by,
                     bool by_mention, Micros now, std::vector<Event>& out) {
  for (const std::string& user : users) {
    if (!c.participants.count(user)) out.push_back(ParticipantAdded{user, by, by_mention, now});
  }
}

// Common checks before acting on an existing conversation.
Result<void> CheckVisible(const Conversation& c, const CommandContext& ctx) {
  if (!c.exists || !CanSee(c, ctx.actor, ctx.dossier)) {
    return Error::NotFound("There is no such conversation.");
  }
  return {};
}

Result<std::vector<Event>> DecideStart(const Conversation& c, const StartConversation& cmd,
                                       const CommandContext& ctx) {
  const Actor& actor = ctx.actor;
  const DossierAccess& dossier = ctx.dossier;
  if (c.exists) return Error::Conflict("A conversation with this id already exists.", 0);
  if (actor.is_client() && !dossier.HasClient(actor.id)) return Error::NotFound("There is no such dossier.");
  if (actor.is_staff() && !dossier.IsStaff(actor.id)) return Error::NotFound("There is no such dossier.");
  if (!actor.is_client() && !actor.is_staff()) {
    return Error::Forbidden("Only staff and client users start conversations.");
  }
  if (auto r = CheckSubject(cmd.subject); !r.ok()) return r.error();
  if (auto r = CheckBody(cmd.body, !cmd.attachments.empty()); !r.ok()) return r.error();
  if (auto r = CheckAttachments(cmd.attachments); !r.ok()) return r.error();
  if (!cmd.audience.user.empty() && !dossier.HasClient(cmd.audience.user)) {
    return Error::InvalidArgument("The audience must be a client user of this dossier.");
  }
  if (actor.is_client()) {
    if (!cmd.audience.user.empty() && cmd.audience.user != actor.id) {
      return Error::Forbidden("A client user can only start a private conversation for themselves.");
    }
    if (cmd.audience.user.empty() && !dossier.IsFullAccessClient(actor.id)) {
      return Error::Forbidden("A limited client user can only start conversations addressed to themselves.");
    }
    if (cmd.reminders.enabled) return Error::Forbidden("Only staff set reminders.");
  }
  if (cmd.reminders.enabled) {
    if (auto r = CheckReminders(cmd.reminders); !r.ok()) return r.error();
  }

  std::vector<std::string> participants;
  auto add = [&](const std::string& user) {
    if (!Contains(participants, user)) participants.push_back(user);
  };
  if (actor.is_staff()) {
    add(actor.id);
    for (const auto& u : dossier.default_for_staff_questions) add(u);
  } else {
    for (const auto& u : dossier.default_for_client_questions) add(u);
  }
  for (const auto& u : cmd.staff_participants) {
    if (!dossier.IsStaff(u))
      return Error::InvalidArgument("Participant " + u + " is not staff of this firm.");
    add(u);
  }

  ConversationStarted started{cmd.conversation, dossier.firm, dossier.dossier, cmd.subject,   cmd.audience,
                              actor.id,         actor.side(), participants,    cmd.reminders, ctx.now};
  Conversation after = c;
  Evolve(after, started);
  auto mentioned = CheckMentions(after, actor, dossier, cmd.mentions, false);
  if (!mentioned.ok()) return mentioned.error();

  std::vector<Event> events{started};
  AddParticipants(after, *mentioned, actor.id, true, ctx.now, events);
  events.push_back(
      MessagePosted{cmd.message, actor.id, actor.side(), cmd.body, cmd.attachments, cmd.mentions, ctx.now});
  return events;
}

Result<std::vector<Event>> DecidePost(const Conversation& c, const PostMessage& cmd,
                                      const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  if (c.status == Status::kClosed) return Error::ConversationClosed();
  if (!ctx.actor.is_staff() && !ctx.actor.is_client()) return Error::Forbidden("Only users post messages.");
  if (c.Find(cmd.message)) return Error::InvalidArgument("This message id is already used.");
  if (auto r = CheckBody(cmd.body, !cmd.attachments.empty()); !r.ok()) return r.error();
  if (auto r = CheckAttachments(cmd.attachments); !r.ok()) return r.error();
  auto mentioned = CheckMentions(c, ctx.actor, ctx.dossier, cmd.mentions, false);
  if (!mentioned.ok()) return mentioned.error();
  std::vector<Event> events;
  // Staff who answer take part from then on.
  if (ctx.actor.is_staff()) AddParticipants(c, {ctx.actor.id}, ctx.actor.id, false, ctx.now, events);
  AddParticipants(c, *mentioned, ctx.actor.id, true, ctx.now, events);
  events.push_back(MessagePosted{cmd.message, ctx.actor.id, ctx.actor.side(), cmd.body, cmd.attachments,
                                 cmd.mentions, ctx.now});
  return events;
}

// The author's own, live message `id`, for an edit or a delete.
Result<const ThreadItem*> OwnMessage(const Conversation& c, const std::string& id,
                                     const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  const ThreadItem* item = c.Find(id);
  if (!item || item->note || item->deleted) return Error::NotFound("There is no such message.");
  if (item->author != ctx.actor.id) return Error::Forbidden("Only its author can change a message.");
  if (c.status == Status::kClosed) return Error::ConversationClosed();
  return item;
}

Result<std::vector<Event>> DecideEdit(const Conversation& c, const EditMessage& cmd,
                                      const CommandContext& ctx) {
  auto item = OwnMessage(c, cmd.message, ctx);
  if (!item.ok()) return item.error();
  if (auto r = CheckBody(cmd.body, false); !r.ok()) return r.error();
  return std::vector<Event>{MessageEdited{cmd.message, cmd.body, ctx.now}};
}

Result<std::vector<Event>> DecideDelete(const Conversation& c, const DeleteMessage& cmd,
                                        const CommandContext& ctx) {
  auto item = OwnMessage(c, cmd.message, ctx);
  if (!item.ok()) return item.error();
  return std::vector<Event>{MessageDeleted{cmd.message, ctx.now}};
}

Result<std::vector<Event>> DecideNote(const Conversation& c, const AddNote& cmd, const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  if (!ctx.actor.is_staff()) return Error::Forbidden("Only staff of the firm add private notes.");
  if (c.status == Status::kClosed) return Error::ConversationClosed();
  if (c.Find(cmd.note)) return Error::InvalidArgument("This note id is already used.");
  if (auto r = CheckBody(cmd.body, false); !r.ok()) return r.error();
  auto mentioned = CheckMentions(c, ctx.actor, ctx.dossier, cmd.mentions, true);
  if (!mentioned.ok()) return mentioned.error();
  std::vector<Event> events;
  AddParticipants(c, {ctx.actor.id}, ctx.actor.id, false, ctx.now, events);
  AddParticipants(c, *mentioned, ctx.actor.id, true, ctx.now, events);
  events.push_back(NoteAdded{cmd.note, ctx.actor.id, cmd.body, cmd.mentions, ctx.now});
  return events;
}

Result<std::vector<Event>> DecideRead(const Conversation& c, const MarkRead& cmd, const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  const bool sees_notes = ctx.actor.is_staff();
  std::uint64_t target = 0;
  if (cmd.up_to.empty()) {
    for (const ThreadItem& item : c.items) {
      if (sees_notes || !item.note) target = item.ordinal;
    }
  } else {
    const ThreadItem* item = c.Find(cmd.up_to);
    if (!item || (item->note && !sees_notes)) return Error::NotFound("There is no such message.");
    target = item->ordinal;
  }
  auto current = c.read_up_to.find(ctx.actor.id);
  // Read state never goes backwards: reading an older message changes nothing.
  if (target == 0 || (current != c.read_up_to.end() && current->second >= target))
    return std::vector<Event>{};
  return std::vector<Event>{ReadMarked{ctx.actor.id, target, ctx.now}};
}

// Who may close or reopen (SPEC section 2).
Result<void> CheckCloser(const Conversation& c, const Actor& actor, bool reopen) {
  if (actor.is_staff()) {
    if (IsManager(actor.role) || c.started_by == actor.id) return {};
    return Error::Forbidden(reopen ? "An assistant can only reopen conversations they started."
                                   : "An assistant can only close conversations they started.");
  }
  if (actor.is_client()) {
    if (reopen) return Error::Forbidden("Only the firm can reopen a conversation.");
    if (c.starter_side == Side::kClient) return {};
    return Error::Forbidden("A client can only close conversations a client started.");
  }
  return Error::Forbidden("Only users close and reopen conversations.");
}

Result<std::vector<Event>> DecideClose(const Conversation& c, const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  if (auto r = CheckCloser(c, ctx.actor, false); !r.ok()) return r.error();
  if (c.status == Status::kClosed) return Error::ConversationClosed();
  return std::vector<Event>{ConversationClosed{ctx.actor.id, ctx.now}};
}

Result<std::vector<Event>> DecideReopen(const Conversation& c, const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  if (auto r = CheckCloser(c, ctx.actor, true); !r.ok()) return r.error();
  if (c.status != Status::kClosed) return Error::Conflict("The conversation is not closed.", 0);
  return std::vector<Event>{ConversationReopened{ctx.actor.id, ctx.now}};
}

Result<std::vector<Event>> DecideAddParticipant(const Conversation& c, const AddParticipant& cmd,
                                                const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  if (!ctx.actor.is_staff()) return Error::Forbidden("Only staff of the firm add participants.");
  if (!ctx.dossier.IsStaff(cmd.user)) return Error::InvalidArgument("Only staff of the firm can be added.");
  std::vector<Event> events;
  AddParticipants(c, {cmd.user}, ctx.actor.id, false, ctx.now, events);
  return events;
}

// Reminders chase the client: staff set them, on an open conversation.
Result<void> CheckReminderChange(const Conversation& c, const CommandContext& ctx) {
  if (auto r = CheckVisible(c, ctx); !r.ok()) return r.error();
  if (!ctx.actor.is_staff()) return Error::Forbidden("Only staff of the firm set reminders.");
  if (c.status == Status::kClosed) return Error::ConversationClosed();
  return {};
}

Result<std::vector<Event>> DecideSetReminders(const Conversation& c, const SetReminders& cmd,
                                              const CommandContext& ctx) {
  if (auto r = CheckReminderChange(c, ctx); !r.ok()) return r.error();
  const Reminders reminders = cmd.Over(c.reminders);
  if (auto r = CheckReminders(reminders); !r.ok()) return r.error();
  if (reminders == c.reminders) return std::vector<Event>{};
  return std::vector<Event>{RemindersSet{reminders, ctx.actor.id, ctx.now}};
}

Result<std::vector<Event>> DecideResendReminder(const Conversation& c, const CommandContext& ctx) {
  if (auto r = CheckReminderChange(c, ctx); !r.ok()) return r.error();
  return std::vector<Event>{ReminderRequested{ctx.actor.id, ctx.now}};
}

}  // namespace

const char* ToString(Status status) {
  switch (status) {
    case Status::kNew:
      return "new";
    case Status::kInProgress:
      return "in_progress";
    case Status::kClosed:
      return "closed";
  }
  return "new";
}

Micros TimeOf(const Event& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

const char* TypeName(const Event& event) {
  return std::visit(Overloaded{
                        [](const ConversationStarted&) { return "ConversationStarted"; },
                        [](const MessagePosted&) { return "MessagePosted"; },
                        [](const MessageEdited&) { return "MessageEdited"; },
                        [](const MessageDeleted&) { return "MessageDeleted"; },
                        [](const NoteAdded&) { return "NoteAdded"; },
                        [](const ParticipantAdded&) { return "ParticipantAdded"; },
                        [](const ReadMarked&) { return "ReadMarked"; },
                        [](const ConversationClosed&) { return "ConversationClosed"; },
                        [](const ConversationReopened&) { return "ConversationReopened"; },
                        [](const RemindersSet&) { return "RemindersSet"; },
                        [](const ReminderRequested&) { return "ReminderRequested"; },
                    },
                    event);
}

bool Utf8Length(std::string_view text, std::size_t& length) {
  length = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      n = 1, cp = c;
    } else if ((c >> 5) == 0x6) {
      n = 2, cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      n = 3, cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // No overlong forms, surrogates or code points past U+10FFFF.
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
    ++length;
  }
  return true;
}

const ThreadItem* Conversation::Find(const std::string& item_id) const {
  for (const ThreadItem& item : items) {
    if (item.id == item_id) return &item;
  }
  return nullptr;
}

std::optional<Side> Conversation::LastPublicSide() const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (!it->note && !it->deleted) return it->side;
  }
  return std::nullopt;
}

bool Conversation::NeedsStaffAction() const {
  return exists && status != Status::kClosed && LastPublicSide() == Side::kClient;
}

bool Conversation::NeedsClientAction() const {
  return exists && status != Status::kClosed && LastPublicSide() == Side::kFirm;
}

std::uint64_t Conversation::UnreadFor(const std::string& user, Side side) const {
  auto it = read_up_to.find(user);
  const std::uint64_t read = it == read_up_to.end() ? 0 : it->second;
  std::uint64_t unread = 0;
  for (const ThreadItem& item : items) {
    if (item.ordinal <= read || item.author == user || item.deleted) continue;
    if (item.note && side != Side::kFirm) continue;
    ++unread;
  }
  return unread;
}

bool CanSee(const Conversation& c, const Actor& actor, const DossierAccess& dossier) {
  if (!c.exists || c.firm != dossier.firm || c.dossier != dossier.dossier) return false;
  if (actor.is_staff()) return dossier.IsStaff(actor.id);
  if (!actor.is_client() || !dossier.HasClient(actor.id)) return false;
  return c.audience.user.empty() ? dossier.IsFullAccessClient(actor.id) : c.audience.user == actor.id;
}

Result<std::vector<Event>> Decide(const Conversation& state, const Command& command,
                                  const CommandContext& context) {
  return std::visit(Overloaded{
                        [&](const StartConversation& c) { return DecideStart(state, c, context); },
                        [&](const PostMessage& c) { return DecidePost(state, c, context); },
                        [&](const EditMessage& c) { return DecideEdit(state, c, context); },
                        [&](const DeleteMessage& c) { return DecideDelete(state, c, context); },
                        [&](const AddNote& c) { return DecideNote(state, c, context); },
                        [&](const MarkRead& c) { return DecideRead(state, c, context); },
                        [&](const Close&) { return DecideClose(state, context); },
                        [&](const Reopen&) { return DecideReopen(state, context); },
                        [&](const AddParticipant& c) { return DecideAddParticipant(state, c, context); },
                        [&](const SetReminders& c) { return DecideSetReminders(state, c, context); },
                        [&](const ResendReminder&) { return DecideResendReminder(state, context); },
                    },
                    command);
}

void Evolve(Conversation& s, const Event& event) {
  auto append_item = [&](const std::string& id, const std::string& author, Side side, bool note) {
    s.items.push_back(ThreadItem{id, author, side, note, false, s.items.size() + 1});
  };
  std::visit(Overloaded{
                 [&](const ConversationStarted& e) {
                   s.exists = true;
                   s.id = e.conversation;
                   s.firm = e.firm;
                   s.dossier = e.dossier;
                   s.subject = e.subject;
                   s.audience = e.audience;
                   s.started_by = e.started_by;
                   s.starter_side = e.starter_side;
                   s.status = Status::kNew;
                   s.participants.insert(e.participants.begin(), e.participants.end());
                   s.reminders = e.reminders;
                   s.created_at = s.last_activity_at = e.at;
                 },
                 [&](const MessagePosted& e) {
                   append_item(e.message, e.author, e.side, false);
                   // The other side answered at least once: in progress.
                   if (s.status == Status::kNew && e.side != s.starter_side) s.status = Status::kInProgress;
                   s.last_activity_at = e.at;
                 },
                 [&](const MessageEdited&) {},  // the text lives in the thread read model
                 [&](const MessageDeleted& e) {
                   for (ThreadItem& item : s.items) {
                     if (item.id == e.message) item.deleted = true;
                   }
                 },
                 // Notes never change the status nor what clients see,
                 // last activity included.
                 [&](const NoteAdded& e) { append_item(e.note, e.author, Side::kFirm, true); },
                 [&](const ParticipantAdded& e) { s.participants.insert(e.user); },
                 [&](const ReadMarked& e) {
                   auto& read = s.read_up_to[e.user];
                   read = std::max(read, e.up_to);
                 },
                 [&](const ConversationClosed& e) {
                   s.status = Status::kClosed;
                   s.closed_by = e.by;
                   s.closed_at = e.at;
                   s.last_activity_at = e.at;
                 },
                 [&](const ConversationReopened& e) {
                   s.status = Status::kInProgress;
                   s.closed_by.clear();
                   s.closed_at = 0;
                   s.last_activity_at = e.at;
                 },
                 [&](const RemindersSet& e) { s.reminders = e.reminders; },
                 [&](const ReminderRequested&) {},  // the outbox sends it
             },
             event);
}

}  // namespace parley::domain
