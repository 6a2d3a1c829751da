// Message templates (SPEC section 5): the standard ones shipped with
// Parley, and each firm's overrides and own templates, kept as events on
// one stream per firm. Pure decide/evolve, checking and rendering.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/directory.h"

namespace parley::domain {

// The type decides which %variables% a template may use.
enum class TemplateType { kGeneral, kDeadline };
std::optional<TemplateType> ParseTemplateType(std::string_view text);
const char* ToString(TemplateType type);
// accountant_name, client_name, recipient_name, sender_name, and for
// deadline templates deadline and period.
const std::vector<std::string>& AllowedVariables(TemplateType type);

enum class TemplateOrigin { kStandard, kOverride, kFirm };
const char* ToString(TemplateOrigin origin);

struct TemplateText {
  std::string subject, body;
  bool operator==(const TemplateText&) const = default;
};

struct Template {
  std::string id;
  TemplateType type = TemplateType::kGeneral;
  std::string name;
  std::map<std::string, TemplateText> languages;  // fr, nl, en, de
  TemplateOrigin origin = TemplateOrigin::kStandard;
  bool operator==(const Template&) const = default;
};

// A template fit to save: a name, a subject and body in each of fr, nl, en
// and de (no other language), within the conversation limits, and only the
// variables its type allows. The error names what is wrong.
Result<void> CheckTemplate(const Template& t);

// ---- Events (stream "templates-<firm>") ----

// A firm's override of a standard template (same id) or its own template.
struct TemplateSaved {
  std::string firm;
  Template saved;  // origin kOverride or kFirm
  Micros at = 0;
  bool operator==(const TemplateSaved&) const = default;
};
struct TemplateReset {  // the override is dropped: the standard applies again
  std::string firm, id;
  Micros at = 0;
  bool operator==(const TemplateReset&) const = default;
};
struct TemplateDeleted {  // a firm template is gone
  std::string firm, id;
  Micros at = 0;
  bool operator==(const TemplateDeleted&) const = default;
};
using TemplateEvent = std::variant<TemplateSaved, TemplateReset, TemplateDeleted>;
const char* TypeName(const TemplateEvent& event);
Micros TimeOf(const TemplateEvent& event);

// ---- State ----

struct FirmTemplates {
  std::map<std::string, Template> own;  // overrides and firm templates, by id
};

// What the firm sees: every standard template unless overridden, then its
// own, in id order within each.
std::vector<Template> EffectiveTemplates(const std::vector<Template>& standard, const FirmTemplates& firm);
const Template* FindTemplate(const std::vector<Template>& standard, const FirmTemplates& firm,
                             const std::string& id);

// ---- Commands ----

// PUT: a standard id saves the firm's override, a firm template's id edits
// it. `id` of a new firm template is chosen by the caller of Decide.
struct SaveTemplate {
  std::string id;
  bool create = false;  // POST: a new firm template under `id`
  std::string type, name;
  std::map<std::string, TemplateText> languages;
};
struct ResetTemplate {
  std::string id;
};
struct DeleteTemplate {
  std::string id;
};
using TemplateCommand = std::variant<SaveTemplate, ResetTemplate, DeleteTemplate>;

// Managers and firm admins edit; no event when nothing changes.
bool MayEditTemplates(const Actor& actor);
Result<std::vector<TemplateEvent>> Decide(const FirmTemplates& state, const TemplateCommand& command,
                                          const std::vector<Template>& standard, const std::string& firm,
                                          const Actor& actor, Micros now);
void Evolve(FirmTemplates& state, const TemplateEvent& event);

// ---- Rendering ----

// The dossier's language, else the firm's default, else fr.
std::string RenderLanguage(const std::string& dossier_language, const std::string& firm_language);

struct RenderValues {
  std::string accountant_name;                  // the firm's name
  std::string client_name;                      // the dossier's name
  std::string recipient_name, sender_name;      //
  std::map<std::string, std::string> provided;  // deadline, period: given by the sender
};

// Substitutes every %variable% of the template's text in `language`. A
// provided value the type does not allow, or a variable the text uses and
// nobody gave, is an error naming it. A deadline written YYYY-MM-DD is
// shown as the language writes dates.
Result<TemplateText> Render(const Template& t, const std::string& language, const RenderValues& values);

}  // namespace parley::domain
