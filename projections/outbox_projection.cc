#include "projections/outbox_projection.h"

#include <boost/json.hpp>

#include <cstdio>

#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {
namespace {

namespace json = boost::json;
using domain::Trigger;
using domain::TriggerKind;

// 16 hex digits: keys sort as the times do.
std::string TimeKey(Micros at) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(at < 0 ? 0 : at));
  return buf;
}

std::string TriggerKey(const Trigger& t) {
  return "t/" + TimeKey(t.due) + "/" + t.Id();
}
std::string HeldKey(const std::string& firm, const domain::HeldItem& h) {
  return "h/" + firm + "/" + h.user + "/" + TimeKey(h.window_end) + "/" + h.conversation + "/" +
         std::to_string(h.ordinal);
}
std::string SendKey(Micros at, const std::string& mail) {
  return "s/" + TimeKey(at) + "/" + mail;
}

std::string Str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}
std::int64_t Int(const json::value& v) {
  return v.is_int64() ? v.as_int64() : v.is_uint64() ? static_cast<std::int64_t>(v.as_uint64()) : 0;
}
const json::value& At(const json::object& o, std::string_view key) {
  static const json::value kNull;
  const json::value* v = o.if_contains(key);
  return v ? *v : kNull;
}

Result<json::object> Parse(std::string_view text, const char* what) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Corruption(std::string("a stored ") + what + " is not JSON", 0);
  return std::move(v.as_object());
}

std::string EncodeTrigger(const Trigger& t) {
  return json::serialize(json::object{{"k", static_cast<int>(t.kind)},
                                      {"f", t.firm},
                                      {"c", t.conversation},
                                      {"o", t.ordinal},
                                      {"r", t.reminder},
                                      {"s", t.serial},
                                      {"u", t.user},
                                      {"d", t.due}});
}
Result<Trigger> DecodeTrigger(std::string_view text) {
  auto o = Parse(text, "trigger");
  if (!o.ok()) return o.error();
  Trigger t;
  t.kind = static_cast<TriggerKind>(Int(At(*o, "k")));
  t.firm = Str(At(*o, "f"));
  t.conversation = Str(At(*o, "c"));
  t.ordinal = static_cast<std::uint64_t>(Int(At(*o, "o")));
  t.reminder = static_cast<int>(Int(At(*o, "r")));
  t.serial = static_cast<std::uint64_t>(Int(At(*o, "s")));
  t.user = Str(At(*o, "u"));
  t.due = Int(At(*o, "d"));
  return t;
}

std::string EncodeHeld(const domain::HeldItem& h) {
  return json::serialize(json::object{{"u", h.user},
                                      {"c", h.conversation},
                                      {"o", h.ordinal},
                                      {"k", static_cast<int>(h.kind)},
                                      {"w", h.window_end}});
}
Result<domain::HeldItem> DecodeHeld(std::string_view text) {
  auto o = Parse(text, "held item");
  if (!o.ok()) return o.error();
  return domain::HeldItem{Str(At(*o, "u")), Str(At(*o, "c")), static_cast<std::uint64_t>(Int(At(*o, "o"))),
                          static_cast<domain::MailKind>(Int(At(*o, "k"))), Int(At(*o, "w"))};
}

std::string EncodeMail(const MailRecord& r) {
  const domain::QueuedMail& m = r.mail;
  return json::serialize(json::object{{"firm", r.firm},
                                      {"id", m.id},
                                      {"user", m.user},
                                      {"to_name", m.to_name},
                                      {"to_address", m.to_address},
                                      {"language", m.language},
                                      {"kind", static_cast<int>(m.kind)},
                                      {"conversation", m.conversation},
                                      {"subject", m.subject},
                                      {"body", m.body},
                                      {"link", m.link},
                                      {"from_name", m.from_name},
                                      {"accepts_reply", m.accepts_reply},
                                      {"status", r.status},
                                      {"attempts", r.attempts},
                                      {"last_error", r.last_error},
                                      {"queued_at", r.queued_at},
                                      {"next_attempt", r.next_attempt},
                                      {"sent_at", r.sent_at}});
}
Result<MailRecord> DecodeMail(std::string_view text) {
  auto parsed = Parse(text, "mail");
  if (!parsed.ok()) return parsed.error();
  const json::object& o = *parsed;
  MailRecord r;
  r.firm = Str(At(o, "firm"));
  domain::QueuedMail& m = r.mail;
  m.id = Str(At(o, "id"));
  m.user = Str(At(o, "user"));
  m.to_name = Str(At(o, "to_name"));
  m.to_address = Str(At(o, "to_address"));
  m.language = Str(At(o, "language"));
  m.kind = static_cast<domain::MailKind>(Int(At(o, "kind")));
  m.conversation = Str(At(o, "conversation"));
  m.subject = Str(At(o, "subject"));
  m.body = Str(At(o, "body"));
  m.link = Str(At(o, "link"));
  m.from_name = Str(At(o, "from_name"));
  m.accepts_reply = At(o, "accepts_reply").is_bool() && At(o, "accepts_reply").as_bool();
  r.status = Str(At(o, "status"));
  r.attempts = static_cast<int>(Int(At(o, "attempts")));
  r.last_error = Str(At(o, "last_error"));
  r.queued_at = Int(At(o, "queued_at"));
  r.next_attempt = Int(At(o, "next_attempt"));
  r.sent_at = Int(At(o, "sent_at"));
  return r;
}

