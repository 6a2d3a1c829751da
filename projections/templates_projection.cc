#include "projections/templates_projection.h"

#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {

namespace json = boost::json;

json::object TemplateJson(const domain::Template& t) {
  json::object languages;
  for (const auto& [language, text] : t.languages)
    languages[language] = json::object{{"subject", text.subject}, {"body", text.body}};
  return {{"id", t.id},
          {"type", domain::ToString(t.type)},
          {"name", t.name},
          {"origin", domain::ToString(t.origin)},
          {"languages", std::move(languages)}};
}

Result<domain::Template> TemplateFromJson(const json::value& v) {
  auto bad = [](const std::string& what) { return Error::InvalidArgument(what); };
  if (!v.is_object()) return bad("A template is a JSON object.");
  const json::object& o = v.as_object();
  domain::Template t;
  auto text = [&](const json::object& from, const char* field, std::string& out) -> bool {
    const json::value* f = from.if_contains(field);
    if (f == nullptr || f->is_null()) return true;
    if (!f->is_string()) return false;
    out = f->as_string();
    return true;
  };
  std::string type, origin;
  if (!text(o, "id", t.id) || !text(o, "name", t.name) || !text(o, "type", type) ||
      !text(o, "origin", origin))
    return bad("A template's id, name, type and origin are strings.");
  if (auto parsed = domain::ParseTemplateType(type)) {
    t.type = *parsed;
  } else if (!type.empty()) {
    return bad("A template's type is general or deadline.");
  }
  if (origin == "override") t.origin = domain::TemplateOrigin::kOverride;
  if (origin == "firm") t.origin = domain::TemplateOrigin::kFirm;
  const json::value* languages = o.if_contains("languages");
  if (languages == nullptr || !languages->is_object())
    return bad("\"languages\" is {\"fr\": {\"subject\", \"body\"}, \"nl\": ..., \"en\": ..., \"de\": ...}.");
  for (const auto& [language, entry] : languages->as_object()) {
    domain::TemplateText& out = t.languages[language];
    if (!entry.is_object() || !text(entry.as_object(), "subject", out.subject) ||
        !text(entry.as_object(), "body", out.body))
      return bad("\"languages." + std::string(language) + "\" is {\"subject\": text, \"body\": text}.");
  }
  return t;
}

namespace {

std::string Encode(const domain::FirmTemplates& firm) {
  json::array own;
  for (const auto& [id, t] : firm.own) own.push_back(TemplateJson(t));
  return json::serialize(own);
}

Result<domain::FirmTemplates> Decode(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return Error::Corruption("a firm's stored templates are not JSON", 0);
  domain::FirmTemplates firm;
  for (const json::value& entry : v.as_array()) {
    auto t = TemplateFromJson(entry);
    if (!t.ok()) return Error::Corruption("a firm's stored template is malformed", 0);
    firm.own[t->id] = std::move(*t);
  }
  return firm;
}

}  // namespace

Result<void> TemplatesProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kTemplatesStreamPrefix)) return {};
  auto decoded = domain::DecodeTemplateEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const std::string firm = std::visit([](const auto& e) { return e.firm; }, *decoded);
  return UpdateStored<domain::FirmTemplates>(
      writer, firm, Decode, [&](domain::FirmTemplates& t) { domain::Evolve(t, *decoded); }, Encode);
}

Result<domain::FirmTemplates> LoadFirmTemplates(ReadModelStore& store, const std::string& firm) {
  auto stored = store.Get(TemplatesProjection::kName, firm);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return domain::FirmTemplates{};
  return Decode(**stored);
}

}  // namespace parley::projections
