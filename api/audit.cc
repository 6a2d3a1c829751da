// The audit half of the service (SPEC section 8): histories and the JSON
// Lines export, from the history read model. Only managers and compliance
// service accounts read them; a client never does, so no note reaches one.
#include <algorithm>

#include "api/service.h"
#include "projections/conversation_projection.h"
#include "projections/history_projection.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPage = 1000;

const Error kNotAuditor = Error::Forbidden("Only managers and compliance accounts read the audit history.");

json::object PageJson(projections::HistoryPage page) {
  return {{"items", std::move(page.entries)},
          {"next_cursor", page.next_cursor.empty() ? json::value(nullptr) : json::value(page.next_cursor)}};
}

}  // namespace

Result<domain::DossierAccess> Service::AuditedDossier(const Party& party, const std::string& dossier) {
  if (party.actor.kind == domain::UserKind::kService) {
    auto access = party.directory->AccessFor(dossier);
    if (!access) return Error::NotFound("There is no such dossier.");
    return std::move(*access);
  }
  auto access = DossierFor(party, dossier);
  if (!access.ok()) return access.error();
  if (!party.actor.is_staff() || !domain::IsManager(party.actor.role)) return kNotAuditor;
  return access;
}

Result<json::object> Service::ConversationHistory(const Claims& caller, const std::string& conversation,
                                                  const std::string& cursor, std::size_t limit) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  const Error unseen = Error::NotFound("There is no such conversation.");
  auto record = projections::LoadRecord(models_, conversation);
  if (!record.ok()) return record.error();
  if (!record->has_value() || (**record).state.firm != party->directory->firm->firm) return unseen;
  const std::string dossier = (**record).state.dossier;
  auto access = AuditedDossier(*party, dossier);
  if (!access.ok()) {
    // Those who cannot see the conversation do not learn that it exists.
    if (access.error().code == ErrorCode::kNotFound) return unseen;
    if (!domain::CanSee((**record).state, party->actor, *party->directory->AccessFor(dossier))) return unseen;
    return access.error();
  }
  auto page = projections::ConversationHistory(models_, conversation, cursor,
                                               std::clamp<std::size_t>(limit, 1, kMaxPage));
  if (!page.ok()) return page.error();
  return PageJson(std::move(*page));
}

Result<json::object> Service::DossierHistory(const Claims& caller, const std::string& dossier,
                                             std::optional<Micros> from, std::optional<Micros> to,
                                             const std::string& cursor, std::size_t limit) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = AuditedDossier(*party, dossier);
  if (!access.ok()) return access.error();
  auto page = projections::DossierHistory(models_, access->firm, dossier, cursor,
                                          std::clamp<std::size_t>(limit, 1, kMaxPage), from.value_or(0),
                                          to.value_or(INT64_MAX));
  if (!page.ok()) return page.error();
  return PageJson(std::move(*page));
}

Result<std::string> Service::ExportDossier(const Claims& caller, const std::string& dossier) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = AuditedDossier(*party, dossier);
  if (!access.ok()) return access.error();
  std::string lines;
  for (std::string cursor;;) {
    auto page = projections::DossierHistory(models_, access->firm, dossier, cursor, kMaxPage);
    if (!page.ok()) return page.error();
    for (const auto& entry : page->entries) lines.append(json::serialize(entry)).push_back('\n');
    if (page->next_cursor.empty()) return lines;
    cursor = page->next_cursor;
  }
}

}  // namespace parley::api
