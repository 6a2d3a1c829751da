// The conversation half of the service: commands through RunCommand, and
// views of the conversations read model filtered for the caller. A client
// never gets a note, a read receipt, or a conversation it cannot see.
#include <algorithm>
#include <map>

#include "api/command_runner.h"
#include "api/json_fields.h"
#include "api/service.h"
#include "domain/conversation.h"
#include "domain/streams.h"
#include "projections/as_of.h"
#include "projections/conversation_projection.h"
#include "projections/event_json.h"
#include "projections/outbox_projection.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPage = 100;

std::string Initials(const std::string& name) {
  std::string out;
  bool start = true;
  for (unsigned char c : name) {
    if (c == ' ' || c == '-') {
      start = true;
    } else if (start) {
      if (c < 0x80) out.push_back(static_cast<char>(std::toupper(c)));
      start = false;
    }
  }
  return out;
}

// Views are built on one arena per request (a shared monotonic resource):
// a thread's JSON is many small values, and their mallocs and frees
// dominated the cost of a read.
json::storage_ptr RequestArena() {
  return json::make_shared_resource<json::monotonic_resource>();
}

json::object Author(const Service::Party& party, const projections::Entry& entry,
                    const json::storage_ptr& sp) {
  const domain::UserDefined* user = party.directory->User(entry.author);
  return json::object({{"id", entry.author},
                       {"side", domain::ToString(entry.side)},
                       {"name", user ? user->name : entry.author}},
                      sp);
}

