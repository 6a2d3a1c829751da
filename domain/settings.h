// A user's settings (SPEC section 6): how often and in which language they
// are told of new activity, and in which dossiers they take part by
// default in questions. One aggregate per user, pure decide/evolve.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/directory.h"

namespace parley::domain {

enum class Frequency { kImmediate, kHourly, kDaily, kNever };
std::optional<Frequency> ParseFrequency(std::string_view text);
const char* ToString(Frequency frequency);

// Who started a conversation: a client asking the firm ("questions for the
// accountant") or staff asking the client ("questions for the entrepreneur").
enum class Question { kForAccountant, kForEntrepreneur };

// ---- Events ----

struct NotificationsSet {
  std::string firm, user;
  Frequency frequency = Frequency::kImmediate;
  std::string language;  // empty: the user's profile language
  Micros at = 0;
  bool operator==(const NotificationsSet&) const = default;
};
// Participation by default, for one dossier or (dossier empty) for every
// dossier of the firm at once; an absent flag is left as it was.
struct ParticipationSet {
  std::string firm, user, dossier;
  std::optional<bool> for_accountant, for_entrepreneur;
  Micros at = 0;
  bool operator==(const ParticipationSet&) const = default;
};
using SettingsEvent = std::variant<NotificationsSet, ParticipationSet>;
const char* TypeName(const SettingsEvent& event);
Micros TimeOf(const SettingsEvent& event);

// ---- State ----

struct Participation {
  std::optional<bool> for_accountant, for_entrepreneur;  // unset: the default
  bool operator==(const Participation&) const = default;
};

struct UserSettings {
  Frequency frequency = Frequency::kImmediate;
  std::string language;                           // empty: the profile language
  Participation all;                              // set for every dossier at once
  std::map<std::string, Participation> dossiers;  // set for one dossier

  // Does this staff user take part by default in `question`s of `dossier`?
  // One dossier's choice, else the choice for all, else the default: on
  // for questions for the accountant in dossiers they are assigned to,
  // off otherwise.
  bool Participates(const std::string& dossier, bool assigned, Question question) const;
};

// ---- Commands ----

struct SetNotifications {
  std::string frequency, language;  // as given by the caller, checked here
};
struct SetParticipation {
  std::string dossier;  // empty with `all`
  bool all = false;
  std::optional<bool> for_accountant, for_entrepreneur;
};
using SettingsCommand = std::variant<SetNotifications, SetParticipation>;

// Checks a change of the actor's own settings; no event when nothing changes.
Result<std::vector<SettingsEvent>> Decide(const UserSettings& state, const SettingsCommand& command,
                                          const Directory& directory, const Actor& actor, Micros now);
void Evolve(UserSettings& state, const SettingsEvent& event);

// Fills the dossier's default participants from every staff user's
// settings (users without settings keep the defaults).
void ApplyParticipation(DossierAccess& access, const Directory& directory,
                        const std::map<std::string, UserSettings>& settings);

}  // namespace parley::domain
