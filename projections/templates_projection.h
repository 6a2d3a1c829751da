// The templates read model: each firm's overrides and own templates (SPEC
// section 5) under <firm>, as JSON, so that listing the effective set and
// starting from a template never read the log.
#pragma once

#include <boost/json.hpp>

#include <string>

#include "domain/templates.h"
#include "projections/projector.h"

namespace parley::projections {

class TemplatesProjection final : public Projection {
 public:
  static constexpr const char* kName = "templates";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// The firm's own templates (none if it never saved one).
Result<domain::FirmTemplates> LoadFirmTemplates(ReadModelStore& store, const std::string& firm);

// A template as SPEC section 9 writes it: {id, type, name, origin,
// languages: {fr: {subject, body}, ...}}.
boost::json::object TemplateJson(const domain::Template& t);
// The reverse; `origin` is optional (standard when absent). Shapes only:
// domain::CheckTemplate judges the content.
Result<domain::Template> TemplateFromJson(const boost::json::value& v);

}  // namespace parley::projections