json::array Strings(const std::vector<std::string>& list, const json::storage_ptr& sp) {
  json::array out(sp);
  out.reserve(list.size());
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

// Staff see which client users read each message and when: the first time
// a client's read position reached it. Positions only move forward, so
// each client's marks that raised it are searched by ordinal.
class Receipts {
 public:
  Receipts(const Service::Party& party, const projections::ConversationRecord& record) {
    std::map<std::string_view, std::size_t> index;
    for (const projections::ReadMark& mark : record.reads) {
      auto [it, added] = index.emplace(mark.user, readers_.size());
      if (added) {
        const domain::UserDefined* u = party.directory->User(mark.user);
        readers_.push_back({mark.user,
                            u && u->kind == domain::UserKind::kClient ? Initials(u->name) : "",
                            u && u->kind == domain::UserKind::kClient,
                            {}});
      }
      Reader& reader = readers_[it->second];
      if (reader.marks.empty() || mark.up_to > reader.marks.back()->up_to) reader.marks.push_back(&mark);
    }
  }

  json::array ReadBy(std::uint64_t ordinal, const json::storage_ptr& sp) const {
    json::array out(sp);
    for (const Reader& reader : readers_) {
      if (!reader.client) continue;
      auto first =
          std::lower_bound(reader.marks.begin(), reader.marks.end(), ordinal,
                           [](const projections::ReadMark* m, std::uint64_t o) { return m->up_to < o; });
      if (first == reader.marks.end()) continue;
      out.push_back(json::object(
          {{"user", reader.user}, {"initials", reader.initials}, {"at", FormatRfc3339((*first)->at)}}, sp));
    }
    return out;
  }

 private:
  struct Reader {
    std::string_view user;
    std::string initials;
    bool client;
    std::vector<const projections::ReadMark*> marks;  // each raised the position
  };
  std::vector<Reader> readers_;
};

json::value TimeOrNull(Micros at, const json::storage_ptr& sp) {
  return at == 0 ? json::value(nullptr, sp) : json::value(FormatRfc3339(at), sp);
}

json::object Summary(const Service::Party& party, const projections::ConversationRecord& record,
                     const json::storage_ptr& sp) {
  const domain::Conversation& c = record.state;
  const domain::Side side = party.actor.side();
  const std::uint64_t unread = c.UnreadFor(party.actor.id, side);
  const bool bold = side == domain::Side::kFirm ? (c.NeedsStaffAction() || unread > 0)
                                                : (unread > 0 || c.NeedsClientAction());
  json::array participants(sp);
  for (const auto& p : c.participants) participants.emplace_back(p);
  json::object o({{"id", c.id},
                  {"dossier", c.dossier},
                  {"subject", c.subject},
                  {"status", domain::ToString(c.status)},
                  {"audience", projections::AudienceJson(c.audience)},
                  {"started_by", {{"id", c.started_by}, {"side", domain::ToString(c.starter_side)}}},
                  {"participants", std::move(participants)},
                  {"created_at", FormatRfc3339(c.created_at)},
                  {"last_activity_at", FormatRfc3339(c.last_activity_at)},
                  {"closed_at", TimeOrNull(c.closed_at, sp)},
                  {"closed_by", c.closed_by.empty() ? json::value(nullptr) : json::value(c.closed_by, sp)},
                  {"version", record.version},
                  {"needs_staff_action", c.NeedsStaffAction()},
                  {"needs_client_action", c.NeedsClientAction()},
                  {"unread", unread},
                  {"bold", bold}},
                 sp);
  if (party.actor.is_staff()) {
    o["reminders"] = {{"enabled", c.reminders.enabled},
                      {"every_days", c.reminders.every_days},
                      {"count", c.reminders.count},
                      {"sent", record.reminders_sent}};
  }
  return o;
}

// One message or note as the caller sees it; `receipts` for staff only.
json::object ItemView(const Service::Party& party, const Receipts* receipts, const projections::Entry& entry,
                      std::uint64_t ordinal, const json::storage_ptr& sp) {
  json::object o({{"id", entry.id},
                  {"author", Author(party, entry, sp)},
                  {"created_at", FormatRfc3339(entry.created_at)},
                  {"mentions", Strings(entry.mentions, sp)}},
                 sp);
  if (entry.note) {
    o["body"] = entry.body;
    return o;
  }
  o["edited"] = entry.edited;
  o["deleted"] = entry.deleted;
  if (!entry.deleted) o["body"] = entry.body;
  json::array attachments(sp);
  for (const auto& a : entry.attachments) {
    if (!a.upload_id.empty()) {
      attachments.push_back(json::object({{"id", a.upload_id}, {"name", a.name}}, sp));
    } else {
      attachments.push_back(json::object(
          {{"external_id", a.external_id}, {"name", a.name}, {"source", "dossier_documents"}}, sp));
    }
  }
  o["attachments"] = std::move(attachments);
  o["delivered"] = true;
  // Receipts: staff see which clients read each message; clients never
  // learn whether staff have read theirs.
  if (receipts) o["read_by"] = receipts->ReadBy(ordinal, sp);
  return o;
}

json::object FullView(const Service::Party& party, const projections::ConversationRecord& record,
                      const std::vector<projections::Entry>& entries, const json::storage_ptr& sp) {
  const bool staff = party.actor.is_staff();
  std::optional<Receipts> receipts;
  if (staff) receipts.emplace(party, record);
  json::object o = Summary(party, record, sp);
  json::array messages(sp), notes(sp);
  messages.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const projections::Entry& entry = entries[i];
    if (entry.note) {
      if (staff) notes.push_back(ItemView(party, &*receipts, entry, i + 1, sp));
    } else {
      messages.push_back(ItemView(party, staff ? &*receipts : nullptr, entry, i + 1, sp));
    }
  }
  o["messages"] = std::move(messages);
  if (staff) o["notes"] = std::move(notes);
  return o;
}

// The counters of SPEC section 4 over the conversations a user sees.
struct CounterTally {
  std::int64_t staff_action = 0, client_action = 0, open = 0, closed = 0, unread = 0;

  void Add(const domain::Conversation& c, const domain::Actor& actor) {
    (c.status == domain::Status::kClosed ? closed : open)++;
    staff_action += c.NeedsStaffAction();
    client_action += c.NeedsClientAction();
    unread += c.UnreadFor(actor.id, actor.side()) > 0;
  }
  json::object Json() const {
    return {{"staff_action_needed", staff_action},
            {"client_action_needed", client_action},
            {"open", open},
            {"closed", closed},
            {"unread", unread}};
  }
};

