// The conversation half of the service: commands through RunCommand, and
// views of the conversations read model filtered for the caller. A client
// never gets a note, a read receipt, or a conversation it cannot see.
#include <algorithm>

#include "api/command_runner.h"
#include "api/json_fields.h"
#include "api/service.h"
#include "domain/conversation.h"
#include "domain/streams.h"
#include "projections/as_of.h"
#include "projections/conversation_projection.h"
#include "projections/directory_projection.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPage = 100;

json::value Time(const json::value& micros) {
  if (!micros.is_int64()) return nullptr;
  return json::value(FormatRfc3339(micros.as_int64()));
}

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

json::object Author(const Service::Party& party, const json::object& item) {
  const std::string id(item.at("author").as_string());
  const domain::UserDefined* user = party.directory.User(id);
  return {{"id", id}, {"side", item.at("side")}, {"name", user ? user->name : id}};
}

// The first time each client read up to `ordinal`, from their read marks.
json::array ReadBy(const Service::Party& party, const json::object& doc, std::int64_t ordinal) {
  json::array out;
  for (const auto& [user, marks] : doc.at("reads").as_object()) {
    const domain::UserDefined* u = party.directory.User(std::string(user));
    if (!u || u->kind != domain::UserKind::kClient) continue;
    for (const auto& mark : marks.as_array()) {
      if (mark.as_array().at(0).as_int64() >= ordinal) {
        out.push_back({{"user", user}, {"initials", Initials(u->name)}, {"at", Time(mark.as_array().at(1))}});
        break;
      }
    }
  }
  return out;
}

json::object Summary(const Service::Party& party, const json::object& doc, const domain::Conversation& c) {
  const domain::Side side = party.actor.side();
  const std::uint64_t unread = c.UnreadFor(party.actor.id, side);
  const bool bold = side == domain::Side::kFirm ? (c.NeedsStaffAction() || unread > 0)
                                                : (unread > 0 || c.NeedsClientAction());
  json::value audience = doc.at("audience").is_string()
                             ? json::value(json::object{{"user", doc.at("audience")}})
                             : json::value("dossier");
  json::object o{{"id", doc.at("id")},
                 {"dossier", doc.at("dossier")},
                 {"subject", doc.at("subject")},
                 {"status", doc.at("status")},
                 {"audience", std::move(audience)},
                 {"started_by", {{"id", doc.at("started_by")}, {"side", doc.at("starter_side")}}},
                 {"participants", doc.at("participants")},
                 {"created_at", Time(doc.at("created_at"))},
                 {"last_activity_at", Time(doc.at("last_activity_at"))},
                 {"closed_at", Time(doc.at("closed_at"))},
                 {"closed_by", doc.at("closed_by")},
                 {"version", doc.at("version")},
                 {"needs_staff_action", c.NeedsStaffAction()},
                 {"needs_client_action", c.NeedsClientAction()},
                 {"unread", unread},
                 {"bold", bold}};
  if (party.actor.is_staff()) o["reminders"] = doc.at("reminders");
  return o;
}

json::object ItemView(const Service::Party& party, const json::object& doc, const json::object& item) {
  const bool staff = party.actor.is_staff();
  json::object o{{"id", item.at("id")},
                 {"author", Author(party, item)},
                 {"created_at", Time(item.at("created_at"))},
                 {"mentions", item.at("mentions")}};
  if (item.at("note").as_bool()) {
    o["body"] = item.at("body");
    return o;
  }
  o["edited"] = item.at("edited");
  o["deleted"] = item.at("deleted");
  if (!item.at("deleted").as_bool()) o["body"] = item.at("body");
  o["attachments"] = item.at("attachments");
  o["delivered"] = true;
  // Receipts: staff see which clients read each message; clients never
  // learn whether staff have read theirs.
  if (staff) o["read_by"] = ReadBy(party, doc, item.at("ordinal").as_int64());
  return o;
}