// What reminders need of one conversation.
struct ConversationState {
  std::string firm;
  bool open = true;
  bool awaiting = false;  // the last public message is the firm's
  Micros awaited_at = 0;  // ... posted then
  std::uint64_t items = 0;
  domain::Reminders reminders;
  std::uint64_t serial = 0;  // raised each time the schedule starts again
  int sent = 0;
  Micros reminder_due = 0;  // 0: none scheduled
};

std::string EncodeState(const ConversationState& s) {
  return json::serialize(json::object{{"firm", s.firm},
                                      {"open", s.open},
                                      {"awaiting", s.awaiting},
                                      {"awaited_at", s.awaited_at},
                                      {"items", s.items},
                                      {"enabled", s.reminders.enabled},
                                      {"every_days", s.reminders.every_days},
                                      {"count", s.reminders.count},
                                      {"serial", s.serial},
                                      {"sent", s.sent},
                                      {"reminder_due", s.reminder_due}});
}
Result<ConversationState> DecodeState(std::string_view text) {
  auto parsed = Parse(text, "conversation's reminders");
  if (!parsed.ok()) return parsed.error();
  const json::object& o = *parsed;
  ConversationState s;
  s.firm = Str(At(o, "firm"));
  s.open = At(o, "open").is_bool() && At(o, "open").as_bool();
  s.awaiting = At(o, "awaiting").is_bool() && At(o, "awaiting").as_bool();
  s.awaited_at = Int(At(o, "awaited_at"));
  s.items = static_cast<std::uint64_t>(Int(At(o, "items")));
  s.reminders.enabled = At(o, "enabled").is_bool() && At(o, "enabled").as_bool();
  s.reminders.every_days = static_cast<int>(Int(At(o, "every_days")));
  s.reminders.count = static_cast<int>(Int(At(o, "count")));
  s.serial = static_cast<std::uint64_t>(Int(At(o, "serial")));
  s.sent = static_cast<int>(Int(At(o, "sent")));
  s.reminder_due = Int(At(o, "reminder_due"));
  return s;
}

Micros Days(int days) {
  return static_cast<Micros>(days) * domain::kDay;
}

}  // namespace

class OutboxFold {
 public:
  OutboxFold(ReadModelWriter& writer, std::optional<Micros>& earliest)
      : writer_(writer), earliest_(earliest) {}

  void Added(Micros due) {
    if (!earliest_ || due < *earliest_) earliest_ = due;
  }
  void AddTrigger(const Trigger& t) {
    writer_.Put(TriggerKey(t), EncodeTrigger(t));
    Added(t.due);
  }

  // The scheduled reminder of `s`, if any, no longer stands.
  void CancelReminder(const std::string& conversation, ConversationState& s) {
    if (s.reminder_due == 0) return;
    Trigger t{TriggerKind::kReminder, s.firm, conversation};
    t.reminder = s.sent + 1;
    t.serial = s.serial;
    t.due = s.reminder_due;
    writer_.Delete(TriggerKey(t));
    s.reminder_due = 0;
  }

  // Schedules reminder number `s.sent + 1` at `due`, if reminders apply.
  void ScheduleReminder(const std::string& conversation, ConversationState& s, Micros due) {
    CancelReminder(conversation, s);
    if (!s.reminders.enabled || !s.open || !s.awaiting || s.sent >= s.reminders.count) return;
    Trigger t{TriggerKind::kReminder, s.firm, conversation};
    t.reminder = s.sent + 1;
    t.serial = s.serial;
    t.due = due;
    s.reminder_due = due;
    AddTrigger(t);
  }

  // A new cycle: the client owes an answer from `from` on.
  void RestartReminders(const std::string& conversation, ConversationState& s, Micros from) {
    CancelReminder(conversation, s);
    ++s.serial;
    s.sent = 0;
    ScheduleReminder(conversation, s, from + Days(s.reminders.every_days));
  }