Result<std::vector<domain::AttachmentRef>> AttachmentList(const json::object& body) {
  auto list = ArrayField(body, "attachments");
  if (!list.ok()) return list.error();
  std::vector<domain::AttachmentRef> out;
  for (const auto& v : **list) {
    if (v.is_string()) {
      out.push_back({std::string(v.as_string()), "", ""});
      continue;
    }
    if (!v.is_object())
      return Error::InvalidArgument("An attachment is an upload id or {external_id, name}.");
    domain::AttachmentRef ref;
    for (auto [field, target] : {std::pair{"id", &ref.upload_id}, std::pair{"external_id", &ref.external_id},
                                 std::pair{"name", &ref.name}}) {
      auto value = StringField(v.as_object(), field, false);
      if (!value.ok()) return value.error();
      *target = *value;
    }
    out.push_back(std::move(ref));
  }
  return out;
}

// `{enabled?, every_days?, count?}`, each left unset when left out.
Result<domain::SetReminders> RemindersField(const json::value& value) {
  if (!value.is_object()) return Error::InvalidArgument("\"reminders\" is {enabled, every_days, count}.");
  const auto& o = value.as_object();
  domain::SetReminders out;
  for (auto [name, target] : {std::pair{"every_days", &out.every_days}, std::pair{"count", &out.count}}) {
    const json::value* v = o.if_contains(name);
    if (!v) continue;
    if (!v->is_int64()) return Error::InvalidArgument(std::string("\"reminders.") + name + "\" is a number.");
    *target = static_cast<int>(std::clamp<std::int64_t>(v->as_int64(), -1, 100000));
  }
  if (const json::value* enabled = o.if_contains("enabled")) {
    if (!enabled->is_bool()) return Error::InvalidArgument("\"reminders.enabled\" is true or false.");
    out.enabled = enabled->as_bool();
  }
  return out;
}

}  // namespace

Result<Service::Party> Service::Resolve(const Claims& caller) {
  if (caller.platform_admin) return Error::Forbidden("A platform token takes no part in conversations.");
  auto directory = directories_.Get(caller.firm);
  if (!directory.ok()) return directory.error();
  auto actor = (*directory)->ActorFor(caller.subject);
  if (!actor) return Error::Unauthenticated("The bearer token names an unknown user.");
  return Party{std::move(*directory), *actor};
}

Result<std::pair<projections::ConversationRecord, domain::DossierAccess>> Service::Visible(
    const Party& party, const std::string& conversation) {
  const Error unseen = Error::NotFound("There is no such conversation.");
  auto record = projections::LoadRecord(models_, conversation);
  if (!record.ok()) return record.error();
  if (!record->has_value() || (**record).state.firm != party.directory->firm->firm) return unseen;
  auto access = party.directory->AccessFor((**record).state.dossier);
  if (!access || !domain::CanSee((**record).state, party.actor, *access)) return unseen;
  return std::make_pair(std::move(**record), std::move(*access));
}

Result<projections::ConversationRecord> Service::RunConversation(
    const Party& party, const domain::DossierAccess& access, const std::string& conversation,
    const domain::Command& command, const Caller* preconditions,
    const projections::ConversationRecord* known) {
  std::optional<Idempotency> idempotency;
  if (preconditions && !preconditions->idempotency_scope.empty()) {
    idempotency = Idempotency{preconditions->idempotency_scope, preconditions->body_sha};
  }
  // The read model's record is the domain state at its version (the same
  // Evolve folded it): start there rather than at the stream's first event.
  std::optional<Snapshot<domain::Conversation>> snapshot;
  if (known) snapshot = Snapshot<domain::Conversation>{known->state, known->version};
  auto outcome = RunCommand<domain::Conversation, domain::Event>(
      LogOf(party.directory->firm->firm), projector_, clock_, domain::ConversationStream(conversation), party.actor.id,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::Conversation& state, Micros now) {
        return domain::Decide(state, command, {party.actor, access, now});
      },
      preconditions ? preconditions->if_match : std::nullopt, idempotency ? &*idempotency : nullptr,
      snapshot ? &*snapshot : nullptr);
  if (!outcome.ok()) return outcome.error();
  auto record = projections::LoadRecord(models_, conversation);
  if (!record.ok()) return record.error();
  if (!record->has_value()) return Error::Internal("the conversation is missing from the read model");
  return std::move(**record);
}