json::object FullView(const Service::Party& party, const json::object& doc) {
  json::object o = Summary(party, doc, projections::ToDomain(doc));
  json::array messages, notes;
  for (const auto& v : doc.at("items").as_array()) {
    const auto& item = v.as_object();
    if (item.at("note").as_bool()) {
      if (party.actor.is_staff()) notes.push_back(ItemView(party, doc, item));
    } else {
      messages.push_back(ItemView(party, doc, item));
    }
  }
  o["messages"] = std::move(messages);
  if (party.actor.is_staff()) o["notes"] = std::move(notes);
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

// A new id, or under an Idempotency-Key the same one on every retry.
std::string NewResourceId(const Caller& caller, std::string_view prefix, Micros now) {
  if (caller.idempotency_scope.empty()) return NewId(prefix, now);
  return Idempotency{caller.idempotency_scope, caller.body_sha}.Id(prefix, 1000);
}

std::uint64_t VersionOf(const json::object& doc) {
  return doc.at("version").to_number<std::uint64_t>();
}

const json::object* FindItem(const json::object& doc, const std::string& id) {
  for (const auto& v : doc.at("items").as_array()) {
    if (v.at("id").as_string() == id) return &v.as_object();
  }
  return nullptr;
}

Result<std::vector<std::string>> StringList(const json::object& body, std::string_view name) {
  auto list = ArrayField(body, name);
  if (!list.ok()) return list.error();
  std::vector<std::string> out;
  for (const auto& v : **list) {
    if (!v.is_string()) return Error::InvalidArgument("\"" + std::string(name) + "\" is a list of user ids.");
    out.emplace_back(v.as_string());
  }
  return out;
}

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

}  // namespace

Result<Service::Party> Service::Resolve(const Claims& caller) {
  if (caller.platform_admin) return Error::Forbidden("A platform token takes no part in conversations.");
  auto directory = projections::LoadDirectory(models_, caller.firm);
  if (!directory.ok()) return directory.error();
  auto actor = directory->ActorFor(caller.subject);
  if (!actor) return Error::Unauthenticated("The bearer token names an unknown user.");
  return Party{std::move(*directory), *actor};
}

Result<std::pair<json::object, domain::DossierAccess>> Service::Visible(const Party& party,
                                                                        const std::string& conversation) {
  const Error unseen = Error::NotFound("There is no such conversation.");
  auto doc = projections::LoadConversation(models_, conversation);
  if (!doc.ok()) return doc.error();
  if (!doc->has_value() || (**doc).at("firm").as_string() != party.directory.firm->firm) return unseen;
  auto access = party.directory.AccessFor(std::string((**doc).at("dossier").as_string()));
  if (!access || !domain::CanSee(projections::ToDomain(**doc), party.actor, *access)) return unseen;
  return std::make_pair(std::move(**doc), std::move(*access));
}

Result<json::object> Service::RunConversation(const Party& party, const domain::DossierAccess& access,
                                              const std::string& conversation, const domain::Command& command,
                                              const Caller* preconditions) {
  std::optional<Idempotency> idempotency;
  if (preconditions && !preconditions->idempotency_scope.empty()) {
    idempotency = Idempotency{preconditions->idempotency_scope, preconditions->body_sha};
  }
  auto outcome = RunCommand<domain::Conversation, domain::Event>(
      log_, projector_, clock_, domain::ConversationStream(conversation), party.actor.id,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::Conversation& state, Micros now) {
        return domain::Decide(state, command, {party.actor, access, now});
      },
      preconditions ? preconditions->if_match : std::nullopt, idempotency ? &*idempotency : nullptr);
  if (!outcome.ok()) return outcome.error();
  auto doc = projections::LoadConversation(models_, conversation);
  if (!doc.ok()) return doc.error();
  if (!doc->has_value()) return Error::Internal("the conversation is missing from the read model");
  return std::move(**doc);
}

