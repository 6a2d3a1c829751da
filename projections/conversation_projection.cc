#include "projections/conversation_projection.h"

#include <cstdio>

#include "common/overloaded.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/event_json.h"

namespace parley::projections {
namespace {

namespace json = boost::json;
using domain::Side;

std::string DocKey(std::string_view id) {
  return "conv/" + std::string(id);
}

// Newest first: the index sorts by (max - last activity), zero-padded.
std::string ListKey(const json::object& doc) {
  char inverted[24];
  std::snprintf(inverted, sizeof inverted, "%020lld",
                static_cast<long long>(INT64_MAX - doc.at("last_activity_at").as_int64()));
  return "list/" + std::string(doc.at("firm").as_string()) + "/" +
         std::string(doc.at("dossier").as_string()) + "/" + inverted + "/" +
         std::string(doc.at("id").as_string());
}

std::string ListPrefix(const std::string& firm, const std::string& dossier) {
  return "list/" + firm + "/" + dossier + "/";
}

json::object* FindItem(json::object& doc, const std::string& id) {
  for (auto& item : doc["items"].as_array()) {
    if (item.at("id").as_string() == id) return &item.as_object();
  }
  return nullptr;
}

void AddItem(json::object& doc, json::object item) {
  json::array& items = doc["items"].as_array();
  item["ordinal"] = static_cast<std::int64_t>(items.size() + 1);
  items.push_back(std::move(item));
}

}  // namespace

void FoldConversation(json::object& doc, const domain::Event& event) {
  std::visit(Overloaded{
                 [&](const domain::ConversationStarted& e) {
                   doc = {{"id", e.conversation},
                          {"firm", e.firm},
                          {"dossier", e.dossier},
                          {"subject", e.subject},
                          {"audience",
                           e.audience.user.empty() ? json::value(nullptr) : json::value(e.audience.user)},
                          {"started_by", e.started_by},
                          {"starter_side", domain::ToString(e.starter_side)},
                          {"status", "new"},
                          {"participants", StringsJson(e.participants)},
                          {"created_at", e.at},
                          {"last_activity_at", e.at},
                          {"closed_at", nullptr},
                          {"closed_by", nullptr},
                          {"reminders",
                           {{"enabled", e.reminders.enabled},
                            {"every_days", e.reminders.every_days},
                            {"count", e.reminders.count},
                            {"sent", 0}}},
                          {"items", json::array()},
                          {"reads", json::object()}};
                 },
                 [&](const domain::MessagePosted& e) {
                   AddItem(doc, {{"id", e.message},
                                 {"note", false},
                                 {"author", e.author},
                                 {"side", domain::ToString(e.side)},
                                 {"body", e.body},
                                 {"created_at", e.at},
                                 {"edited", false},
                                 {"deleted", false},
                                 {"mentions", StringsJson(e.mentions)},
                                 {"attachments", AttachmentsJson(e.attachments)},
                                 {"versions", json::array{json::object{{"body", e.body}, {"at", e.at}}}}});
                   if (doc["status"].as_string() == "new" &&
                       domain::ToString(e.side) != doc["starter_side"].as_string()) {
                     doc["status"] = "in_progress";
                   }
                   doc["last_activity_at"] = e.at;
                 },
                 [&](const domain::MessageEdited& e) {
                   if (json::object* item = FindItem(doc, e.message)) {
                     (*item)["body"] = e.body;
                     (*item)["edited"] = true;
                     (*item)["versions"].as_array().push_back(json::object{{"body", e.body}, {"at", e.at}});
                   }
                 },
                 [&](const domain::MessageDeleted& e) {
                   if (json::object* item = FindItem(doc, e.message)) {
                     (*item)["deleted"] = true;
                     (*item)["deleted_at"] = e.at;
                   }
                 },
                 [&](const domain::NoteAdded& e) {
                   AddItem(doc, {{"id", e.note},
                                 {"note", true},
                                 {"author", e.author},
                                 {"side", "firm"},
                                 {"body", e.body},
                                 {"created_at", e.at},
                                 {"edited", false},
                                 {"deleted", false},
                                 {"mentions", StringsJson(e.mentions)},
                                 {"attachments", json::array()}});
                 },
                 [&](const domain::ParticipantAdded& e) {
                   json::array& participants = doc["participants"].as_array();
                   for (const auto& p : participants) {
                     if (p.as_string() == e.user) return;
                   }
                   participants.push_back(json::value(e.user));
                 },
                 [&](const domain::ReadMarked& e) {
                   json::value& marks = doc["reads"].as_object()[e.user];
                   if (!marks.is_array()) marks = json::array();
                   marks.as_array().push_back(json::array{static_cast<std::int64_t>(e.up_to), e.at});
                 },
                 [&](const domain::ConversationClosed& e) {
                   doc["status"] = "closed";
                   doc["closed_at"] = e.at;
                   doc["closed_by"] = e.by;
                   doc["last_activity_at"] = e.at;
                 },
                 [&](const domain::ConversationReopened& e) {
                   doc["status"] = "in_progress";
                   doc["closed_at"] = nullptr;
                   doc["closed_by"] = nullptr;
                   doc["last_activity_at"] = e.at;
                 },
             },
             event);
}

Result<void> ConversationProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kConversationStreamPrefix)) return {};
  auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const std::string id(event.stream().substr(domain::kConversationStreamPrefix.size()));
  json::object doc;
  std::string old_list_key;
  if (!std::holds_alternative<domain::ConversationStarted>(*decoded)) {
    auto stored = writer.Get(DocKey(id));
    if (!stored.ok()) return stored.error();
    if (!stored->has_value())
      return Error::Corruption("an event for unknown conversation " + id, event.position());
    doc = json::parse(**stored).as_object();
    old_list_key = ListKey(doc);
  }
  FoldConversation(doc, *decoded);
  doc["version"] = event.stream_version();
  const std::string list_key = ListKey(doc);
  if (list_key != old_list_key) {
    if (!old_list_key.empty()) writer.Delete(old_list_key);
    writer.Put(list_key, "");
  }
  writer.Put(DocKey(id), json::serialize(doc));
  return {};
}