Result<domain::StartConversation> Service::StartCommand(const Party& party,
                                                        const domain::DossierAccess& access,
                                                        const Caller& caller, const json::object& body) {
  const Micros now = clock_.Now();
  domain::StartConversation command;
  command.conversation = NewResourceId(caller, "c_", now);
  command.message = NewResourceId(caller, "m_", now);
  if (const json::value* audience = body.if_contains("audience"); audience && !audience->is_null()) {
    if (audience->is_object()) {
      auto user = StringField(audience->as_object(), "user", true);
      if (!user.ok()) return user.error();
      command.audience.user = *user;
    } else if (!audience->is_string() || audience->as_string() != "dossier") {
      return Error::InvalidArgument("\"audience\" is \"dossier\" or {\"user\": id}.");
    }
  }
  // From a template, the rendered subject and body, unless given too.
  const json::value* from_template = body.if_contains("template");
  if (from_template && !from_template->is_null()) {
    auto rendered = RenderTemplate(party, access, *from_template, command.audience.user);
    if (!rendered.ok()) return rendered.error();
    command.subject = std::move(rendered->subject);
    command.body = std::move(rendered->body);
  }
  const bool templated = from_template && !from_template->is_null();
  for (auto [field, target, required] :
       {std::tuple{"subject", &command.subject, !templated}, std::tuple{"body", &command.body, false}}) {
    auto value = StringField(body, field, required);
    if (!value.ok()) return value.error();
    if (body.contains(field) && !body.at(field).is_null()) *target = *value;
  }
  auto participants = StringList(body, "staff_participants");
  auto mentions = StringList(body, "mentions");
  auto attachments = AttachmentList(body);
  if (!participants.ok()) return participants.error();
  if (!mentions.ok()) return mentions.error();
  if (!attachments.ok()) return attachments.error();
  command.staff_participants = *participants;
  command.mentions = *mentions;
  command.attachments = *attachments;
  if (auto uploads = CheckUploads(party, access.dossier, command.attachments); !uploads.ok())
    return uploads.error();
  if (const json::value* r = body.if_contains("reminders"); r && !r->is_null()) {
    auto reminders = RemindersField(*r);
    if (!reminders.ok()) return reminders.error();
    command.reminders = reminders->Over(domain::Reminders{true, 3, 1});
  }
  return command;
}

Result<Written> Service::StartConversation(const Caller& caller, const std::string& dossier,
                                           const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto found = party->directory->AccessFor(dossier);
  if (!found) return Error::NotFound("There is no such dossier.");
  // Who takes part by default comes from each staff user's settings.
  auto access = WithParticipation(*party, std::move(*found));
  if (!access.ok()) return access.error();
  auto command = StartCommand(*party, *access, caller, body);
  if (!command.ok()) return command.error();
  auto record = RunConversation(*party, *access, command->conversation, *command, &caller);
  if (!record.ok()) return record.error();
  auto entries = projections::LoadEntries(models_, command->conversation);
  if (!entries.ok()) return entries.error();
  return Written{FullView(*party, *record, *entries, RequestArena()), true, record->version};
}

Result<json::object> Service::GetConversation(const Claims& caller, const std::string& conversation,
                                              std::optional<Micros> as_of) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto visible = Visible(*party, conversation);
  if (!visible.ok()) return visible.error();
  if (!as_of) {
    auto entries = projections::LoadEntries(models_, conversation);
    if (!entries.ok()) return entries.error();
    auto record = WithRemindersSent(visible->first);
    if (!record.ok()) return record.error();
    return FullView(*party, *record, *entries, RequestArena());
  }
  // As of then: what the caller may see now, as it was, if they could see
  // it then too (the directory of that time decides).
  const Error unseen = Error::NotFound("There is no such conversation at that time.");
  const std::string& firm = party->directory->firm->firm;
  eventstore::EventStore& log = LogOf(firm).store;
  auto then = projections::ConversationAsOf(log, conversation, *as_of);
  if (!then.ok()) return then.error();
  if (!then->has_value()) return unseen;
  auto directory = projections::DirectoryAsOf(log, firm, *as_of);
  if (!directory.ok()) return directory.error();
  auto access = directory->AccessFor(visible->second.dossier);
  if (!access || !domain::CanSee((**then).record.state, party->actor, *access)) return unseen;
  const Party then_party{std::make_shared<const domain::Directory>(std::move(*directory)), party->actor};
  return FullView(then_party, (**then).record, (**then).entries, RequestArena());
}

