#include "api/service.h"

#include "api/bulk_runner.h"
#include "api/command_runner.h"
#include "api/json_fields.h"
#include "domain/streams.h"

#include "common/ids.h"
#include "domain/directory.h"
#include "domain/event_codec.h"
#include "projections/directory_projection.h"

namespace parley::api {

std::string NewResourceId(const Caller& caller, std::string_view prefix, Micros now) {
  if (caller.idempotency_scope.empty()) return NewId(prefix, now);
  return Idempotency{caller.idempotency_scope, caller.body_sha}.Id(prefix, 1000);
}

namespace {

namespace json = boost::json;

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

}  // namespace

Service::Service(const eventstore::PartitionedLog& log, projections::ReadModelStore& models,
                 projections::Projector& projector, const projections::DirectoryProjection& directory,
                 const Clock& clock)
    : log_(log),
      models_(models),
      projector_(projector),
      directories_(models, directory),
      clock_(clock),
      bulk_runner_(std::make_unique<BulkRunner>(
          [this](const std::string& firm, const std::string& job, const std::atomic<bool>& stopping) {
            RunBulkJob(firm, job, stopping);
          })) {}

Service::~Service() = default;

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

Result<void> Service::AuthorizeClock(const Claims& caller) {
  if (caller.platform_admin) return {};
  auto directory = AuthorizeAdmin(caller, caller.firm);
  if (!directory.ok()) return directory.error();
  return {};
}

namespace {

// Runs a directory command on the firm's directory stream.
Result<std::pair<domain::Directory, bool>> RunDirectoryCommand(eventstore::LogPartition log,
                                                               projections::Projector& projector,
                                                               const Clock& clock, const std::string& firm,
                                                               const domain::DirectoryCommand& command,
                                                               const std::string& actor) {
  auto outcome = RunCommand<domain::Directory, domain::DirectoryEvent>(
      log, projector, clock, domain::DirectoryStream(firm), actor,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeDirectoryEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::Directory& state, Micros now) { return domain::Decide(state, command, firm, now); });
  if (!outcome.ok()) return outcome.error();
  return std::make_pair(std::move(outcome->state), !outcome->events.empty());
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
  auto ran = RunDirectoryCommand(LogOf(firm), projector_, clock_, firm, command, caller.subject);
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
  auto ran = RunDirectoryCommand(LogOf(firm), projector_, clock_, firm, command, caller.subject);
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
  auto ran = RunDirectoryCommand(LogOf(firm), projector_, clock_, firm, command, caller.subject);
  if (!ran.ok()) return ran.error();
  return Written{DossierJson(*ran->first.Dossier(dossier)), before->Dossier(dossier) == nullptr};
}

}  // namespace parley::api