  void Conversation(const std::string& conversation, const domain::Event& event, std::uint64_t version,
                    ConversationState& s) {
    auto item_triggers = [&](Micros at, bool nudge) {
      ++s.items;
      Trigger activity{TriggerKind::kActivity, s.firm, conversation, s.items};
      activity.due = at;
      AddTrigger(activity);
      if (!nudge) return;
      Trigger later = activity;
      later.kind = TriggerKind::kNudge;
      later.due = at + domain::kNudgeDelay;
      AddTrigger(later);
    };
    if (const auto* e = std::get_if<domain::ConversationStarted>(&event)) {
      s.firm = e->firm;
      s.reminders = e->reminders;
    } else if (const auto* e = std::get_if<domain::MessagePosted>(&event)) {
      item_triggers(e->at, true);
      if (e->side == domain::Side::kFirm) {
        s.awaiting = true;
        s.awaited_at = e->at;
        RestartReminders(conversation, s, e->at);
      } else {
        s.awaiting = false;
        CancelReminder(conversation, s);
      }
    } else if (const auto* e = std::get_if<domain::NoteAdded>(&event)) {
      item_triggers(e->at, false);
    } else if (std::get_if<domain::ConversationClosed>(&event)) {
      s.open = false;
      CancelReminder(conversation, s);
    } else if (const auto* e = std::get_if<domain::ConversationReopened>(&event)) {
      // As if the awaited message were new (SPEC section 7).
      s.open = true;
      RestartReminders(conversation, s, e->at);
    } else if (const auto* e = std::get_if<domain::RemindersSet>(&event)) {
      s.reminders = e->reminders;
      // Counted from the awaited message, but never due before the change.
      const Micros from = std::max(s.awaited_at, e->at - Days(s.reminders.every_days));
      RestartReminders(conversation, s, from);
    } else if (const auto* e = std::get_if<domain::ReminderRequested>(&event)) {
      Trigger resend{TriggerKind::kResend, s.firm, conversation};
      resend.serial = version;
      resend.due = e->at;
      AddTrigger(resend);
    }
  }

  Result<void> Decided(const domain::NotificationsDecided& e) {
    const Trigger& t = e.trigger;
    writer_.Delete(TriggerKey(t));
    if (t.kind == TriggerKind::kReminder) {
      const std::string key = "c/" + t.conversation;
      auto r = UpdateStored<ConversationState>(
          writer_, key, DecodeState,
          [&](ConversationState& s) {
            if (t.serial != s.serial || t.reminder != s.sent + 1) return;  // a schedule since replaced
            s.reminder_due = 0;
            s.sent = t.reminder;
            ScheduleReminder(t.conversation, s, t.due + Days(s.reminders.every_days));
          },
          EncodeState);
      if (!r.ok()) return r;
    }
    for (const domain::QueuedMail& m : e.mails) {
      MailRecord record{e.firm, m};
      record.queued_at = record.next_attempt = e.at;
      writer_.Put("m/" + m.id, EncodeMail(record));
      writer_.Put(SendKey(e.at, m.id), "");
      Added(e.at);
    }
    for (const domain::HeldItem& h : e.held) {
      writer_.Put(HeldKey(e.firm, h), EncodeHeld(h));
      Trigger digest{TriggerKind::kDigest, e.firm};
      digest.user = h.user;
      digest.due = h.window_end;
      AddTrigger(digest);
    }
    for (const domain::HeldItem& h : e.absorbed) writer_.Delete(HeldKey(e.firm, h));
    return {};
  }

  Result<void> Delivered(const std::string& mail, const std::function<void(MailRecord&)>& change) {
    auto stored = writer_.Get("m/" + mail);
    if (!stored.ok()) return stored.error();
    if (!stored->has_value()) return {};  // nothing to deliver by that id
    auto record = DecodeMail(**stored);
    if (!record.ok()) return record.error();
    if (record->status == "queued") writer_.Delete(SendKey(record->next_attempt, mail));
    change(*record);
    if (record->status == "queued") {
      writer_.Put(SendKey(record->next_attempt, mail), "");
      Added(record->next_attempt);
    }
    writer_.Put("m/" + mail, EncodeMail(*record));
    return {};
  }

 private:
  ReadModelWriter& writer_;
  std::optional<Micros>& earliest_;
};

namespace {

// Conversation events that schedule or cancel e-mail work; the others
// (reads, edits, deletes, participants) are looked at when a trigger fires.
bool Schedules(std::string_view type) {
  return type == "ConversationStarted" || type == "MessagePosted" || type == "NoteAdded" ||
         type == "ConversationClosed" || type == "ConversationReopened" || type == "RemindersSet" ||
         type == "ReminderRequested";
}

}  // namespace