Result<std::optional<json::object>> LoadConversation(ReadModelStore& store, const std::string& id) {
  auto stored = store.Get(ConversationProjection::kName, DocKey(id));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<json::object>();
  return std::optional<json::object>(json::parse(**stored).as_object());
}

Result<ConversationPage> ListConversations(ReadModelStore& store, const std::string& firm,
                                           const std::string& dossier, const std::string& cursor,
                                           std::size_t limit) {
  const std::string prefix = ListPrefix(firm, dossier);
  // The cursor is the last index key returned; start just after it.
  const std::string start = cursor.empty() ? "" : prefix + cursor + '\0';
  auto keys = store.Scan(ConversationProjection::kName, prefix, start, limit);
  if (!keys.ok()) return keys.error();
  ConversationPage page;
  for (const auto& [key, unused] : *keys) {
    auto doc = LoadConversation(store, key.substr(key.rfind('/') + 1));
    if (!doc.ok()) return doc.error();
    if (doc->has_value()) page.documents.emplace_back(key.substr(prefix.size()), std::move(**doc));
  }
  if (keys->size() == limit) page.next_cursor = keys->back().first.substr(prefix.size());
  return page;
}

domain::Conversation ToDomain(const json::object& doc) {
  domain::Conversation c;
  c.exists = true;
  c.id = doc.at("id").as_string();
  c.firm = doc.at("firm").as_string();
  c.dossier = doc.at("dossier").as_string();
  c.subject = doc.at("subject").as_string();
  if (doc.at("audience").is_string()) c.audience.user = doc.at("audience").as_string();
  c.started_by = doc.at("started_by").as_string();
  c.starter_side = doc.at("starter_side").as_string() == "client" ? Side::kClient : Side::kFirm;
  const auto status = doc.at("status").as_string();
  c.status = status == "closed"        ? domain::Status::kClosed
             : status == "in_progress" ? domain::Status::kInProgress
                                       : domain::Status::kNew;
  for (const auto& p : doc.at("participants").as_array()) c.participants.insert(std::string(p.as_string()));
  for (const auto& v : doc.at("items").as_array()) {
    const auto& item = v.as_object();
    c.items.push_back({std::string(item.at("id").as_string()), std::string(item.at("author").as_string()),
                       item.at("side").as_string() == "client" ? Side::kClient : Side::kFirm,
                       item.at("note").as_bool(), item.at("deleted").as_bool(),
                       static_cast<std::uint64_t>(item.at("ordinal").as_int64())});
  }
  for (const auto& [user, marks] : doc.at("reads").as_object()) {
    std::uint64_t up_to = 0;
    for (const auto& mark : marks.as_array()) {
      up_to = std::max<std::uint64_t>(up_to, mark.as_array().at(0).as_int64());
    }
    c.read_up_to[std::string(user)] = up_to;
  }
  c.last_activity_at = doc.at("last_activity_at").as_int64();
  c.created_at = doc.at("created_at").as_int64();
  return c;
}

}  // namespace parley::projections