Result<Written> Service::StartConversation(const Caller& caller, const std::string& dossier,
                                           const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = party->directory.AccessFor(dossier);
  if (!access) return Error::NotFound("There is no such dossier.");
  const Micros now = clock_.Now();
  domain::StartConversation command;
  command.conversation = NewResourceId(caller, "c_", now);
  command.message = NewResourceId(caller, "m_", now);
  for (auto [field, target, required] :
       {std::tuple{"subject", &command.subject, true}, std::tuple{"body", &command.body, false}}) {
    auto value = StringField(body, field, required);
    if (!value.ok()) return value.error();
    *target = *value;
  }
  if (const json::value* audience = body.if_contains("audience"); audience && !audience->is_null()) {
    if (audience->is_object()) {
      auto user = StringField(audience->as_object(), "user", true);
      if (!user.ok()) return user.error();
      command.audience.user = *user;
    } else if (!audience->is_string() || audience->as_string() != "dossier") {
      return Error::InvalidArgument("\"audience\" is \"dossier\" or {\"user\": id}.");
    }
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
  if (const json::value* r = body.if_contains("reminders"); r && !r->is_null()) {
    if (!r->is_object()) return Error::InvalidArgument("\"reminders\" is {enabled, every_days, count}.");
    const auto& o = r->as_object();
    auto number = [&](const char* name, int fallback) -> Result<int> {
      const json::value* v = o.if_contains(name);
      if (!v) return fallback;
      if (!v->is_int64())
        return Error::InvalidArgument(std::string("\"reminders.") + name + "\" is a number.");
      return static_cast<int>(std::clamp<std::int64_t>(v->as_int64(), -1, 100000));
    };
    const json::value* enabled = o.if_contains("enabled");
    if (enabled && !enabled->is_bool())
      return Error::InvalidArgument("\"reminders.enabled\" is true or false.");
    auto every = number("every_days", 3);
    auto count = number("count", 1);
    if (!every.ok()) return every.error();
    if (!count.ok()) return count.error();
    command.reminders = {enabled ? enabled->as_bool() : true, *every, *count};
  }
  auto doc = RunConversation(*party, *access, command.conversation, command, &caller);
  if (!doc.ok()) return doc.error();
  return Written{FullView(*party, *doc), true};
}

Result<json::object> Service::GetConversation(const Claims& caller, const std::string& conversation,
                                              std::optional<Micros> as_of) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto visible = Visible(*party, conversation);
  if (!visible.ok()) return visible.error();
  if (!as_of) return FullView(*party, visible->first);
  // As of then: what the caller may see now, as it was, if they could see
  // it then too (the directory of that time decides).
  const Error unseen = Error::NotFound("There is no such conversation at that time.");
  auto then = projections::ConversationAsOf(log_, conversation, *as_of);
  if (!then.ok()) return then.error();
  if (!then->has_value()) return unseen;
  auto directory = projections::DirectoryAsOf(log_, party->directory.firm->firm, *as_of);
  if (!directory.ok()) return directory.error();
  auto access = directory->AccessFor(visible->second.dossier);
  if (!access || !domain::CanSee(projections::ToDomain(**then), party->actor, *access)) return unseen;
  return FullView(Party{std::move(*directory), party->actor}, **then);
}

Result<domain::DossierAccess> Service::DossierFor(const Party& party, const std::string& dossier) {
  auto access = party.directory.AccessFor(dossier);
  if (!access || (party.actor.is_client() && !access->HasClient(party.actor.id)) ||
      (!party.actor.is_client() && !party.actor.is_staff())) {
    return Error::NotFound("There is no such dossier.");
  }
  return std::move(*access);
}

Result<std::string> Service::ForEachVisible(
    const Party& party, const domain::DossierAccess& access, const std::string& cursor,
    const std::function<bool(const json::object&, const domain::Conversation&)>& visit) {
  std::string next = cursor;
  // The index holds every conversation of the dossier; those the caller
  // may not see are skipped. The cursor moves past each entry looked at.
  for (;;) {
    auto page = projections::ListConversations(models_, access.firm, access.dossier, next, kMaxPage);
    if (!page.ok()) return page.error();
    for (const auto& [key, doc] : page->documents) {
      next = key;
      const domain::Conversation c = projections::ToDomain(doc);
      if (domain::CanSee(c, party.actor, access) && !visit(doc, c)) return next;
    }
    if (page->next_cursor.empty()) return std::string();
    next = page->next_cursor;
  }
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
  json::array items;
  auto next =
      ForEachVisible(*party, *access, cursor, [&](const json::object& doc, const domain::Conversation& c) {
        const bool closed = c.status == domain::Status::kClosed;
        if ((status == "open" && closed) || (status == "closed" && !closed)) return true;
        items.push_back(Summary(*party, doc, c));
        return items.size() < limit;
      });
  if (!next.ok()) return next.error();
  return json::object{{"items", std::move(items)},
                      {"next_cursor", next->empty() ? json::value(nullptr) : json::value(*next)}};
}

