#include "projections/directory_projection.h"

#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {
namespace {

// Keys: <firm>/firm, <firm>/user/<id>, <firm>/dossier/<id>; values are the
// latest definition event's payload. Ids never hold '/' (the directory
// checks them).
std::string KeyOf(const domain::DirectoryEvent& event) {
  if (const auto* e = std::get_if<domain::FirmDefined>(&event)) return e->firm + "/firm";
  if (const auto* e = std::get_if<domain::UserDefined>(&event)) return e->firm + "/user/" + e->user;
  const auto& d = std::get<domain::DossierDefined>(event);
  return d.firm + "/dossier/" + d.dossier;
}

const char* TypeOfKey(std::string_view key) {
  if (key.find("/user/") != std::string_view::npos) return "UserDefined";
  if (key.find("/dossier/") != std::string_view::npos) return "DossierDefined";
  return "FirmDefined";
}

}  // namespace

Result<void> DirectoryProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kDirectoryStreamPrefix)) return {};
  auto decoded = domain::DecodeDirectoryEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  writer.Put(KeyOf(*decoded), event.payload());
  changed_ = true;
  return {};
}

void DirectoryProjection::Stored() {
  if (!changed_) return;
  changed_ = false;
  generation_.fetch_add(1, std::memory_order_release);
}

Result<std::shared_ptr<const domain::Directory>> DirectoryCache::Get(const std::string& firm) {
  // Read the generation before loading: a change stored meanwhile makes
  // the next Get load again, so a stale directory is never kept.
  const std::uint64_t generation = projection_.generation();
  {
    std::lock_guard lock(mu_);
    auto it = firms_.find(firm);
    if (it != firms_.end() && it->second.generation == generation) return it->second.directory;
  }
  auto loaded = LoadDirectory(store_, firm);
  if (!loaded.ok()) return loaded.error();
  auto directory = std::make_shared<const domain::Directory>(std::move(*loaded));
  std::lock_guard lock(mu_);
  Entry& entry = firms_[firm];
  if (!entry.directory || entry.generation <= generation) entry = {directory, generation};
  return directory;
}

Result<domain::Directory> LoadDirectory(ReadModelStore& store, const std::string& firm) {
  domain::Directory directory;
  std::string start;
  for (;;) {
    auto page = store.Scan(DirectoryProjection::kName, firm + "/", start, 1024);
    if (!page.ok()) return page.error();
    for (const auto& [key, payload] : *page) {
      auto event = domain::DecodeDirectoryEvent(TypeOfKey(key), domain::kEventSchemaVersion, payload);
      if (!event.ok()) return event.error();
      domain::Evolve(directory, *event);
    }
    if (page->size() < 1024) return directory;
    start = page->back().first + '\0';
  }
}

}  // namespace parley::projections
