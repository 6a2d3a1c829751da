#include "projections/conversation_projection.h"

#include <cinttypes>
#include <cstdio>

#include "common/overloaded.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/conversation_record_generated.h"
#include "projections/event_json.h"

namespace parley::projections {
namespace {

namespace json = boost::json;
using domain::Side;

std::string RecordKey(std::string_view id) {
  std::string key("sum/");
  key.append(id);
  return key;
}

std::string ItemPrefix(std::string_view id) {
  std::string key("item/");
  key.append(id).push_back('/');
  return key;
}

std::string ItemKey(std::string_view id, std::uint64_t ordinal) {
  char padded[24];
  std::snprintf(padded, sizeof padded, "%010" PRIu64, ordinal);
  return ItemPrefix(id) + padded;
}

std::string ListPrefix(std::string_view firm, std::string_view dossier) {
  std::string key("list/");
  key.append(firm).append("/").append(dossier).append("/");
  return key;
}

// Newest first: the index sorts by (max - last activity), zero-padded.
std::string ListKey(const domain::Conversation& c) {
  char inverted[24];
  std::snprintf(inverted, sizeof inverted, "%020" PRId64, INT64_MAX - c.last_activity_at);
  return ListPrefix(c.firm, c.dossier) + inverted + "/" + c.id;
}

std::string EncodeRecord(const ConversationRecord& r) {
  const domain::Conversation& c = r.state;
  flatbuffers::FlatBufferBuilder b(256 + 48 * c.items.size());
  std::vector<flatbuffers::Offset<fb::Item>> items;
  items.reserve(c.items.size());
  for (const auto& item : c.items) {
    items.push_back(fb::CreateItem(b, b.CreateString(item.id), b.CreateString(item.author),
                                   item.side == Side::kClient, item.note, item.deleted));
  }
  std::vector<flatbuffers::Offset<fb::ReadMark>> reads;
  reads.reserve(r.reads.size());
  for (const auto& mark : r.reads)
    reads.push_back(fb::CreateReadMark(b, b.CreateString(mark.user), mark.up_to, mark.at));
  std::vector<flatbuffers::Offset<flatbuffers::String>> participants;
  for (const auto& p : c.participants) participants.push_back(b.CreateString(p));
  auto root = fb::CreateConversationRecord(
      b, b.CreateString(c.id), b.CreateString(c.firm), b.CreateString(c.dossier), b.CreateString(c.subject),
      b.CreateString(c.audience.user), b.CreateString(c.started_by), c.starter_side == Side::kClient,
      static_cast<std::uint8_t>(c.status), b.CreateVector(participants), b.CreateVector(items),
      b.CreateVector(reads), b.CreateString(c.closed_by), c.closed_at, c.created_at, c.last_activity_at,
      c.reminders.enabled, c.reminders.every_days, c.reminders.count, r.reminders_sent, r.version);
  b.Finish(root);
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string Str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

// `item_ids`: lists and counters need no item ids, and skip copying them.
Result<ConversationRecord> DecodeRecord(std::string_view bytes, bool item_ids = true) {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyConversationRecordBuffer(verifier)) {
    return Error::Corruption("a conversation record does not verify", 0);
  }
  const fb::ConversationRecord* f = fb::GetConversationRecord(bytes.data());
  ConversationRecord r;
  domain::Conversation& c = r.state;
  c.exists = true;
  c.id = Str(f->id());
  c.firm = Str(f->firm());
  c.dossier = Str(f->dossier());
  c.subject = Str(f->subject());
  c.audience.user = Str(f->audience_user());
  c.started_by = Str(f->started_by());
  c.starter_side = f->starter_client() ? Side::kClient : Side::kFirm;
  c.status = static_cast<domain::Status>(f->status());
  if (f->participants()) {
    for (const auto* p : *f->participants()) c.participants.insert(p->str());
  }
  if (f->items()) {
    c.items.reserve(f->items()->size());
    std::uint64_t ordinal = 0;
    for (const auto* item : *f->items()) {
      c.items.push_back({item_ids ? Str(item->id()) : std::string(), Str(item->author()),
                         item->client() ? Side::kClient : Side::kFirm, item->note(), item->deleted(),
                         ++ordinal});
    }
  }
  if (f->reads()) {
    for (const auto* mark : *f->reads()) {
      r.reads.push_back({Str(mark->user()), mark->up_to(), mark->at()});
      auto& up_to = c.read_up_to[r.reads.back().user];
      up_to = std::max(up_to, mark->up_to());
    }
  }
  c.closed_by = Str(f->closed_by());
  c.closed_at = f->closed_at();
  c.created_at = f->created_at();
  c.last_activity_at = f->last_activity_at();
  c.reminders = {f->reminders_enabled(), f->reminders_every_days(), f->reminders_count()};
  r.reminders_sent = f->reminders_sent();
  r.version = f->version();
  return r;
}

// The item a message or note event creates, if it creates one.
std::optional<json::object> NewItem(const domain::Event& event) {
  if (const auto* e = std::get_if<domain::MessagePosted>(&event)) {
    return json::object{{"id", e->message},
                        {"note", false},
                        {"author", e->author},
                        {"side", domain::ToString(e->side)},
                        {"body", e->body},
                        {"created_at", e->at},
                        {"edited", false},
                        {"deleted", false},
                        {"mentions", StringsJson(e->mentions)},
                        {"attachments", AttachmentsJson(e->attachments)},
                        {"versions", json::array{json::object{{"body", e->body}, {"at", e->at}}}}};
  }
  if (const auto* e = std::get_if<domain::NoteAdded>(&event)) {
    return json::object{{"id", e->note},
                        {"note", true},
                        {"author", e->author},
                        {"side", "firm"},
                        {"body", e->body},
                        {"created_at", e->at},
                        {"edited", false},
                        {"deleted", false},
                        {"mentions", StringsJson(e->mentions)},
                        {"attachments", json::array()}};
  }
  return std::nullopt;
}

// The message an edit or a delete changes, if the event is one.
const std::string* ChangedMessage(const domain::Event& event) {
  if (const auto* e = std::get_if<domain::MessageEdited>(&event)) return &e->message;
  if (const auto* e = std::get_if<domain::MessageDeleted>(&event)) return &e->message;
  return nullptr;
}

void ChangeItem(json::object& item, const domain::Event& event) {
  std::visit(Overloaded{
                 [&](const domain::MessageEdited& e) {
                   item["body"] = e.body;
                   item["edited"] = true;
                   item["versions"].as_array().push_back(json::object{{"body", e.body}, {"at", e.at}});
                 },
                 [&](const domain::MessageDeleted& e) {
                   item["deleted"] = true;
                   item["deleted_at"] = e.at;
                 },
                 [](const auto&) {},
             },
             event);
}

void FoldRecord(ConversationRecord& record, const domain::Event& event, std::uint64_t version) {
  domain::Evolve(record.state, event);
  if (const auto* e = std::get_if<domain::ReadMarked>(&event))
    record.reads.push_back({e->user, e->up_to, e->at});
  record.version = version;
}

}  // namespace

void FoldThread(ConversationThread& thread, const domain::Event& event, std::uint64_t version) {
  FoldRecord(thread.record, event, version);
  if (auto item = NewItem(event)) {
    thread.items.push_back(std::move(*item));
  } else if (const std::string* message = ChangedMessage(event)) {
    if (const domain::ThreadItem* found = thread.record.state.Find(*message))
      ChangeItem(thread.items.at(found->ordinal - 1), event);
  }
}

json::object ThreadJson(const ConversationThread& thread) {
  const domain::Conversation& c = thread.record.state;
  auto time = [](Micros at) { return at == 0 ? json::value(nullptr) : json::value(FormatRfc3339(at)); };
  json::array participants(c.participants.begin(), c.participants.end());
  json::array reads;
  for (const auto& mark : thread.record.reads)
    reads.push_back({{"user", mark.user}, {"up_to", mark.up_to}, {"at", time(mark.at)}});
  json::array items;
  for (json::object item : thread.items) {
    item["created_at"] = time(item.at("created_at").as_int64());
    if (auto* deleted_at = item.if_contains("deleted_at")) *deleted_at = time(deleted_at->as_int64());
    if (auto* versions = item.if_contains("versions")) {
      for (auto& v : versions->as_array()) v.as_object()["at"] = time(v.at("at").as_int64());
    }
    items.push_back(std::move(item));
  }
  return {{"id", c.id},
          {"firm", c.firm},
          {"dossier", c.dossier},
          {"subject", c.subject},
          {"status", domain::ToString(c.status)},
          {"audience", AudienceJson(c.audience)},
          {"started_by", c.started_by},
          {"participants", std::move(participants)},
          {"created_at", time(c.created_at)},
          {"last_activity_at", time(c.last_activity_at)},
          {"closed_at", time(c.closed_at)},
          {"closed_by", c.closed_by.empty() ? json::value(nullptr) : json::value(c.closed_by)},
          {"version", thread.record.version},
          {"needs_staff_action", c.NeedsStaffAction()},
          {"needs_client_action", c.NeedsClientAction()},
          {"items", std::move(items)},
          {"reads", std::move(reads)}};
}

Result<void> ConversationProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kConversationStreamPrefix)) return {};
  auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const std::string id(event.stream().substr(domain::kConversationStreamPrefix.size()));
  ConversationRecord record;
  std::string old_list_key;
  if (!std::holds_alternative<domain::ConversationStarted>(*decoded)) {
    auto stored = writer.Get(RecordKey(id));
    if (!stored.ok()) return stored.error();
    if (!stored->has_value())
      return Error::Corruption("an event for unknown conversation " + id, event.position());
    auto loaded = DecodeRecord(**stored);
    if (!loaded.ok()) return loaded.error();
    record = std::move(*loaded);
    old_list_key = ListKey(record.state);
  }
  FoldRecord(record, *decoded, event.stream_version());
  if (auto item = NewItem(*decoded)) {
    writer.Put(ItemKey(id, record.state.items.size()), json::serialize(*item));
  } else if (const std::string* message = ChangedMessage(*decoded)) {
    const domain::ThreadItem* found = record.state.Find(*message);
    if (!found) return Error::Corruption("a change to unknown message " + *message, event.position());
    const std::string key = ItemKey(id, found->ordinal);
    auto stored = writer.Get(key);
    if (!stored.ok()) return stored.error();
    if (!stored->has_value())
      return Error::Corruption("message " + *message + " is missing", event.position());
    json::object item = json::parse(**stored).as_object();
    ChangeItem(item, *decoded);
    writer.Put(key, json::serialize(item));
  }
  const std::string bytes = EncodeRecord(record);
  const std::string list_key = ListKey(record.state);
  if (!old_list_key.empty() && list_key != old_list_key) writer.Delete(old_list_key);
  writer.Put(list_key, bytes);
  writer.Put(RecordKey(id), bytes);
  return {};
}

