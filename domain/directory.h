// Who is who: the directory's facts that the domain rules depend on. The
// application layer reads them from the directory read model and passes
// them in; the domain never looks anything up itself.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace parley::domain