Result<domain::DossierAccess> Service::DossierFor(const Party& party, const std::string& dossier) {
  auto access = party.directory->AccessFor(dossier);
  if (!access || (party.actor.is_client() && !access->HasClient(party.actor.id)) ||
      (!party.actor.is_client() && !party.actor.is_staff())) {
    return Error::NotFound("There is no such dossier.");
  }
  return std::move(*access);
}

Result<std::string> Service::ForEachVisible(
    const Party& party, const domain::DossierAccess& access, const std::string& cursor,
    const std::function<bool(const projections::ConversationRecord&)>& visit) {
  std::optional<projections::ListCursor> after;
  if (!cursor.empty()) {
    after = projections::ListCursor::Parse(cursor);
    if (!after) return Error::InvalidArgument("\"cursor\" is a next_cursor from an earlier page.");
  }
  auto records = projections::DossierConversations(models_, access.firm, access.dossier);
  if (!records.ok()) return records.error();
  // Those the caller may not see are skipped; the cursor moves past each
  // one looked at.
  for (const auto& record : *records) {
    if (after && !after->Precedes(record)) continue;
    if (domain::CanSee(record.state, party.actor, access) && !visit(record))
      return projections::ListCursor::Of(record).ToString();
  }
  return std::string();
}

Result<json::object> Service::ListConversations(const Claims& caller, const std::string& dossier,
                                                const std::string& status, std::size_t limit,
                                                const std::string& cursor) {
  if (status != "open" && status != "closed" && status != "all") {
    return Error::InvalidArgument("\"status\" is open, closed or all.");
  }
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = DossierFor(*party, dossier);
  if (!access.ok()) return access.error();
  limit = std::clamp<std::size_t>(limit, 1, kMaxPage);
  const json::storage_ptr sp = RequestArena();
  json::array items(sp);
  auto next = ForEachVisible(*party, *access, cursor, [&](const projections::ConversationRecord& record) {
    const bool closed = record.state.status == domain::Status::kClosed;
    if ((status == "open" && closed) || (status == "closed" && !closed)) return true;
    items.push_back(Summary(*party, record, sp));
    return items.size() < limit;
  });
  if (!next.ok()) return next.error();
  return json::object({{"items", std::move(items)},
                       {"next_cursor", next->empty() ? json::value(nullptr) : json::value(*next)}},
                      sp);
}

Result<json::object> Service::CountersOf(const Party& party, const domain::DossierAccess& access) {
  CounterTally tally;
  auto done = ForEachVisible(party, access, "", [&](const projections::ConversationRecord& record) {
    tally.Add(record.state, party.actor);
    return true;
  });
  if (!done.ok()) return done.error();
  return tally.Json();
}

Result<void> Service::ForEachAsOf(const Party& party, const domain::DossierAccess& now, Micros as_of,
                                  const std::function<void(const domain::Conversation&)>& visit) {
  eventstore::EventStore& log = LogOf(now.firm).store;
  auto directory = projections::DirectoryAsOf(log, now.firm, as_of);
  if (!directory.ok()) return directory.error();
  auto then_access = directory->AccessFor(now.dossier);
  if (!then_access) return {};
  // Conversations are never removed: today's list holds every one that
  // existed then.
  std::optional<Error> failed;
  auto done = ForEachVisible(party, now, "", [&](const projections::ConversationRecord& record) {
    auto then = projections::ConversationAsOf(log, record.state.id, as_of);
    if (!then.ok()) {
      failed = then.error();
      return false;
    }
    if (!then->has_value()) return true;
    const domain::Conversation& c = (**then).record.state;
    if (domain::CanSee(c, party.actor, *then_access)) visit(c);
    return true;
  });
  if (!done.ok()) return done.error();
  if (failed) return *failed;
  return {};
}

