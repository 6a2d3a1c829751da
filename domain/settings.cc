#include "domain/settings.h"

#include <algorithm>

#include "common/overloaded.h"

namespace parley::domain {

std::optional<Frequency> ParseFrequency(std::string_view text) {
  if (text == "immediate") return Frequency::kImmediate;
  if (text == "hourly") return Frequency::kHourly;
  if (text == "daily") return Frequency::kDaily;
  if (text == "never") return Frequency::kNever;
  return std::nullopt;
}

const char* ToString(Frequency frequency) {
  switch (frequency) {
    case Frequency::kImmediate:
      return "immediate";
    case Frequency::kHourly:
      return "hourly";
    case Frequency::kDaily:
      return "daily";
    case Frequency::kNever:
      return "never";
  }
  return "immediate";
}

const char* TypeName(const SettingsEvent& event) {
  static constexpr const char* kNames[] = {"NotificationsSet", "ParticipationSet"};
  return kNames[event.index()];
}

Micros TimeOf(const SettingsEvent& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

bool UserSettings::Participates(const std::string& dossier, bool assigned, Question question) const {
  auto pick = [&](const Participation& p) {
    return question == Question::kForAccountant ? p.for_accountant : p.for_entrepreneur;
  };
  if (auto it = dossiers.find(dossier); it != dossiers.end()) {
    if (auto chosen = pick(it->second)) return *chosen;
  }
  if (auto chosen = pick(all)) return *chosen;
  return question == Question::kForAccountant && assigned;
}

namespace {

Result<std::vector<SettingsEvent>> DecideNotifications(const UserSettings& s, const SetNotifications& c,
                                                       const Actor& actor, const std::string& firm,
                                                       Micros now) {
  auto frequency = ParseFrequency(c.frequency);
  if (!frequency)
    return Error::InvalidArgument("notification_frequency is immediate, hourly, daily or never.");
  if (!c.language.empty() && !IsLanguage(c.language))
    return Error::InvalidArgument("notification_language is fr, nl, en or de.");
  if (s.frequency == *frequency && s.language == c.language) return std::vector<SettingsEvent>{};
  return std::vector<SettingsEvent>{NotificationsSet{firm, actor.id, *frequency, c.language, now}};
}

Result<std::vector<SettingsEvent>> DecideParticipation(const UserSettings& s, const SetParticipation& c,
                                                       const Directory& directory, const Actor& actor,
                                                       Micros now) {
  if (!actor.is_staff()) return Error::Forbidden("Only staff take part in questions by default.");
  if (!c.for_accountant && !c.for_entrepreneur) {
    return Error::InvalidArgument("Give questions_for_accountant, questions_for_entrepreneur, or both.");
  }
  if (c.all == !c.dossier.empty()) return Error::InvalidArgument("Give either a dossier or \"all\": true.");
  if (!c.all && directory.Dossier(c.dossier) == nullptr) return Error::NotFound("There is no such dossier.");
  // Nothing to record if every flag given already holds as set.
  Participation current = s.all;
  if (!c.all) {
    auto it = s.dossiers.find(c.dossier);
    current = it == s.dossiers.end() ? Participation{} : it->second;
  }
  const bool overrides = c.all && std::any_of(s.dossiers.begin(), s.dossiers.end(), [&](const auto& d) {
                           return (c.for_accountant && d.second.for_accountant) ||
                                  (c.for_entrepreneur && d.second.for_entrepreneur);
                         });
  if (!overrides && (!c.for_accountant || current.for_accountant == c.for_accountant) &&
      (!c.for_entrepreneur || current.for_entrepreneur == c.for_entrepreneur)) {
    return std::vector<SettingsEvent>{};
  }
  return std::vector<SettingsEvent>{ParticipationSet{directory.firm ? directory.firm->firm : "", actor.id,
                                                     c.all ? "" : c.dossier, c.for_accountant,
                                                     c.for_entrepreneur, now}};
}

}  // namespace

Result<std::vector<SettingsEvent>> Decide(const UserSettings& state, const SettingsCommand& command,
                                          const Directory& directory, const Actor& actor, Micros now) {
  const std::string firm = directory.firm ? directory.firm->firm : "";
  return std::visit(
      Overloaded{
          [&](const SetNotifications& c) { return DecideNotifications(state, c, actor, firm, now); },
          [&](const SetParticipation& c) { return DecideParticipation(state, c, directory, actor, now); },
      },
      command);
}

void Evolve(UserSettings& s, const SettingsEvent& event) {
  std::visit(Overloaded{
                 [&](const NotificationsSet& e) {
                   s.frequency = e.frequency;
                   s.language = e.language;
                 },
                 [&](const ParticipationSet& e) {
                   if (!e.dossier.empty()) {
                     Participation& p = s.dossiers[e.dossier];
                     if (e.for_accountant) p.for_accountant = e.for_accountant;
                     if (e.for_entrepreneur) p.for_entrepreneur = e.for_entrepreneur;
                     return;
                   }
                   // For all dossiers at once: one dossier's earlier choice
                   // of the same flag gives way.
                   if (e.for_accountant) s.all.for_accountant = e.for_accountant;
                   if (e.for_entrepreneur) s.all.for_entrepreneur = e.for_entrepreneur;
                   for (auto& [dossier, p] : s.dossiers) {
                     if (e.for_accountant) p.for_accountant.reset();
                     if (e.for_entrepreneur) p.for_entrepreneur.reset();
                   }
                 },
             },
             event);
}

void ApplyParticipation(DossierAccess& access, const Directory& directory,
                        const std::map<std::string, UserSettings>& settings) {
  const DossierDefined* dossier = directory.Dossier(access.dossier);
  const std::vector<std::string> assigned = dossier ? dossier->staff : std::vector<std::string>{};
  static const UserSettings kDefaults;
  auto participates = [&](const std::string& user, Question question) {
    const bool is_assigned = std::find(assigned.begin(), assigned.end(), user) != assigned.end();
    auto it = settings.find(user);
    return (it == settings.end() ? kDefaults : it->second)
        .Participates(access.dossier, is_assigned, question);
  };
  // Assigned staff first, in the dossier's order, then the others by id.
  std::vector<std::string> order;
  for (const auto& user : assigned) {
    if (access.IsStaff(user)) order.push_back(user);
  }
  for (const auto& user : access.firm_staff) {
    if (std::find(assigned.begin(), assigned.end(), user) == assigned.end()) order.push_back(user);
  }
  access.default_for_client_questions.clear();
  access.default_for_staff_questions.clear();
  for (const auto& user : order) {
    if (participates(user, Question::kForAccountant)) access.default_for_client_questions.push_back(user);
    if (participates(user, Question::kForEntrepreneur)) access.default_for_staff_questions.push_back(user);
  }
}

}  // namespace parley::domain
