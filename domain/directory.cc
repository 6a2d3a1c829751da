#include "domain/directory.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace parley::domain {
namespace {

template <class E, std::size_t N>
std::optional<E> ParseName(std::string_view text, const std::pair<const char*, E> (&names)[N]) {
  for (const auto& [name, value] : names) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
const char* NameOf(E value, const std::pair<const char*, E> (&names)[N]) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "";
}

constexpr std::pair<const char*, UserKind> kKinds[] = {{"staff", UserKind::kStaff},
                                                       {"client", UserKind::kClient},
                                                       {"admin", UserKind::kAdmin},
                                                       {"service", UserKind::kService}};
constexpr std::pair<const char*, StaffRole> kRoles[] = {
    {"expert_comptable", StaffRole::kExpertComptable},
    {"chef_mission_comptable", StaffRole::kChefMissionComptable},
    {"chef_mission_social", StaffRole::kChefMissionSocial},
    {"collaborateur", StaffRole::kCollaborateur}};
constexpr std::pair<const char*, ClientProfile> kProfiles[] = {{"full_access", ClientProfile::kFullAccess},
                                                               {"limited", ClientProfile::kLimited}};

}  // namespace

const char* ToString(Side side) {
  return side == Side::kClient ? "client" : "firm";
}

std::optional<UserKind> ParseUserKind(std::string_view text) {
  return ParseName(text, kKinds);
}
const char* ToString(UserKind kind) {
  return NameOf(kind, kKinds);
}
std::optional<StaffRole> ParseStaffRole(std::string_view text) {
  return ParseName(text, kRoles);
}
const char* ToString(StaffRole role) {
  return NameOf(role, kRoles);
}
std::optional<ClientProfile> ParseClientProfile(std::string_view text) {
  return ParseName(text, kProfiles);
}
const char* ToString(ClientProfile profile) {
  return NameOf(profile, kProfiles);
}

bool IsManager(StaffRole role) {
  return role == StaffRole::kExpertComptable || role == StaffRole::kChefMissionComptable ||
         role == StaffRole::kChefMissionSocial;
}

bool DossierAccess::IsFullAccessClient(const std::string& user) const {
  auto it = clients.find(user);
  return it != clients.end() && it->second == ClientProfile::kFullAccess;
}

bool IsLanguage(std::string_view language) {
  return language == "fr" || language == "nl" || language == "en" || language == "de";
}

const char* TypeName(const DirectoryEvent& event) {
  static constexpr const char* kNames[] = {"FirmDefined", "UserDefined", "DossierDefined"};
  return kNames[event.index()];
}

