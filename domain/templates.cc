#include "domain/templates.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "common/overloaded.h"
#include "domain/conversation.h"

namespace parley::domain {

std::optional<TemplateType> ParseTemplateType(std::string_view text) {
  if (text == "general") return TemplateType::kGeneral;
  if (text == "deadline") return TemplateType::kDeadline;
  return std::nullopt;
}

const char* ToString(TemplateType type) {
  return type == TemplateType::kDeadline ? "deadline" : "general";
}

const std::vector<std::string>& AllowedVariables(TemplateType type) {
  static const std::vector<std::string> kGeneral = {"accountant_name", "client_name", "recipient_name",
                                                    "sender_name"};
  static const std::vector<std::string> kDeadline = {"accountant_name", "client_name", "recipient_name",
                                                     "sender_name",     "deadline",    "period"};
  return type == TemplateType::kDeadline ? kDeadline : kGeneral;
}

const char* ToString(TemplateOrigin origin) {
  switch (origin) {
    case TemplateOrigin::kStandard:
      return "standard";
    case TemplateOrigin::kOverride:
      return "override";
    case TemplateOrigin::kFirm:
      return "firm";
  }
  return "standard";
}

const char* TypeName(const TemplateEvent& event) {
  static constexpr const char* kNames[] = {"TemplateSaved", "TemplateReset", "TemplateDeleted"};
  return kNames[event.index()];
}

Micros TimeOf(const TemplateEvent& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

namespace {

constexpr const char* kLanguages[] = {"fr", "nl", "en", "de"};
constexpr std::size_t kMaxTemplateNameChars = 100;

bool IsVariableChar(char c) {
  return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
         c == '_' || std::isupper(static_cast<unsigned char>(c));
}

// Calls `on_text` for literal runs and `on_variable` for each %name%; a
// '%' that does not open a name (as in "21 %") is literal.
void ScanText(std::string_view text, const std::function<void(std::string_view)>& on_text,
              const std::function<void(std::string_view)>& on_variable) {
  std::size_t literal = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '%') {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && IsVariableChar(text[end])) ++end;
    if (end == i + 1 || end == text.size() || text[end] != '%') {
      ++i;
      continue;
    }
    on_text(text.substr(literal, i - literal));
    on_variable(text.substr(i + 1, end - i - 1));
    i = literal = end + 1;
  }
  on_text(text.substr(literal));
}

bool Allowed(TemplateType type, std::string_view variable) {
  const auto& allowed = AllowedVariables(type);
  return std::find(allowed.begin(), allowed.end(), variable) != allowed.end();
}

// "2026-12-15" → 15/12/2026 (fr, en), 15-12-2026 (nl), 15.12.2026 (de);
// anything else is shown as given.
std::string ShowDeadline(const std::string& value, const std::string& language) {
  auto digits = [&](std::size_t from, std::size_t n) {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(value[i]))) return -1;
      v = v * 10 + (value[i] - '0');
    }
    return v;
  };
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return value;
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return value;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return value;
  const char separator = language == "nl" ? '-' : language == "de" ? '.' : '/';
  std::string out = value.substr(8, 2);
  out.append(1, separator).append(value.substr(5, 2)).append(1, separator).append(value.substr(0, 4));
  return out;
}

}  // namespace

Result<void> CheckTemplate(const Template& t) {
  std::size_t length = 0;
  if (t.name.empty() || !Utf8Length(t.name, length) || length > kMaxTemplateNameChars)
    return Error::InvalidArgument("A template needs a name of at most 100 characters.");
  for (const auto& [language, text] : t.languages) {
    if (!IsLanguage(language))
      return Error::InvalidArgument("\"" + language + "\" is not a language of Parley (fr, nl, en, de).");
  }
  for (const char* language : kLanguages) {
    auto it = t.languages.find(language);
    if (it == t.languages.end())
      return Error::InvalidArgument(std::string("The template has no text in \"") + language +
                                    "\"; every client must be reachable in their language.");
    const TemplateText& text = it->second;
    if (text.subject.empty())
      return Error::InvalidArgument(std::string("The \"") + language + "\" subject is empty.");
    if (!Utf8Length(text.subject, length) || length > kMaxSubjectChars)
      return Error::InvalidArgument(std::string("The \"") + language +
                                    "\" subject is not UTF-8 of at most 200 characters.");
    if (!Utf8Length(text.body, length) || text.body.size() > kMaxBodyBytes)
      return Error::InvalidArgument(std::string("The \"") + language +
                                    "\" body is not UTF-8 of at most 64 KiB.");
    std::string unknown;
    for (const std::string* part : {&text.subject, &text.body}) {
      ScanText(
          *part, [](std::string_view) {},
          [&](std::string_view variable) {
            if (unknown.empty() && !Allowed(t.type, variable)) unknown = variable;
          });
    }
    if (!unknown.empty())
      return Error::InvalidArgument("%" + unknown + "% is not a variable of " + ToString(t.type) +
                                    " templates (\"" + language + "\" text).");
  }
  return {};
}

std::vector<Template> EffectiveTemplates(const std::vector<Template>& standard, const FirmTemplates& firm) {
  std::vector<Template> out;
  for (const Template& t : standard) {
    auto own = firm.own.find(t.id);
    out.push_back(own == firm.own.end() ? t : own->second);
  }
  for (const auto& [id, t] : firm.own) {
    if (t.origin == TemplateOrigin::kFirm) out.push_back(t);
  }
  return out;
}

const Template* FindTemplate(const std::vector<Template>& standard, const FirmTemplates& firm,
                             const std::string& id) {
  if (auto own = firm.own.find(id); own != firm.own.end()) return &own->second;
  auto it = std::find_if(standard.begin(), standard.end(), [&](const Template& t) { return t.id == id; });
  return it == standard.end() ? nullptr : &*it;
}