Result<json::object> Service::CountersOf(const Party& party, const domain::DossierAccess& access) {
  CounterTally tally;
  auto done = ForEachVisible(party, access, "", [&](const json::object&, const domain::Conversation& c) {
    tally.Add(c, party.actor);
    return true;
  });
  if (!done.ok()) return done.error();
  return tally.Json();
}

Result<void> Service::ForEachAsOf(const Party& party, const domain::DossierAccess& now, Micros as_of,
                                  const std::function<void(const domain::Conversation&)>& visit) {
  auto directory = projections::DirectoryAsOf(log_, now.firm, as_of);
  if (!directory.ok()) return directory.error();
  auto then_access = directory->AccessFor(now.dossier);
  if (!then_access) return {};
  // Conversations are never removed: today's list holds every one that
  // existed then.
  std::optional<Error> failed;
  auto done = ForEachVisible(party, now, "", [&](const json::object& doc, const domain::Conversation&) {
    auto then = projections::ConversationAsOf(log_, doc.at("id").as_string(), as_of);
    if (!then.ok()) {
      failed = then.error();
      return false;
    }
    if (!then->has_value()) return true;
    const domain::Conversation c = projections::ToDomain(**then);
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

Result<json::object> Service::Inbox(const Claims& caller) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  json::array dossiers;
  json::object totals{
      {"staff_action_needed", 0}, {"client_action_needed", 0}, {"open", 0}, {"closed", 0}, {"unread", 0}};
  for (const auto& [id, dossier] : party->directory.dossiers) {
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

Result<std::pair<Service::Party, json::object>> Service::Act(const Caller& caller,
                                                             const std::string& conversation,
                                                             const domain::Command& command) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto visible = Visible(*party, conversation);
  if (!visible.ok()) return visible.error();
  auto doc = RunConversation(*party, visible->second, conversation, command, &caller);
  if (!doc.ok()) return doc.error();
  return std::make_pair(std::move(*party), std::move(*doc));
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
  auto& [party, doc] = *acted;
  return Written{ItemView(party, doc, *FindItem(doc, command.message)), true, VersionOf(doc)};
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
  auto& [party, doc] = *acted;
  return Written{ItemView(party, doc, *FindItem(doc, command.note)), true, VersionOf(doc)};
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
  return Written{FullView(acted->first, acted->second), false};
}

Result<Written> Service::EditMessage(const Caller& caller, const std::string& conversation,
                                     const std::string& message, const json::object& body) {
  auto text = StringField(body, "body", true);
  if (!text.ok()) return text.error();
  auto acted = Act(caller, conversation, domain::EditMessage{message, *text});
  if (!acted.ok()) return acted.error();
  auto& [party, doc] = *acted;
  return Written{ItemView(party, doc, *FindItem(doc, message)), false, VersionOf(doc)};
}

Result<Written> Service::DeleteMessage(const Caller& caller, const std::string& conversation,
                                       const std::string& message) {
  auto acted = Act(caller, conversation, domain::DeleteMessage{message});
  if (!acted.ok()) return acted.error();
  auto& [party, doc] = *acted;
  return Written{ItemView(party, doc, *FindItem(doc, message)), false, VersionOf(doc)};
}

Result<Written> Service::AddParticipant(const Caller& caller, const std::string& conversation,
                                        const json::object& body) {
  auto user = StringField(body, "user", true);
  if (!user.ok()) return user.error();
  auto acted = Act(caller, conversation, domain::AddParticipant{*user});
  if (!acted.ok()) return acted.error();
  return Written{FullView(acted->first, acted->second), false};
}

}  // namespace parley::api
