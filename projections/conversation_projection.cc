#include "projections/conversation_projection.h"

#include <algorithm>
#include <charconv>
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

std::string WhereKey(std::string_view id) {
  std::string key("where/");
  key.append(id);
  return key;
}

std::string DossierPrefix(std::string_view firm, std::string_view dossier) {
  std::string key("conv/");
  key.append(firm).append("/").append(dossier).append("/");
  return key;
}

std::string RecordKey(const domain::Conversation& c) {
  return DossierPrefix(c.firm, c.dossier) + c.id;
}

std::string EntryPrefix(std::string_view id) {
  std::string key("item/");
  key.append(id).push_back('/');
  return key;
}

std::string EntryKey(std::string_view id, std::uint64_t ordinal) {
  char padded[24];
  std::snprintf(padded, sizeof padded, "%010" PRIu64, ordinal);
  return EntryPrefix(id) + padded;
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

std::string EncodeEntry(const Entry& e) {
  flatbuffers::FlatBufferBuilder b(256 + e.body.size() * (1 + e.versions.size()));
  std::vector<flatbuffers::Offset<flatbuffers::String>> mentions;
  for (const auto& m : e.mentions) mentions.push_back(b.CreateString(m));
  std::vector<flatbuffers::Offset<fb::Attachment>> attachments;
  for (const auto& a : e.attachments) {
    attachments.push_back(fb::CreateAttachment(b, b.CreateString(a.upload_id), b.CreateString(a.external_id),
                                               b.CreateString(a.name)));
  }
  std::vector<flatbuffers::Offset<fb::Version>> versions;
  for (const auto& v : e.versions) versions.push_back(fb::CreateVersion(b, b.CreateString(v.body), v.at));
  b.Finish(fb::CreateEntry(b, b.CreateString(e.id), e.note, b.CreateString(e.author), e.side == Side::kClient,
                           b.CreateString(e.body), e.created_at, e.edited, e.deleted, e.deleted_at,
                           b.CreateVector(mentions), b.CreateVector(attachments), b.CreateVector(versions)));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!verifier.VerifyBuffer<fb::Entry>(nullptr))
    return Error::Corruption("a thread entry does not verify", 0);
  const fb::Entry* f = flatbuffers::GetRoot<fb::Entry>(bytes.data());
  Entry e;
  e.id = Str(f->id());
  e.note = f->note();
  e.author = Str(f->author());
  e.side = f->client() ? Side::kClient : Side::kFirm;
  e.body = Str(f->body());
  e.created_at = f->created_at();
  e.edited = f->edited();
  e.deleted = f->deleted();
  e.deleted_at = f->deleted_at();
  if (f->mentions()) {
    for (const auto* m : *f->mentions()) e.mentions.push_back(m->str());
  }
  if (f->attachments()) {
    for (const auto* a : *f->attachments())
      e.attachments.push_back({Str(a->upload_id()), Str(a->external_id()), Str(a->name())});
  }
  if (f->versions()) {
    for (const auto* v : *f->versions()) e.versions.push_back({Str(v->body()), v->at()});
  }
  return e;
}

// The entry a message or note event creates, if it creates one.
std::optional<Entry> NewEntry(const domain::Event& event) {
  if (const auto* e = std::get_if<domain::MessagePosted>(&event)) {
    Entry entry{e->message, e->author, e->side, false, e->body, e->at};
    entry.mentions = e->mentions;
    entry.attachments = e->attachments;
    entry.versions = {{e->body, e->at}};
    return entry;
  }
  if (const auto* e = std::get_if<domain::NoteAdded>(&event)) {
    Entry entry{e->note, e->author, Side::kFirm, true, e->body, e->at};
    entry.mentions = e->mentions;
    return entry;
  }
  return std::nullopt;
}

// The message an edit or a delete changes, if the event is one.
const std::string* ChangedMessage(const domain::Event& event) {
  if (const auto* e = std::get_if<domain::MessageEdited>(&event)) return &e->message;
  if (const auto* e = std::get_if<domain::MessageDeleted>(&event)) return &e->message;
  return nullptr;
}