Result<json::object> Service::Counters(const Claims& caller, const std::string& dossier,
                                       std::optional<Micros> as_of) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = DossierFor(*party, dossier);
  if (!access.ok()) return access.error();
  if (!as_of) return CountersOf(*party, *access);
  CounterTally tally;
  auto done = ForEachAsOf(*party, *access, *as_of,
                          [&](const domain::Conversation& c) { tally.Add(c, party->actor); });
  if (!done.ok()) return done.error();
  return tally.Json();
}

Result<json::object> Service::PartyCounters(const Party& party, const std::string& dossier) {
  auto access = DossierFor(party, dossier);
  if (!access.ok()) return access.error();
  return CountersOf(party, *access);
}

Result<json::object> Service::Inbox(const Claims& caller) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  json::array dossiers;
  json::object totals{
      {"staff_action_needed", 0}, {"client_action_needed", 0}, {"open", 0}, {"closed", 0}, {"unread", 0}};
  for (const auto& [id, dossier] : party->directory->dossiers) {
    const auto& clients = dossier.clients;
    const bool mine =
        party->actor.is_client()
            ? std::any_of(clients.begin(), clients.end(),
                          [&](const domain::DossierClient& c) { return c.user == party->actor.id; })
            : std::find(dossier.staff.begin(), dossier.staff.end(), party->actor.id) != dossier.staff.end();
    if (!mine) continue;
    auto access = DossierFor(*party, id);
    if (!access.ok()) continue;
    auto counters = CountersOf(*party, *access);
    if (!counters.ok()) return counters.error();
    for (auto& [key, value] : totals) value = value.as_int64() + counters->at(key).as_int64();
    dossiers.push_back({{"dossier", id},
                        {"name", dossier.name},
                        {"language", dossier.language},
                        {"counters", std::move(*counters)}});
  }
  return json::object{{"items", std::move(dossiers)}, {"totals", std::move(totals)}};
}

Result<std::pair<Service::Party, projections::ConversationRecord>> Service::Act(
    const Caller& caller, const std::string& conversation, domain::Command command) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto visible = Visible(*party, conversation);
  if (!visible.ok()) return visible.error();
  if (auto* post = std::get_if<domain::PostMessage>(&command)) {
    if (auto uploads = CheckUploads(*party, visible->second.dossier, post->attachments); !uploads.ok())
      return uploads.error();
  }
  auto record = RunConversation(*party, visible->second, conversation, command, &caller, &visible->first);
  if (!record.ok()) return record.error();
  return std::make_pair(std::move(*party), std::move(*record));
}

// The caller's view of one item of a conversation just written.
Result<Written> Service::ItemWritten(const Party& party, const projections::ConversationRecord& record,
                                     const std::string& item_id, bool created) {
  const domain::ThreadItem* found = record.state.Find(item_id);
  if (!found) return Error::Internal("the item is missing from the read model");
  auto entry = projections::LoadEntry(models_, record.state.id, found->ordinal);
  if (!entry.ok()) return entry.error();
  if (!entry->has_value()) return Error::Internal("the item is missing from the read model");
  const bool staff = party.actor.is_staff();
  std::optional<Receipts> receipts;
  if (staff) receipts.emplace(party, record);
  return Written{ItemView(party, staff ? &*receipts : nullptr, **entry, found->ordinal, json::storage_ptr()),
                 created, record.version};
}

// The caller's view of a whole conversation just written.
Result<Written> Service::ConversationWritten(const Party& party,
                                             const projections::ConversationRecord& record) {
  auto entries = projections::LoadEntries(models_, record.state.id);
  if (!entries.ok()) return entries.error();
  auto shown = WithRemindersSent(record);
  if (!shown.ok()) return shown.error();
  return Written{FullView(party, *shown, *entries, RequestArena()), false, record.version};
}

