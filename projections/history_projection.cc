#include "projections/history_projection.h"

#include <cinttypes>
#include <cstdio>

#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/event_json.h"

namespace parley::projections {
namespace {

namespace json = boost::json;

// Keys: where/<conversation> = "<firm>/<dossier>";
// d/<firm>/<dossier>/<position> = the entry; c/<conversation>/<position> =
// "" (an index into the dossier's entries). Positions are zero-padded so
// that key order is log order.
std::string Padded(std::uint64_t position) {
  char text[24];
  std::snprintf(text, sizeof text, "%020" PRIu64, position);
  return text;
}

std::string DossierPrefix(std::string_view firm, std::string_view dossier) {
  std::string key("d/");
  key.append(firm).append("/").append(dossier).append("/");
  return key;
}

std::string ConversationPrefix(std::string_view conversation) {
  std::string key("c/");
  key.append(conversation).append("/");
  return key;
}

std::string WhereKey(std::string_view conversation) {
  std::string key("where/");
  key.append(conversation);
  return key;
}

json::object Entry(const eventstore::EventView& event, std::string_view dossier,
                   std::string_view conversation, Micros at, std::string_view type, json::object fields) {
  return {{"position", event.position()},
          {"event_id", event.id()},
          {"at", FormatRfc3339(at)},
          {"type", type},
          {"actor", event.actor()},
          {"on_behalf_of",
           event.on_behalf_of().empty() ? json::value(nullptr) : json::value(event.on_behalf_of())},
          {"dossier", dossier},
          {"conversation", conversation.empty() ? json::value(nullptr) : json::value(conversation)},
          {"version", event.stream_version()},
          {"data", std::move(fields)}};
}

// Scans `prefix` from `cursor` and hands each key's suffix and value to
// `take` until it has `limit` entries or the prefix ends.
Result<HistoryPage> Page(ReadModelStore& store, const std::string& prefix, const std::string& cursor,
                         std::size_t limit,
                         const std::function<Result<std::optional<json::object>>(
                             const std::string& value, const std::string& position)>& take) {
  HistoryPage page;
  std::string start = cursor.empty() ? "" : prefix + cursor + '\0';
  constexpr std::size_t kScan = 256;
  for (;;) {
    auto rows = store.Scan(HistoryProjection::kName, prefix, start, kScan);
    if (!rows.ok()) return rows.error();
    for (const auto& [key, value] : *rows) {
      const std::string position = key.substr(prefix.size());
      auto entry = take(value, position);
      if (!entry.ok()) return entry.error();
      if (entry->has_value()) page.entries.push_back(std::move(**entry));
      if (page.entries.size() == limit) {
        page.next_cursor = position;
        return page;
      }
    }
    if (rows->size() < kScan) return page;
    start = rows->back().first + '\0';
  }
}

}  // namespace

Result<std::optional<HistoryEntry>> RenderHistoryEntry(const eventstore::EventView& event,
                                                       const ConversationHome& home) {
  const std::string_view stream = event.stream();
  if (stream.starts_with(domain::kDirectoryStreamPrefix)) {
    auto decoded = domain::DecodeDirectoryEvent(event.type(), event.schema_version(), event.payload());
    if (!decoded.ok()) return decoded.error();
    const auto* dossier = std::get_if<domain::DossierDefined>(&*decoded);
    if (!dossier) return std::optional<HistoryEntry>();
    return std::optional<HistoryEntry>(
        HistoryEntry{dossier->firm, dossier->dossier, "",
                     Entry(event, dossier->dossier, "", dossier->at, event.type(), EventFields(*decoded))});
  }
  if (!stream.starts_with(domain::kConversationStreamPrefix)) return std::optional<HistoryEntry>();
  const std::string conversation(stream.substr(domain::kConversationStreamPrefix.size()));
  auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  std::string firm, dossier;
  if (const auto* started = std::get_if<domain::ConversationStarted>(&*decoded)) {
    firm = started->firm;
    dossier = started->dossier;
  } else {
    auto where = home(conversation);
    if (!where.ok()) return where.error();
    if (!where->has_value())
      return Error::Corruption("an event for unknown conversation " + conversation, event.position());
    std::tie(firm, dossier) = **where;
  }
  json::object json =
      Entry(event, dossier, conversation, domain::TimeOf(*decoded), event.type(), EventFields(*decoded));
  return std::optional<HistoryEntry>(
      HistoryEntry{std::move(firm), std::move(dossier), conversation, std::move(json)});
}

Result<void> HistoryProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  auto entry = RenderHistoryEntry(
      event,
      [&](std::string_view conversation) -> Result<std::optional<std::pair<std::string, std::string>>> {
        auto where = writer.Get(WhereKey(conversation));
        if (!where.ok()) return where.error();
        if (!where->has_value()) return std::optional<std::pair<std::string, std::string>>();
        const std::string& value = **where;
        const auto slash = value.find('/');
        return std::optional(std::make_pair(value.substr(0, slash), value.substr(slash + 1)));
      });
  if (!entry.ok()) return entry.error();
  if (!entry->has_value()) return {};
  const HistoryEntry& e = **entry;
  const std::string position = Padded(event.position());
  writer.Put(DossierPrefix(e.firm, e.dossier) + position, json::serialize(e.json));
  if (!e.conversation.empty()) {
    if (event.stream_version() == 1) writer.Put(WhereKey(e.conversation), e.firm + "/" + e.dossier);
    writer.Put(ConversationPrefix(e.conversation) + position, "");
  }
  return {};
}

Result<HistoryPage> DossierHistory(ReadModelStore& store, const std::string& firm, const std::string& dossier,
                                   const std::string& cursor, std::size_t limit, Micros from, Micros to) {
  return Page(store, DossierPrefix(firm, dossier), cursor, limit,
              [&](const std::string& value, const std::string&) -> Result<std::optional<json::object>> {
                json::object entry = json::parse(value).as_object();
                const auto at = ParseRfc3339(entry.at("at").as_string());
                if (!at || *at < from || *at > to) return std::optional<json::object>();
                return std::optional(std::move(entry));
              });
}

Result<HistoryPage> ConversationHistory(ReadModelStore& store, const std::string& conversation,
                                        const std::string& cursor, std::size_t limit) {
  auto where = store.Get(HistoryProjection::kName, WhereKey(conversation));
  if (!where.ok()) return where.error();
  if (!where->has_value()) return HistoryPage{};
  const std::string dossier_prefix = "d/" + **where + "/";
  return Page(store, ConversationPrefix(conversation), cursor, limit,
              [&](const std::string&, const std::string& position) -> Result<std::optional<json::object>> {
                auto value = store.Get(HistoryProjection::kName, dossier_prefix + position);
                if (!value.ok()) return value.error();
                if (!value->has_value())
                  return Error::Corruption("history entry " + position + " is missing",
                                           std::stoull(position));
                return std::optional(json::parse(**value).as_object());
              });
}

}  // namespace parley::projections