void ChangeEntry(Entry& entry, const domain::Event& event) {
  std::visit(Overloaded{
                 [&](const domain::MessageEdited& e) {
                   entry.body = e.body;
                   entry.edited = true;
                   entry.versions.push_back({e.body, e.at});
                 },
                 [&](const domain::MessageDeleted& e) {
                   entry.deleted = true;
                   entry.deleted_at = e.at;
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
  if (auto entry = NewEntry(event)) {
    thread.entries.push_back(std::move(*entry));
  } else if (const std::string* message = ChangedMessage(event)) {
    if (const domain::ThreadItem* found = thread.record.state.Find(*message))
      ChangeEntry(thread.entries.at(found->ordinal - 1), event);
  }
}

json::object ThreadJson(const ConversationThread& thread) {
  const domain::Conversation& c = thread.record.state;
  auto time = [](Micros at) { return at == 0 ? json::value(nullptr) : json::value(FormatRfc3339(at)); };
  json::array participants(c.participants.begin(), c.participants.end());
  json::array reads;
  for (const auto& mark : thread.record.reads)
    reads.push_back({{"user", mark.user}, {"up_to", mark.up_to}, {"at", time(mark.at)}});
  json::array entries;
  for (const Entry& e : thread.entries) {
    json::array versions;
    for (const auto& v : e.versions) versions.push_back({{"body", v.body}, {"at", time(v.at)}});
    entries.push_back({{"id", e.id},
                       {"note", e.note},
                       {"author", e.author},
                       {"side", domain::ToString(e.side)},
                       {"body", e.body},
                       {"created_at", time(e.created_at)},
                       {"edited", e.edited},
                       {"deleted", e.deleted},
                       {"deleted_at", time(e.deleted_at)},
                       {"mentions", StringsJson(e.mentions)},
                       {"attachments", AttachmentsJson(e.attachments)},
                       {"versions", std::move(versions)}});
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
          {"entries", std::move(entries)},
          {"reads", std::move(reads)}};
}

Result<void> ConversationProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kConversationStreamPrefix)) return {};
  auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const std::string id(event.stream().substr(domain::kConversationStreamPrefix.size()));
  ConversationRecord record;
  if (const auto* started = std::get_if<domain::ConversationStarted>(&*decoded)) {
    writer.Put(WhereKey(id), started->firm + "/" + started->dossier);
  } else {
    auto where = writer.Get(WhereKey(id));
    if (!where.ok()) return where.error();
    if (!where->has_value())
      return Error::Corruption("an event for unknown conversation " + id, event.position());
    auto stored = writer.Get("conv/" + **where + "/" + id);
    if (!stored.ok()) return stored.error();
    if (!stored->has_value())
      return Error::Corruption("conversation " + id + " has no record", event.position());
    auto loaded = DecodeRecord(**stored);
    if (!loaded.ok()) return loaded.error();
    record = std::move(*loaded);
  }
  FoldRecord(record, *decoded, event.stream_version());
  if (auto entry = NewEntry(*decoded)) {
    writer.Put(EntryKey(id, record.state.items.size()), EncodeEntry(*entry));
  } else if (const std::string* message = ChangedMessage(*decoded)) {
    const domain::ThreadItem* found = record.state.Find(*message);
    if (!found) return Error::Corruption("a change to unknown message " + *message, event.position());
    const std::string key = EntryKey(id, found->ordinal);
    auto stored = writer.Get(key);
    if (!stored.ok()) return stored.error();
    if (!stored->has_value())
      return Error::Corruption("message " + *message + " is missing", event.position());
    auto entry = DecodeEntry(**stored);
    if (!entry.ok()) return entry.error();
    ChangeEntry(*entry, *decoded);
    writer.Put(key, EncodeEntry(*entry));
  }
  writer.Put(RecordKey(record.state), EncodeRecord(record));
  return {};
}

Result<std::optional<ConversationRecord>> LoadRecord(ReadModelStore& store, const std::string& id) {
  auto where = store.Get(ConversationProjection::kName, WhereKey(id));
  if (!where.ok()) return where.error();
  if (!where->has_value()) return std::optional<ConversationRecord>();
  auto stored = store.Get(ConversationProjection::kName, "conv/" + **where + "/" + id);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<ConversationRecord>();
  auto record = DecodeRecord(**stored);
  if (!record.ok()) return record.error();
  return std::optional(std::move(*record));
}

Result<std::vector<Entry>> LoadEntries(ReadModelStore& store, const std::string& id) {
  const std::string prefix = EntryPrefix(id);
  std::vector<Entry> entries;
  auto loaded = ForEachStored(store, ConversationProjection::kName, prefix,
                              [&](const std::string&, const std::string& value) -> Result<void> {
                                auto entry = DecodeEntry(value);
                                if (!entry.ok()) return entry.error();
                                entries.push_back(std::move(*entry));
                                return {};
                              });
  if (!loaded.ok()) return loaded.error();
  return entries;
}

Result<std::optional<Entry>> LoadEntry(ReadModelStore& store, const std::string& id, std::uint64_t ordinal) {
  auto stored = store.Get(ConversationProjection::kName, EntryKey(id, ordinal));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<Entry>();
  auto entry = DecodeEntry(**stored);
  if (!entry.ok()) return entry.error();
  return std::optional(std::move(*entry));
}

Result<std::vector<ConversationRecord>> DossierConversations(ReadModelStore& store, const std::string& firm,
                                                             const std::string& dossier) {
  const std::string prefix = DossierPrefix(firm, dossier);
  std::vector<ConversationRecord> records;
  auto loaded = ForEachStored(store, ConversationProjection::kName, prefix,
                              [&](const std::string&, const std::string& value) -> Result<void> {
                                auto record = DecodeRecord(value, /*item_ids=*/false);
                                if (!record.ok()) return record.error();
                                records.push_back(std::move(*record));
                                return {};
                              });
  if (!loaded.ok()) return loaded.error();
  std::sort(records.begin(), records.end(), [](const ConversationRecord& a, const ConversationRecord& b) {
    return ListCursor::Of(a).Precedes(b);
  });
  return records;
}

ListCursor ListCursor::Of(const ConversationRecord& record) {
  return {record.state.last_activity_at, record.state.id};
}

std::optional<ListCursor> ListCursor::Parse(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot + 1 == text.size()) return std::nullopt;
  ListCursor cursor;
  auto [end, ec] = std::from_chars(text.data(), text.data() + dot, cursor.last_activity);
  if (ec != std::errc() || end != text.data() + dot) return std::nullopt;
  cursor.id = std::string(text.substr(dot + 1));
  return cursor;
}

std::string ListCursor::ToString() const {
  return std::to_string(last_activity) + "." + id;
}

bool ListCursor::Precedes(const ConversationRecord& record) const {
  const Micros at = record.state.last_activity_at;
  return at < last_activity || (at == last_activity && record.state.id > id);
}

}  // namespace parley::projections