Result<projections::ConversationRecord> Service::WithRemindersSent(
    const projections::ConversationRecord& record) {
  auto sent = projections::RemindersSent(models_, record.state.id);
  if (!sent.ok()) return sent.error();
  projections::ConversationRecord shown = record;
  shown.reminders_sent = *sent;
  return shown;
}

Result<Written> Service::SetReminders(const Caller& caller, const std::string& conversation,
                                      const json::object& body) {
  // PUT: `enabled` always; a number left out keeps its current value.
  if (!body.contains("enabled")) return Error::InvalidArgument("\"enabled\" is required: true or false.");
  auto change = RemindersField(json::value(body));
  if (!change.ok()) return change.error();
  auto acted = Act(caller, conversation, *change);
  if (!acted.ok()) return acted.error();
  return ConversationWritten(acted->first, acted->second);
}

Result<Written> Service::ResendReminder(const Caller& caller, const std::string& conversation) {
  auto acted = Act(caller, conversation, domain::ResendReminder{});
  if (!acted.ok()) return acted.error();
  return ConversationWritten(acted->first, acted->second);
}

Result<Written> Service::PostMessage(const Caller& caller, const std::string& conversation,
                                     const json::object& body) {
  domain::PostMessage command;
  command.message = NewResourceId(caller, "m_", clock_.Now());
  auto text = StringField(body, "body", false);
  auto mentions = StringList(body, "mentions");
  auto attachments = AttachmentList(body);
  if (!text.ok()) return text.error();
  if (!mentions.ok()) return mentions.error();
  if (!attachments.ok()) return attachments.error();
  command.body = *text;
  command.mentions = *mentions;
  command.attachments = *attachments;
  auto acted = Act(caller, conversation, command);
  if (!acted.ok()) return acted.error();
  return ItemWritten(acted->first, acted->second, command.message, true);
}

Result<Written> Service::AddNote(const Caller& caller, const std::string& conversation,
                                 const json::object& body) {
  domain::AddNote command;
  command.note = NewResourceId(caller, "n_", clock_.Now());
  auto text = StringField(body, "body", true);
  auto mentions = StringList(body, "mentions");
  if (!text.ok()) return text.error();
  if (!mentions.ok()) return mentions.error();
  command.body = *text;
  command.mentions = *mentions;
  auto acted = Act(caller, conversation, command);
  if (!acted.ok()) return acted.error();
  return ItemWritten(acted->first, acted->second, command.note, true);
}

Result<void> Service::MarkRead(const Caller& caller, const std::string& conversation,
                               const json::object& body) {
  auto up_to = StringField(body, "up_to", false);
  if (!up_to.ok()) return up_to.error();
  auto acted = Act(caller, conversation, domain::MarkRead{*up_to});
  if (!acted.ok()) return acted.error();
  return {};
}

Result<Written> Service::CloseOrReopen(const Caller& caller, const std::string& conversation, bool reopen) {
  auto acted = Act(caller, conversation,
                   reopen ? domain::Command{domain::Reopen{}} : domain::Command{domain::Close{}});
  if (!acted.ok()) return acted.error();
  return ConversationWritten(acted->first, acted->second);
}

Result<Written> Service::EditMessage(const Caller& caller, const std::string& conversation,
                                     const std::string& message, const json::object& body) {
  auto text = StringField(body, "body", true);
  if (!text.ok()) return text.error();
  auto acted = Act(caller, conversation, domain::EditMessage{message, *text});
  if (!acted.ok()) return acted.error();
  return ItemWritten(acted->first, acted->second, message, false);
}

Result<Written> Service::DeleteMessage(const Caller& caller, const std::string& conversation,
                                       const std::string& message) {
  auto acted = Act(caller, conversation, domain::DeleteMessage{message});
  if (!acted.ok()) return acted.error();
  return ItemWritten(acted->first, acted->second, message, false);
}

Result<Written> Service::AddParticipant(const Caller& caller, const std::string& conversation,
                                        const json::object& body) {
  auto user = StringField(body, "user", true);
  if (!user.ok()) return user.error();
  auto acted = Act(caller, conversation, domain::AddParticipant{*user});
  if (!acted.ok()) return acted.error();
  return ConversationWritten(acted->first, acted->second);
}

}  // namespace parley::api
