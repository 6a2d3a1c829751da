// Who is who: the directory's facts that the domain rules depend on. The
// application layer reads them from the directory read model and passes
// them in; the domain never looks anything up itself.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace parley::domain {

enum class Side { kFirm, kClient };
const char* ToString(Side side);

enum class UserKind { kStaff, kClient, kAdmin, kService };
std::optional<UserKind> ParseUserKind(std::string_view text);
const char* ToString(UserKind kind);

enum class StaffRole { kNone, kExpertComptable, kChefMissionComptable, kChefMissionSocial, kCollaborateur };
std::optional<StaffRole> ParseStaffRole(std::string_view text);
const char* ToString(StaffRole role);
// Expert-comptable and both chefs de mission are managers.
bool IsManager(StaffRole role);

enum class ClientProfile { kFullAccess, kLimited };
std::optional<ClientProfile> ParseClientProfile(std::string_view text);
const char* ToString(ClientProfile profile);

// The user acting, as the directory knows them.
struct Actor {
  std::string id;
  UserKind kind = UserKind::kStaff;
  StaffRole role = StaffRole::kNone;

  bool is_staff() const { return kind == UserKind::kStaff; }
  bool is_client() const { return kind == UserKind::kClient; }
  Side side() const { return is_client() ? Side::kClient : Side::kFirm; }
};

// A dossier as the rules need it.
struct DossierAccess {
  std::string firm, dossier;
  std::map<std::string, ClientProfile> clients;  // client users of the dossier
  std::set<std::string> firm_staff;              // every staff user of the firm
  // Staff who take part by default in conversations clients start
  // ("questions for the accountant"), and in those staff start.
  std::vector<std::string> default_for_client_questions;
  std::vector<std::string> default_for_staff_questions;

  bool HasClient(const std::string& user) const { return clients.count(user) > 0; }
  bool IsFullAccessClient(const std::string& user) const;
  bool IsStaff(const std::string& user) const { return firm_staff.count(user) > 0; }
};

// ---- The directory aggregate: one per firm, kept as events so that
// history and "as of" know who could see what at the time. ----

inline constexpr std::size_t kMaxNameChars = 200;

// fr, nl, en or de.
bool IsLanguage(std::string_view language);

struct DossierClient {
  std::string user;
  ClientProfile profile = ClientProfile::kFullAccess;
  bool operator==(const DossierClient&) const = default;
};

// Events (create or update: the latest definition holds).
struct FirmDefined {
  std::string firm, name, default_language;
  Micros at = 0;
  bool operator==(const FirmDefined&) const = default;
};
struct UserDefined {
  std::string firm, user;
  UserKind kind = UserKind::kStaff;
  std::string name, email, language;
  StaffRole role = StaffRole::kNone;
  Micros at = 0;
  bool operator==(const UserDefined&) const = default;
};
struct DossierDefined {
  std::string firm, dossier, name, language;
  std::vector<DossierClient> clients;
  std::vector<std::string> staff;
  Micros at = 0;
  bool operator==(const DossierDefined&) const = default;
};
using DirectoryEvent = std::variant<FirmDefined, UserDefined, DossierDefined>;
const char* TypeName(const DirectoryEvent& event);
Micros TimeOf(const DirectoryEvent& event);

// Commands carry the whole definition (PUT semantics).
struct DefineFirm {
  std::string firm, name, default_language;
};
struct DefineUser {
  std::string user;
  std::string kind, name, email, language, role;  // as given by the caller, checked here
};
struct DefineDossier {
  std::string dossier, name, language;
  std::vector<std::pair<std::string, std::string>> clients;  // user, profile
  std::vector<std::string> staff;
};
using DirectoryCommand = std::variant<DefineFirm, DefineUser, DefineDossier>;

struct Directory {
  std::optional<FirmDefined> firm;
  std::map<std::string, UserDefined> users;
  std::map<std::string, DossierDefined> dossiers;

  const UserDefined* User(const std::string& id) const;
  const DossierDefined* Dossier(const std::string& id) const;
  // The actor `user` of this firm, if the directory knows them.
  std::optional<Actor> ActorFor(const std::string& user) const;
  // The dossier as the conversation rules need it. Staff assigned to the
  // dossier take part by default in questions clients start.
  std::optional<DossierAccess> AccessFor(const std::string& dossier) const;
};

// Checks a definition; returns no event when nothing changes.
Result<std::vector<DirectoryEvent>> Decide(const Directory& state, const DirectoryCommand& command,
                                           const std::string& firm, Micros now);
void Evolve(Directory& state, const DirectoryEvent& event);

}  // namespace parley::domain
