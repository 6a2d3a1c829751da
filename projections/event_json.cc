#include "projections/event_json.h"

#include "common/overloaded.h"

namespace parley::projections {

namespace json = boost::json;
using domain::ToString;

json::array StringsJson(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& s : list) out.push_back(json::value(s));
  return out;
}

json::array AttachmentsJson(const std::vector<domain::AttachmentRef>& list) {
  json::array out;
  for (const auto& a : list) {
    if (!a.upload_id.empty()) {
      out.push_back(json::object{{"id", a.upload_id}});
    } else {
      out.push_back(
          json::object{{"external_id", a.external_id}, {"name", a.name}, {"source", "dossier_documents"}});
    }
  }
  return out;
}

json::value AudienceJson(const domain::Audience& audience) {
  if (audience.user.empty()) return "dossier";
  return json::object{{"user", audience.user}};
}

json::object EventFields(const domain::Event& event) {
  return std::visit(Overloaded{
                        [](const domain::ConversationStarted& e) -> json::object {
                          return {{"subject", e.subject},
                                  {"audience", AudienceJson(e.audience)},
                                  {"started_by", e.started_by},
                                  {"side", ToString(e.starter_side)},
                                  {"participants", StringsJson(e.participants)},
                                  {"reminders",
                                   {{"enabled", e.reminders.enabled},
                                    {"every_days", e.reminders.every_days},
                                    {"count", e.reminders.count}}}};
                        },
                        [](const domain::MessagePosted& e) -> json::object {
                          return {{"message", e.message},
                                  {"author", e.author},
                                  {"side", ToString(e.side)},
                                  {"body", e.body},
                                  {"attachments", AttachmentsJson(e.attachments)},
                                  {"mentions", StringsJson(e.mentions)}};
                        },
                        [](const domain::MessageEdited& e) -> json::object {
                          return {{"message", e.message}, {"body", e.body}};
                        },
                        [](const domain::MessageDeleted& e) -> json::object {
                          return {{"message", e.message}};
                        },
                        [](const domain::NoteAdded& e) -> json::object {
                          return {{"note", e.note},
                                  {"author", e.author},
                                  {"body", e.body},
                                  {"mentions", StringsJson(e.mentions)}};
                        },
                        [](const domain::ParticipantAdded& e) -> json::object {
                          return {{"user", e.user}, {"by", e.by}, {"by_mention", e.by_mention}};
                        },
                        [](const domain::ReadMarked& e) -> json::object {
                          return {{"user", e.user}, {"up_to", e.up_to}};
                        },
                        [](const domain::ConversationClosed& e) -> json::object {
                          return {{"by", e.by}};
                        },
                        [](const domain::ConversationReopened& e) -> json::object {
                          return {{"by", e.by}};
                        },
                        [](const domain::RemindersSet& e) -> json::object {
                          return {{"by", e.by},
                                  {"reminders",
                                   {{"enabled", e.reminders.enabled},
                                    {"every_days", e.reminders.every_days},
                                    {"count", e.reminders.count}}}};
                        },
                        [](const domain::ReminderRequested& e) -> json::object {
                          return {{"by", e.by}};
                        },
                    },
                    event);
}

json::object EventFields(const domain::DirectoryEvent& event) {
  return std::visit(
      Overloaded{
          [](const domain::FirmDefined& e) -> json::object {
            return {{"firm", e.firm}, {"name", e.name}, {"default_language", e.default_language}};
          },
          [](const domain::UserDefined& e) -> json::object {
            return {{"user", e.user},   {"kind", ToString(e.kind)}, {"name", e.name},
                    {"email", e.email}, {"language", e.language},   {"role", ToString(e.role)}};
          },
          [](const domain::DossierDefined& e) -> json::object {
            json::array clients;
            for (const auto& c : e.clients)
              clients.push_back({{"user", c.user}, {"profile", ToString(c.profile)}});
            return {{"dossier", e.dossier},
                    {"name", e.name},
                    {"language", e.language},
                    {"clients", std::move(clients)},
                    {"staff", StringsJson(e.staff)}};
          },
      },
      event);
}

}  // namespace parley::projections
