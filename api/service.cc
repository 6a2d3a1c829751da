#include "api/service.h"

#include "common/ids.h"
#include "domain/directory.h"
#include "domain/event_codec.h"
#include "projections/directory_projection.h"

namespace parley::api {
namespace {

namespace json = boost::json;

constexpr int kConflictRetries = 5;
constexpr std::chrono::seconds kProjectionWait{10};

// A string field of a JSON body: missing is "" unless required.
Result<std::string> StringField(const json::object& body, std::string_view name, bool required) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required) return Error::InvalidArgument("The field \"" + std::string(name) + "\" is required.");
    return std::string();
  }
  if (!v->is_string())
    return Error::InvalidArgument("The field \"" + std::string(name) + "\" must be a string.");
  return std::string(v->as_string());
}

Result<const json::array*> ArrayField(const json::object& body, std::string_view name) {
  static const json::array kEmpty;
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return &kEmpty;
  if (!v->is_array())
    return Error::InvalidArgument("The field \"" + std::string(name) + "\" must be a list.");
  return &v->as_array();
}

json::object FirmJson(const domain::FirmDefined& f) {
  return {{"id", f.firm}, {"name", f.name}, {"default_language", f.default_language}};
}

json::object UserJson(const domain::UserDefined& u) {
  json::object o{{"id", u.user},
                 {"kind", domain::ToString(u.kind)},
                 {"name", u.name},
                 {"email", u.email},
                 {"language", u.language}};
  o["role"] =
      u.role == domain::StaffRole::kNone ? json::value(nullptr) : json::value(domain::ToString(u.role));
  return o;
}

json::object DossierJson(const domain::DossierDefined& d) {
  json::array clients, staff;
  for (const auto& c : d.clients)
    clients.push_back({{"user", c.user}, {"profile", domain::ToString(c.profile)}});
  for (const auto& s : d.staff) staff.push_back(json::value(s));
  return {{"id", d.dossier},
          {"name", d.name},
          {"language", d.language},
          {"clients", std::move(clients)},
          {"staff", std::move(staff)}};
}

std::string DirectoryStream(const std::string& firm) {
  return "firm-" + firm;
}

}  // namespace

Service::Service(eventstore::EventStore& log, projections::ReadModelStore& models,
                 projections::Projector& projector, const Clock& clock)
    : log_(log), models_(models), projector_(projector), clock_(clock) {}

Result<domain::Directory> Service::AuthorizeAdmin(const Claims& caller, const std::string& firm) {
  if (!caller.platform_admin && caller.firm != firm) return Error::NotFound("There is no such firm.");
  auto directory = projections::LoadDirectory(models_, firm);
  if (!directory.ok() || caller.platform_admin) return directory;
  const domain::UserDefined* user = directory->User(caller.subject);
  if (user == nullptr) return Error::Unauthenticated("The bearer token names an unknown user.");
  if (user->kind != domain::UserKind::kAdmin)
    return Error::Forbidden("Only firm admins maintain the directory.");
  return directory;
}

namespace {

// Runs a directory command: loads the firm's stream, decides, appends with
// the version it decided on (retrying on a concurrent write), and waits
// until the read models hold the result.
Result<std::pair<domain::Directory, bool>> RunDirectoryCommand(eventstore::EventStore& log,
                                                               projections::Projector& projector,
                                                               const Clock& clock, const std::string& firm,
                                                               const domain::DirectoryCommand& command,
                                                               const std::string& actor) {
  const std::string stream = DirectoryStream(firm);
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    domain::Directory state;
    std::uint64_t version = 0;
    for (std::uint64_t from = 1;;) {
      auto page = log.ReadStream(stream, from, eventstore::Direction::kForward, 1024);
      if (!page.ok()) return page.error();
      for (const auto& recorded : *page) {
        auto event =
            domain::DecodeDirectoryEvent(recorded.type(), recorded.schema_version(), recorded.payload());
        if (!event.ok()) return event.error();
        domain::Evolve(state, *event);
        version = recorded.stream_version();
      }
      if (page->size() < 1024) break;
      from = version + 1;
    }
    const Micros now = clock.Now();
    auto decided = domain::Decide(state, command, firm, now);
    if (!decided.ok()) return decided.error();
    if (decided->empty()) return std::make_pair(std::move(state), false);
    std::vector<eventstore::EventData> events;
    for (const auto& e : *decided) {
      eventstore::EventData data;
      data.id = NewId("ev_", now);
      data.type = domain::TypeName(e);
      data.schema_version = domain::kEventSchemaVersion;
      data.payload = domain::EncodeEvent(e);
      data.actor = actor;
      events.push_back(std::move(data));
      domain::Evolve(state, e);
    }
    auto appended = log.Append(stream, eventstore::ExpectedVersion::Exactly(version), events);
    if (!appended.ok() && appended.error().code == ErrorCode::kConflict) continue;  // decide again
    if (!appended.ok()) return appended.error();
    if (!projector.WaitFor(appended->position, kProjectionWait)) {
      return Error::Unavailable("The change is saved but the read models are behind; try reading again.");
    }
    return std::make_pair(std::move(state), true);
  }
  return Error::Conflict("The directory kept changing under this request; try again.", 0);
}

}  // namespace