Result<void> OutboxProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  OutboxFold fold(writer, earliest_added_);
  const std::string_view stream = event.stream();
  if (stream.starts_with(domain::kConversationStreamPrefix)) {
    if (!Schedules(event.type())) return {};
    auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
    if (!decoded.ok()) return decoded.error();
    const std::string conversation(stream.substr(domain::kConversationStreamPrefix.size()));
    return UpdateStored<ConversationState>(
        writer, "c/" + conversation, DecodeState,
        [&](ConversationState& s) { fold.Conversation(conversation, *decoded, event.stream_version(), s); },
        EncodeState);
  }
  if (!stream.starts_with(domain::kOutboxStreamPrefix)) return {};
  auto decoded = domain::DecodeOutboxEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  if (const auto* e = std::get_if<domain::NotificationsDecided>(&*decoded)) return fold.Decided(*e);
  if (const auto* e = std::get_if<domain::MailSent>(&*decoded)) {
    return fold.Delivered(e->mail, [&](MailRecord& r) {
      r.status = "sent";
      r.attempts = e->attempt;
      r.sent_at = e->at;
      r.last_error.clear();
    });
  }
  const auto& failed = std::get<domain::MailFailed>(*decoded);
  return fold.Delivered(failed.mail, [&](MailRecord& r) {
    r.attempts = failed.attempt;
    r.last_error = failed.error;
    if (failed.permanent) {
      r.status = "failed";
    } else {
      r.next_attempt = failed.retry_at;
    }
  });
}

void OutboxProjection::Stored() {
  if (!earliest_added_) return;
  const Micros earliest = *earliest_added_;
  earliest_added_.reset();
  if (notify_) notify_(earliest);
}

namespace {

// Values under `prefix` whose keys sort from `prefix + from` to `prefix + up_to`.
Result<std::vector<std::pair<std::string, std::string>>> ScanDue(ReadModelStore& store,
                                                                 const std::string& prefix, Micros from,
                                                                 Micros up_to, std::size_t limit) {
  auto rows = store.Scan(OutboxProjection::kName, prefix, prefix + TimeKey(from), limit);
  if (!rows.ok()) return rows.error();
  const std::string last = prefix + TimeKey(up_to) + "/\xff";
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& row : *rows) {
    if (row.first > last) break;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

Result<std::vector<Trigger>> DueTriggers(ReadModelStore& store, Micros from, Micros up_to,
                                         std::size_t limit) {
  auto rows = ScanDue(store, "t/", from, up_to, limit);
  if (!rows.ok()) return rows.error();
  std::vector<Trigger> out;
  for (const auto& [key, value] : *rows) {
    auto t = DecodeTrigger(value);
    if (!t.ok()) return t.error();
    out.push_back(std::move(*t));
  }
  return out;
}

Result<std::vector<MailRecord>> DueMails(ReadModelStore& store, Micros from, Micros up_to,
                                         std::size_t limit) {
  auto rows = ScanDue(store, "s/", from, up_to, limit);
  if (!rows.ok()) return rows.error();
  std::vector<MailRecord> out;
  for (const auto& [key, value] : *rows) {
    auto mail = LoadMail(store, key.substr(key.rfind('/') + 1));
    if (!mail.ok()) return mail.error();
    if (*mail) out.push_back(std::move(**mail));
  }
  return out;
}

Result<std::optional<Micros>> NextDue(ReadModelStore& store, Micros from) {
  std::optional<Micros> next;
  for (const std::string prefix : {"t/", "s/"}) {
    auto rows = store.Scan(OutboxProjection::kName, prefix, prefix + TimeKey(from), 1);
    if (!rows.ok()) return rows.error();
    if (rows->empty()) continue;
    const Micros at = static_cast<Micros>(std::stoull(rows->front().first.substr(2, 16), nullptr, 16));
    if (!next || at < *next) next = at;
  }
  return next;
}

Result<std::vector<domain::HeldItem>> HeldItems(ReadModelStore& store, const std::string& firm,
                                                const std::string& user, Micros window_end) {
  const std::string prefix = "h/" + firm + "/" + user + "/" + TimeKey(window_end) + "/";
  std::vector<domain::HeldItem> out;
  auto loaded = ForEachStored(store, OutboxProjection::kName, prefix,
                              [&](const std::string&, const std::string& value) -> Result<void> {
                                auto held = DecodeHeld(value);
                                if (!held.ok()) return held.error();
                                out.push_back(std::move(*held));
                                return {};
                              });
  if (!loaded.ok()) return loaded.error();
  return out;
}

Result<std::optional<MailRecord>> LoadMail(ReadModelStore& store, const std::string& mail) {
  auto stored = store.Get(OutboxProjection::kName, "m/" + mail);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<MailRecord>();
  auto record = DecodeMail(**stored);
  if (!record.ok()) return record.error();
  return std::optional<MailRecord>(std::move(*record));
}

Result<int> RemindersSent(ReadModelStore& store, const std::string& conversation) {
  auto stored = store.Get(OutboxProjection::kName, "c/" + conversation);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return 0;
  auto state = DecodeState(**stored);
  if (!state.ok()) return state.error();
  return state->sent;
}

}  // namespace parley::projections
