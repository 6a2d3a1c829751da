#include "projections/settings_projection.h"

#include <boost/json.hpp>

#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {
namespace {

namespace json = boost::json;

std::string Key(std::string_view firm, std::string_view user) {
  std::string key(firm);
  key.append("/").append(user);
  return key;
}

json::value Flag(const std::optional<bool>& flag) {
  return flag ? json::value(*flag) : json::value(nullptr);
}

std::optional<bool> FlagOf(const json::value& v) {
  return v.is_bool() ? std::optional<bool>(v.as_bool()) : std::nullopt;
}

json::object ParticipationJson(const domain::Participation& p) {
  return {{"questions_for_accountant", Flag(p.for_accountant)},
          {"questions_for_entrepreneur", Flag(p.for_entrepreneur)}};
}

domain::Participation ParticipationOf(const json::value& v) {
  return {FlagOf(v.at("questions_for_accountant")), FlagOf(v.at("questions_for_entrepreneur"))};
}

std::string Encode(const domain::UserSettings& s) {
  json::object dossiers;
  for (const auto& [dossier, p] : s.dossiers) dossiers[dossier] = ParticipationJson(p);
  return json::serialize(json::object{{"frequency", domain::ToString(s.frequency)},
                                      {"language", s.language},
                                      {"all", ParticipationJson(s.all)},
                                      {"dossiers", std::move(dossiers)}});
}

Result<domain::UserSettings> Decode(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Corruption("a stored user's settings are not JSON", 0);
  domain::UserSettings s;
  s.frequency = domain::ParseFrequency(v.at("frequency").as_string()).value_or(domain::Frequency::kImmediate);
  s.language = v.at("language").as_string();
  s.all = ParticipationOf(v.at("all"));
  for (const auto& [dossier, p] : v.at("dossiers").as_object()) s.dossiers[dossier] = ParticipationOf(p);
  return s;
}

}  // namespace

Result<void> SettingsProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kSettingsStreamPrefix)) return {};
  auto decoded = domain::DecodeSettingsEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const auto& [firm, user] = std::visit([](const auto& e) { return std::pair(e.firm, e.user); }, *decoded);
  return UpdateStored<domain::UserSettings>(
      writer, Key(firm, user), Decode, [&](domain::UserSettings& s) { domain::Evolve(s, *decoded); }, Encode);
}

Result<domain::UserSettings> LoadSettings(ReadModelStore& store, const std::string& firm,
                                          const std::string& user) {
  auto stored = store.Get(SettingsProjection::kName, Key(firm, user));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return domain::UserSettings{};
  return Decode(**stored);
}

Result<std::map<std::string, domain::UserSettings>> LoadFirmSettings(ReadModelStore& store,
                                                                     const std::string& firm) {
  std::map<std::string, domain::UserSettings> out;
  const std::string prefix = firm + "/";
  auto loaded = ForEachStored(store, SettingsProjection::kName, prefix,
                              [&](const std::string& key, const std::string& value) -> Result<void> {
                                auto settings = Decode(value);
                                if (!settings.ok()) return settings.error();
                                out.emplace(key.substr(prefix.size()), std::move(*settings));
                                return {};
                              });
  if (!loaded.ok()) return loaded.error();
  return out;
}

}  // namespace parley::projections
