// The standard templates Parley ships (api/standard_templates.json,
// compiled in): the same for every firm until a firm overrides one.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/templates.h"

namespace parley::api {

// The shipped file as compiled in.
std::string_view StandardTemplatesJson();
// Parses and checks `text`; the error names the first template at fault.
Result<std::vector<domain::Template>> ParseStandardTemplates(std::string_view text);
// The shipped set, parsed once; a broken file stops the program at start
// (and fails api_templates_test) rather than serving half a catalogue.
const std::vector<domain::Template>& StandardTemplates();

}  // namespace parley::api