Result<std::optional<ConversationRecord>> LoadRecord(ReadModelStore& store, const std::string& id) {
  auto stored = store.Get(ConversationProjection::kName, RecordKey(id));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<ConversationRecord>();
  auto record = DecodeRecord(**stored);
  if (!record.ok()) return record.error();
  return std::optional(std::move(*record));
}

Result<std::vector<json::object>> LoadItems(ReadModelStore& store, const std::string& id,
                                            const json::storage_ptr& sp) {
  const std::string prefix = ItemPrefix(id);
  std::vector<json::object> items;
  constexpr std::size_t kPage = 512;
  for (std::string start;;) {
    auto rows = store.Scan(ConversationProjection::kName, prefix, start, kPage);
    if (!rows.ok()) return rows.error();
    for (const auto& [key, value] : *rows) items.push_back(json::parse(value, sp).as_object());
    if (rows->size() < kPage) return items;
    start = rows->back().first + '\0';
  }
}

Result<std::optional<json::object>> LoadItem(ReadModelStore& store, const std::string& id,
                                             std::uint64_t ordinal) {
  auto stored = store.Get(ConversationProjection::kName, ItemKey(id, ordinal));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<json::object>();
  return std::optional(json::parse(**stored).as_object());
}

Result<ConversationPage> ListConversations(ReadModelStore& store, const std::string& firm,
                                           const std::string& dossier, const std::string& cursor,
                                           std::size_t limit) {
  const std::string prefix = ListPrefix(firm, dossier);
  // The cursor is the last index key returned; start just after it.
  const std::string start = cursor.empty() ? "" : prefix + cursor + '\0';
  auto rows = store.Scan(ConversationProjection::kName, prefix, start, limit);
  if (!rows.ok()) return rows.error();
  ConversationPage page;
  page.records.reserve(rows->size());
  for (const auto& [key, value] : *rows) {
    auto record = DecodeRecord(value, /*item_ids=*/false);
    if (!record.ok()) return record.error();
    page.records.emplace_back(key.substr(prefix.size()), std::move(*record));
  }
  if (rows->size() == limit) page.next_cursor = rows->back().first.substr(prefix.size());
  return page;
}

}  // namespace parley::projections
