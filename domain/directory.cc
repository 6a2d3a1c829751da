#include "domain/directory.h"

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

}  // namespace parley::domain