Micros TimeOf(const DirectoryEvent& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

const UserDefined* Directory::User(const std::string& id) const {
  auto it = users.find(id);
  return it == users.end() ? nullptr : &it->second;
}

const DossierDefined* Directory::Dossier(const std::string& id) const {
  auto it = dossiers.find(id);
  return it == dossiers.end() ? nullptr : &it->second;
}

std::optional<Actor> Directory::ActorFor(const std::string& user) const {
  const UserDefined* u = User(user);
  if (u == nullptr) return std::nullopt;
  return Actor{u->user, u->kind, u->role};
}

std::optional<DossierAccess> Directory::AccessFor(const std::string& dossier) const {
  const DossierDefined* d = Dossier(dossier);
  if (d == nullptr || !firm) return std::nullopt;
  DossierAccess access;
  access.firm = d->firm;
  access.dossier = d->dossier;
  for (const DossierClient& c : d->clients) access.clients[c.user] = c.profile;
  for (const auto& [id, u] : users) {
    if (u.kind == UserKind::kStaff) access.firm_staff.insert(id);
  }
  access.default_for_client_questions = d->staff;
  return access;
}

namespace {

Result<void> CheckName(const std::string& name, const char* what) {
  const auto first = name.find_first_not_of(" \t");
  if (first == std::string::npos) return Error::InvalidArgument(std::string(what) + " needs a name.");
  std::size_t chars = 0;
  for (unsigned char c : name) chars += (c & 0xC0) != 0x80;
  if (chars > kMaxNameChars)
    return Error::InvalidArgument(std::string(what) + " name is longer than 200 characters.");
  return {};
}

Result<void> CheckId(const std::string& id, const char* what) {
  const bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (!ok)
    return Error::InvalidArgument(std::string(what) + " ids use 1-128 letters, digits, '-', '_' or '.'.");
  return {};
}

Result<std::vector<DirectoryEvent>> Changed(const DirectoryEvent& event, bool unchanged) {
  if (unchanged) return std::vector<DirectoryEvent>{};
  return std::vector<DirectoryEvent>{event};
}

Result<std::vector<DirectoryEvent>> DecideFirm(const Directory& s, const DefineFirm& c, Micros now) {
  if (auto r = CheckId(c.firm, "Firm"); !r.ok()) return r.error();
  if (auto r = CheckName(c.name, "A firm"); !r.ok()) return r.error();
  if (!IsLanguage(c.default_language)) {
    return Error::InvalidArgument("default_language must be fr, nl, en or de.");
  }
  FirmDefined e{c.firm, c.name, c.default_language, now};
  return Changed(e, s.firm && s.firm->name == e.name && s.firm->default_language == e.default_language);
}

Result<std::vector<DirectoryEvent>> DecideUser(const Directory& s, const DefineUser& c,
                                               const std::string& firm, Micros now) {
  if (!s.firm) return Error::NotFound("There is no such firm.");
  if (auto r = CheckId(c.user, "User"); !r.ok()) return r.error();
  auto kind = ParseUserKind(c.kind);
  if (!kind) return Error::InvalidArgument("kind must be staff, client, admin or service.");
  if (auto r = CheckName(c.name, "A user"); !r.ok()) return r.error();
  if (c.email.find('@') == std::string::npos || c.email.find_first_of(" \t\r\n<>") != std::string::npos) {
    return Error::InvalidArgument("email is not an e-mail address.");
  }
  const std::string language = c.language.empty() ? s.firm->default_language : c.language;
  if (!IsLanguage(language)) return Error::InvalidArgument("language must be fr, nl, en or de.");
  StaffRole role = StaffRole::kNone;
  if (*kind == UserKind::kStaff) {
    auto parsed = ParseStaffRole(c.role);
    if (!parsed) {
      return Error::InvalidArgument(
          "role must be expert_comptable, chef_mission_comptable, chef_mission_social or collaborateur.");
    }
    role = *parsed;
  } else if (!c.role.empty()) {
    return Error::InvalidArgument("Only staff users have a role.");
  }
  const UserDefined* existing = s.User(c.user);
  // Rules and history depend on which side a user is on; it never changes.
  if (existing && existing->kind != *kind) return Error::Conflict("A user's kind cannot change.", 0);
  UserDefined e{firm, c.user, *kind, c.name, c.email, language, role, now};
  return Changed(e, existing && existing->name == e.name && existing->email == e.email &&
                        existing->language == e.language && existing->role == e.role);
}

Result<std::vector<DirectoryEvent>> DecideDossier(const Directory& s, const DefineDossier& c,
                                                  const std::string& firm, Micros now) {
  if (!s.firm) return Error::NotFound("There is no such firm.");
  if (auto r = CheckId(c.dossier, "Dossier"); !r.ok()) return r.error();
  if (auto r = CheckName(c.name, "A dossier"); !r.ok()) return r.error();
  const std::string language = c.language.empty() ? s.firm->default_language : c.language;
  if (!IsLanguage(language)) return Error::InvalidArgument("language must be fr, nl, en or de.");
  DossierDefined e{firm, c.dossier, c.name, language, {}, {}, now};
  std::set<std::string> seen;
  for (const auto& [user, profile_text] : c.clients) {
    const UserDefined* u = s.User(user);
    if (!u || u->kind != UserKind::kClient) {
      return Error::InvalidArgument("Client " + user + " is not a client user of this firm.");
    }
    auto profile = ParseClientProfile(profile_text.empty() ? "full_access" : profile_text);
    if (!profile) return Error::InvalidArgument("profile must be full_access or limited.");
    if (!seen.insert(user).second) return Error::InvalidArgument("Client " + user + " is listed twice.");
    e.clients.push_back({user, *profile});
  }
  for (const std::string& user : c.staff) {
    const UserDefined* u = s.User(user);
    if (!u || u->kind != UserKind::kStaff) {
      return Error::InvalidArgument("Staff " + user + " is not a staff user of this firm.");
    }
    if (!seen.insert(user).second) return Error::InvalidArgument("Staff " + user + " is listed twice.");
    e.staff.push_back(user);
  }
  const DossierDefined* existing = s.Dossier(c.dossier);
  return Changed(e, existing && existing->name == e.name && existing->language == e.language &&
                        existing->clients == e.clients && existing->staff == e.staff);
}

}  // namespace

Result<std::vector<DirectoryEvent>> Decide(const Directory& state, const DirectoryCommand& command,
                                           const std::string& firm, Micros now) {
  if (const auto* c = std::get_if<DefineFirm>(&command)) {
    if (c->firm != firm) return Error::InvalidArgument("The firm id does not match the directory's firm.");
    return DecideFirm(state, *c, now);
  }
  if (const auto* c = std::get_if<DefineUser>(&command)) return DecideUser(state, *c, firm, now);
  return DecideDossier(state, std::get<DefineDossier>(command), firm, now);
}

void Evolve(Directory& state, const DirectoryEvent& event) {
  if (const auto* e = std::get_if<FirmDefined>(&event)) {
    state.firm = *e;
  } else if (const auto* e = std::get_if<UserDefined>(&event)) {
    state.users[e->user] = *e;
  } else {
    const auto& d = std::get<DossierDefined>(event);
    state.dossiers[d.dossier] = d;
  }
}

}  // namespace parley::domain