bool MayEditTemplates(const Actor& actor) {
  return actor.kind == UserKind::kAdmin || (actor.is_staff() && IsManager(actor.role));
}

namespace {

Result<std::vector<TemplateEvent>> DecideSave(const FirmTemplates& state, const SaveTemplate& c,
                                              const std::vector<Template>& standard, const std::string& firm,
                                              Micros now) {
  const Template* current = FindTemplate(standard, state, c.id);
  if (c.create && current != nullptr) return Error::Conflict("A template with this id already exists.", 0);
  if (!c.create && current == nullptr) return Error::NotFound("There is no such template.");
  Template t;
  t.id = c.id;
  t.name = c.name;
  t.languages = c.languages;
  t.origin = current == nullptr || current->origin == TemplateOrigin::kFirm ? TemplateOrigin::kFirm
                                                                            : TemplateOrigin::kOverride;
  if (c.type.empty() && current != nullptr) {
    t.type = current->type;
  } else if (auto type = ParseTemplateType(c.type)) {
    t.type = *type;
  } else {
    return Error::InvalidArgument("A template's type is general or deadline.");
  }
  if (t.origin == TemplateOrigin::kOverride && t.type != current->type)
    return Error::InvalidArgument("An override keeps the type of the standard template.");
  if (auto checked = CheckTemplate(t); !checked.ok()) return checked.error();
  if (current != nullptr && current->origin != TemplateOrigin::kStandard && *current == t)
    return std::vector<TemplateEvent>{};
  return std::vector<TemplateEvent>{TemplateSaved{firm, std::move(t), now}};
}

}  // namespace

Result<std::vector<TemplateEvent>> Decide(const FirmTemplates& state, const TemplateCommand& command,
                                          const std::vector<Template>& standard, const std::string& firm,
                                          const Actor& actor, Micros now) {
  if (!MayEditTemplates(actor))
    return Error::Forbidden("Only managers and the firm's administrators edit templates.");
  return std::visit(
      Overloaded{
          [&](const SaveTemplate& c) { return DecideSave(state, c, standard, firm, now); },
          [&](const ResetTemplate& c) -> Result<std::vector<TemplateEvent>> {
            const Template* t = FindTemplate(standard, state, c.id);
            if (t == nullptr) return Error::NotFound("There is no such template.");
            if (t->origin == TemplateOrigin::kFirm)
              return Error::InvalidArgument("Only a standard template can be reset; delete a firm template.");
            if (t->origin == TemplateOrigin::kStandard) return std::vector<TemplateEvent>{};
            return std::vector<TemplateEvent>{TemplateReset{firm, c.id, now}};
          },
          [&](const DeleteTemplate& c) -> Result<std::vector<TemplateEvent>> {
            const Template* t = FindTemplate(standard, state, c.id);
            if (t == nullptr) return Error::NotFound("There is no such template.");
            if (t->origin != TemplateOrigin::kFirm)
              return Error::InvalidArgument(
                  "Standard templates cannot be deleted; reset an override to the standard instead.");
            return std::vector<TemplateEvent>{TemplateDeleted{firm, c.id, now}};
          },
      },
      command);
}

void Evolve(FirmTemplates& state, const TemplateEvent& event) {
  std::visit(Overloaded{
                 [&](const TemplateSaved& e) { state.own[e.saved.id] = e.saved; },
                 [&](const TemplateReset& e) { state.own.erase(e.id); },
                 [&](const TemplateDeleted& e) { state.own.erase(e.id); },
             },
             event);
}

std::string RenderLanguage(const std::string& dossier_language, const std::string& firm_language) {
  if (IsLanguage(dossier_language)) return dossier_language;
  if (IsLanguage(firm_language)) return firm_language;
  return "fr";
}

Result<TemplateText> Render(const Template& t, const std::string& language, const RenderValues& values) {
  for (const auto& [name, value] : values.provided) {
    if (name != "deadline" && name != "period")
      return Error::InvalidArgument("\"" + name +
                                    "\" is not a variable the sender gives (deadline, period).");
    if (!Allowed(t.type, name))
      return Error::InvalidArgument("\"" + name + "\" is not a variable of " + ToString(t.type) +
                                    " templates.");
  }
  auto it = t.languages.find(language);
  if (it == t.languages.end()) it = t.languages.find("fr");
  if (it == t.languages.end()) return Error::InvalidArgument("The template has no text in " + language + ".");
  auto value_of = [&](std::string_view variable) -> std::optional<std::string> {
    if (variable == "accountant_name") return values.accountant_name;
    if (variable == "client_name") return values.client_name;
    if (variable == "recipient_name") return values.recipient_name;
    if (variable == "sender_name") return values.sender_name;
    auto given = values.provided.find(std::string(variable));
    if (given == values.provided.end() || given->second.empty()) return std::nullopt;
    return variable == "deadline" ? ShowDeadline(given->second, language) : given->second;
  };
  TemplateText out;
  std::string missing;
  for (auto [from, to] :
       {std::pair{&it->second.subject, &out.subject}, std::pair{&it->second.body, &out.body}}) {
    ScanText(
        *from, [&](std::string_view literal) { to->append(literal); },
        [&](std::string_view variable) {
          if (auto value = value_of(variable)) {
            to->append(*value);
          } else {
            if (missing.empty()) missing = variable;
          }
        });
  }
  if (!missing.empty())
    return Error::InvalidArgument("The template uses %" + missing + "%: give \"variables\": {\"" + missing +
                                  "\": ...}.");
  return out;
}

}  // namespace parley::domain
