// The settings half of the service (SPEC section 6): a user's notification
// choices, their participation by default per dossier, and the recipient
// picker that shows it.
#include <algorithm>

#include "api/command_runner.h"
#include "api/json_fields.h"
#include "api/service.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/settings_projection.h"

namespace parley::api {

namespace json = boost::json;

namespace {

json::object SettingsJson(const domain::UserSettings& s, const domain::UserDefined& user) {
  return {{"notification_frequency", domain::ToString(s.frequency)},
          {"notification_language", s.language.empty() ? user.language : s.language}};
}

// "questions_for_accountant": true, false, or absent (unchanged).
Result<std::optional<bool>> OptionalFlag(const json::object& body, const char* name) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return Error::InvalidArgument(std::string("\"") + name + "\" is true or false.");
  return std::optional<bool>(v->as_bool());
}

}  // namespace

Result<domain::UserSettings> Service::RunSettings(const Party& party, const domain::SettingsCommand& command,
                                                  const Caller& caller) {
  std::optional<Idempotency> idempotency;
  if (!caller.idempotency_scope.empty()) idempotency = Idempotency{caller.idempotency_scope, caller.body_sha};
  auto outcome = RunCommand<domain::UserSettings, domain::SettingsEvent>(
      LogOf(party.directory->firm->firm), projector_, clock_, domain::SettingsStream(party.directory->firm->firm, party.actor.id),
      party.actor.id,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeSettingsEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::UserSettings& state, Micros now) {
        return domain::Decide(state, command, *party.directory, party.actor, now);
      },
      std::nullopt, idempotency ? &*idempotency : nullptr);
  if (!outcome.ok()) return outcome.error();
  return std::move(outcome->state);
}

Result<json::object> Service::GetSettings(const Claims& caller) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto settings = projections::LoadSettings(models_, party->directory->firm->firm, party->actor.id);
  if (!settings.ok()) return settings.error();
  return SettingsJson(*settings, *party->directory->User(party->actor.id));
}

Result<Written> Service::PutSettings(const Caller& caller, const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto current = projections::LoadSettings(models_, party->directory->firm->firm, party->actor.id);
  if (!current.ok()) return current.error();
  // Fields left out keep their value; a null or empty language goes back
  // to the profile's.
  domain::SetNotifications command{domain::ToString(current->frequency), current->language};
  if (const json::value* f = body.if_contains("notification_frequency")) {
    if (!f->is_string())
      return Error::InvalidArgument("notification_frequency is immediate, hourly, daily or never.");
    command.frequency = f->as_string();
  }
  if (const json::value* l = body.if_contains("notification_language")) {
    if (!l->is_null() && !l->is_string())
      return Error::InvalidArgument("notification_language is fr, nl, en or de.");
    command.language = l->is_string() ? std::string(l->as_string()) : "";
  }
  auto settings = RunSettings(*party, command, caller);
  if (!settings.ok()) return settings.error();
  return Written{SettingsJson(*settings, *party->directory->User(party->actor.id)), false};
}

Result<json::object> Service::GetParticipation(const Claims& caller) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (!party->actor.is_staff()) return Error::Forbidden("Only staff take part in questions by default.");
  auto settings = projections::LoadSettings(models_, party->directory->firm->firm, party->actor.id);
  if (!settings.ok()) return settings.error();
  json::array items;
  for (const auto& [id, dossier] : party->directory->dossiers) {
    const bool assigned =
        std::find(dossier.staff.begin(), dossier.staff.end(), party->actor.id) != dossier.staff.end();
    items.push_back(
        {{"dossier", id},
         {"name", dossier.name},
         {"assigned", assigned},
         {"questions_for_accountant", settings->Participates(id, assigned, domain::Question::kForAccountant)},
         {"questions_for_entrepreneur",
          settings->Participates(id, assigned, domain::Question::kForEntrepreneur)}});
  }
  return json::object{{"items", std::move(items)}};
}

Result<Written> Service::PutParticipation(const Caller& caller, const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  domain::SetParticipation command;
  if (const json::value* all = body.if_contains("all"); all && !all->is_null()) {
    if (!all->is_bool()) return Error::InvalidArgument("\"all\" is true or false.");
    command.all = all->as_bool();
  }
  auto dossier = StringField(body, "dossier", false);
  auto accountant = OptionalFlag(body, "questions_for_accountant");
  auto entrepreneur = OptionalFlag(body, "questions_for_entrepreneur");
  if (!dossier.ok()) return dossier.error();
  if (!accountant.ok()) return accountant.error();
  if (!entrepreneur.ok()) return entrepreneur.error();
  command.dossier = *dossier;
  command.for_accountant = *accountant;
  command.for_entrepreneur = *entrepreneur;
  auto settings = RunSettings(*party, command, caller);
  if (!settings.ok()) return settings.error();
  auto view = GetParticipation(caller);
  if (!view.ok()) return view.error();
  return Written{std::move(*view), false};
}

Result<domain::DossierAccess> Service::WithParticipation(const Party& party, domain::DossierAccess access) {
  auto settings = projections::LoadFirmSettings(models_, access.firm);
  if (!settings.ok()) return settings.error();
  domain::ApplyParticipation(access, *party.directory, *settings);
  return access;
}

Result<json::object> Service::Recipients(const Claims& caller, const std::string& dossier) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = DossierFor(*party, dossier);
  if (!access.ok()) return access.error();
  auto defaults = WithParticipation(*party, std::move(*access));
  if (!defaults.ok()) return defaults.error();
  // The picker of whoever starts a conversation: a client asks the
  // accountant, staff ask the entrepreneur.
  auto has = [](const std::vector<std::string>& list, const std::string& user) {
    return std::find(list.begin(), list.end(), user) != list.end();
  };
  json::array items;
  for (const auto& user : defaults->firm_staff) {
    const domain::UserDefined* u = party->directory->User(user);
    const bool for_accountant = has(defaults->default_for_client_questions, user);
    const bool for_entrepreneur = has(defaults->default_for_staff_questions, user);
    items.push_back(
        {{"user", user},
         {"name", u ? u->name : user},
         {"role", u && u->role != domain::StaffRole::kNone ? json::value(domain::ToString(u->role))
                                                           : json::value(nullptr)},
         {"participates_by_default", party->actor.is_client() ? for_accountant : for_entrepreneur},
         {"questions_for_accountant", for_accountant},
         {"questions_for_entrepreneur", for_entrepreneur}});
  }
  return json::object{{"items", std::move(items)}};
}

}  // namespace parley::api