Result<Written> Service::PutFirm(const Claims& caller, const std::string& firm, const json::object& body) {
  auto before = AuthorizeAdmin(caller, firm);
  if (!before.ok()) return before.error();
  auto name = StringField(body, "name", true);
  if (!name.ok()) return name.error();
  auto language = StringField(body, "default_language", false);
  if (!language.ok()) return language.error();
  domain::DefineFirm command{firm, *name, language->empty() ? "fr" : *language};
  auto ran = RunDirectoryCommand(log_, projector_, clock_, firm, command, caller.subject);
  if (!ran.ok()) return ran.error();
  return Written{FirmJson(*ran->first.firm), !before->firm.has_value()};
}

Result<Written> Service::PutUser(const Claims& caller, const std::string& firm, const std::string& user,
                                 const json::object& body) {
  auto before = AuthorizeAdmin(caller, firm);
  if (!before.ok()) return before.error();
  domain::DefineUser command{user};
  for (auto [field, target, required] :
       {std::tuple{"kind", &command.kind, true}, std::tuple{"name", &command.name, true},
        std::tuple{"email", &command.email, true}, std::tuple{"language", &command.language, false},
        std::tuple{"role", &command.role, false}}) {
    auto value = StringField(body, field, required);
    if (!value.ok()) return value.error();
    *target = *value;
  }
  auto ran = RunDirectoryCommand(log_, projector_, clock_, firm, command, caller.subject);
  if (!ran.ok()) return ran.error();
  return Written{UserJson(*ran->first.User(user)), before->User(user) == nullptr};
}

Result<Written> Service::PutDossier(const Claims& caller, const std::string& firm, const std::string& dossier,
                                    const json::object& body) {
  auto before = AuthorizeAdmin(caller, firm);
  if (!before.ok()) return before.error();
  domain::DefineDossier command{dossier};
  auto name = StringField(body, "name", true);
  if (!name.ok()) return name.error();
  auto language = StringField(body, "language", false);
  if (!language.ok()) return language.error();
  command.name = *name;
  command.language = *language;
  auto clients = ArrayField(body, "clients");
  if (!clients.ok()) return clients.error();
  for (const json::value& c : **clients) {
    if (!c.is_object()) return Error::InvalidArgument("Each client is {\"user\": ..., \"profile\": ...}.");
    auto user = StringField(c.as_object(), "user", true);
    if (!user.ok()) return user.error();
    auto profile = StringField(c.as_object(), "profile", false);
    if (!profile.ok()) return profile.error();
    command.clients.emplace_back(*user, *profile);
  }
  auto staff = ArrayField(body, "staff");
  if (!staff.ok()) return staff.error();
  for (const json::value& s : **staff) {
    if (!s.is_string()) return Error::InvalidArgument("\"staff\" is a list of user ids.");
    command.staff.emplace_back(s.as_string());
  }
  auto ran = RunDirectoryCommand(log_, projector_, clock_, firm, command, caller.subject);
  if (!ran.ok()) return ran.error();
  return Written{DossierJson(*ran->first.Dossier(dossier)), before->Dossier(dossier) == nullptr};
}

}  // namespace parley::api
