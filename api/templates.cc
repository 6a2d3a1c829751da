// The templates half of the service (SPEC section 5): the firm's effective
// set, its overrides and own templates, and rendering one for a dossier.
#include "api/command_runner.h"
#include "api/json_fields.h"
#include "api/service.h"
#include "api/standard_templates.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/templates_projection.h"

namespace parley::api {

namespace json = boost::json;

namespace {

// Every staff user reads templates; clients and service accounts do not
// know they exist.
Result<void> MayRead(const Service::Party& party) {
  if (party.actor.is_staff() || party.actor.kind == domain::UserKind::kAdmin) return {};
  return Error::NotFound("There is no such template.");
}

// The body of a POST or PUT: {type?, name, languages}.
Result<domain::SaveTemplate> SaveCommand(const json::object& body, std::string id, bool create) {
  auto t = projections::TemplateFromJson(body);
  if (!t.ok()) return t.error();
  domain::SaveTemplate command{std::move(id), create, "", t->name, t->languages};
  if (const json::value* type = body.if_contains("type"); type && type->is_string())
    command.type = type->as_string();
  return command;
}

}  // namespace

Result<domain::FirmTemplates> Service::RunTemplates(const Party& party,
                                                    const domain::TemplateCommand& command,
                                                    const Caller& caller) {
  std::optional<Idempotency> idempotency;
  if (!caller.idempotency_scope.empty()) idempotency = Idempotency{caller.idempotency_scope, caller.body_sha};
  const std::string& firm = party.directory->firm->firm;
  auto outcome = RunCommand<domain::FirmTemplates, domain::TemplateEvent>(
      LogOf(firm), projector_, clock_, domain::TemplatesStream(firm), party.actor.id,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeTemplateEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::FirmTemplates& state, Micros now) {
        return domain::Decide(state, command, StandardTemplates(), firm, party.actor, now);
      },
      std::nullopt, idempotency ? &*idempotency : nullptr);
  if (!outcome.ok()) return outcome.error();
  return std::move(outcome->state);
}

Result<json::object> Service::ListTemplates(const Claims& caller, const std::string& language) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (auto allowed = MayRead(*party); !allowed.ok()) return allowed.error();
  if (!language.empty() && !domain::IsLanguage(language))
    return Error::InvalidArgument("\"lang\" is fr, nl, en or de.");
  auto own = projections::LoadFirmTemplates(models_, party->directory->firm->firm);
  if (!own.ok()) return own.error();
  json::array items;
  for (domain::Template& t : domain::EffectiveTemplates(StandardTemplates(), *own)) {
    if (!language.empty()) std::erase_if(t.languages, [&](const auto& l) { return l.first != language; });
    items.push_back(projections::TemplateJson(t));
  }
  return json::object{{"items", std::move(items)}};
}

Result<Written> Service::CreateTemplate(const Caller& caller, const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (auto allowed = MayRead(*party); !allowed.ok()) return allowed.error();
  auto command = SaveCommand(body, NewResourceId(caller, "tpl_", clock_.Now()), true);
  if (!command.ok()) return command.error();
  if (command->type.empty())
    return Error::InvalidArgument("A new template needs a type: general or deadline.");
  auto state = RunTemplates(*party, *command, caller);
  if (!state.ok()) return state.error();
  return Written{projections::TemplateJson(state->own.at(command->id)), true};
}

Result<Written> Service::PutTemplate(const Caller& caller, const std::string& id, const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (auto allowed = MayRead(*party); !allowed.ok()) return allowed.error();
  auto command = SaveCommand(body, id, false);
  if (!command.ok()) return command.error();
  auto state = RunTemplates(*party, *command, caller);
  if (!state.ok()) return state.error();
  return Written{projections::TemplateJson(state->own.at(id)), false};
}

Result<Written> Service::ResetTemplate(const Caller& caller, const std::string& id) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (auto allowed = MayRead(*party); !allowed.ok()) return allowed.error();
  auto state = RunTemplates(*party, domain::ResetTemplate{id}, caller);
  if (!state.ok()) return state.error();
  return Written{projections::TemplateJson(*domain::FindTemplate(StandardTemplates(), *state, id)), false};
}

Result<void> Service::DeleteTemplate(const Caller& caller, const std::string& id) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (auto allowed = MayRead(*party); !allowed.ok()) return allowed.error();
  auto state = RunTemplates(*party, domain::DeleteTemplate{id}, caller);
  if (!state.ok()) return state.error();
  return {};
}

Result<domain::TemplateText> Service::RenderTemplate(const Party& party, const domain::DossierAccess& access,
                                                     const json::value& template_field,
                                                     const std::string& audience_user) {
  const Error shape = Error::InvalidArgument(
      "\"template\" is {\"id\": template id, \"variables\": {\"deadline\": ..., \"period\": ...}}.");
  if (!template_field.is_object()) return shape;
  const json::object& o = template_field.as_object();
  auto id = StringField(o, "id", true);
  if (!id.ok()) return id.error();
  domain::RenderValues values;
  if (const json::value* variables = o.if_contains("variables"); variables && !variables->is_null()) {
    if (!variables->is_object()) return shape;
    for (const auto& [name, value] : variables->as_object()) {
      if (!value.is_string()) return Error::InvalidArgument("Template variables are text.");
      values.provided[name] = value.as_string();
    }
  }
  if (auto allowed = MayRead(party); !allowed.ok()) return allowed.error();
  const domain::Directory& directory = *party.directory;
  auto own = projections::LoadFirmTemplates(models_, directory.firm->firm);
  if (!own.ok()) return own.error();
  const domain::Template* t = domain::FindTemplate(StandardTemplates(), *own, *id);
  if (t == nullptr) return Error::NotFound("There is no such template.");
  const domain::DossierDefined* dossier = directory.Dossier(access.dossier);
  auto name_of = [&](const std::string& user) {
    const domain::UserDefined* u = directory.User(user);
    return u ? u->name : user;
  };
  values.accountant_name = directory.firm->name;
  values.client_name = dossier->name;
  values.sender_name = name_of(party.actor.id);
  if (!audience_user.empty()) {
    values.recipient_name = name_of(audience_user);
  } else {
    // The dossier's full-access clients, who all read it.
    for (const auto& [user, profile] : access.clients) {
      if (profile != domain::ClientProfile::kFullAccess) continue;
      if (!values.recipient_name.empty()) values.recipient_name.append(", ");
      values.recipient_name.append(name_of(user));
    }
    if (values.recipient_name.empty()) values.recipient_name = dossier->name;
  }
  return domain::Render(*t, domain::RenderLanguage(dossier->language, directory.firm->default_language),
                        values);
}

}  // namespace parley::api
