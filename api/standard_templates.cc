#include "api/standard_templates.h"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "projections/templates_projection.h"

namespace parley::api {

namespace json = boost::json;

Result<std::vector<domain::Template>> ParseStandardTemplates(std::string_view text) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("templates") || !doc.at("templates").is_array())
    return Error::InvalidArgument("the standard templates are not {\"templates\": [...]}");
  std::vector<domain::Template> out;
  std::set<std::string> ids;
  for (const json::value& entry : doc.at("templates").as_array()) {
    auto t = projections::TemplateFromJson(entry);
    if (!t.ok()) return t.error();
    const bool typed = entry.as_object().contains("type");
    if (!t->id.starts_with("std-") || !typed || !ids.insert(t->id).second)
      return Error::InvalidArgument("standard template \"" + t->id + "\": a unique std- id and a type");
    t->origin = domain::TemplateOrigin::kStandard;
    if (auto checked = domain::CheckTemplate(*t); !checked.ok())
      return Error::InvalidArgument("standard template \"" + t->id + "\": " + checked.error().message);
    out.push_back(std::move(*t));
  }
  return out;
}

const std::vector<domain::Template>& StandardTemplates() {
  static const std::vector<domain::Template> templates = [] {
    auto parsed = ParseStandardTemplates(StandardTemplatesJson());
    if (!parsed.ok()) {
      std::fprintf(stderr, "parley: %s\n", parsed.error().message.c_str());
      std::abort();
    }
    return std::move(*parsed);
  }();
  return templates;
}

}  // namespace parley::api
