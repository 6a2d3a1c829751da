#include "domain/event_codec.h"

#include <functional>
#include <map>

#include "common/overloaded.h"
#include "domain/events_generated.h"

namespace parley::domain {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::Vector;

fb::Side ToFb(Side side) {
  return side == Side::kClient ? fb::Side::Client : fb::Side::Firm;
}
Side FromFb(fb::Side side) {
  return side == fb::Side::Client ? Side::kClient : Side::kFirm;
}

// The payload's bytes: `root` finished.
template <class T>
std::string Finished(FlatBufferBuilder& fbb, Offset<T> root) {
  fbb.Finish(root);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

std::string Str(const String* s) {
  return s == nullptr ? std::string() : s->str();
}

// An optional FlatBuffers scalar: absent stays absent.
std::optional<bool> Flag(flatbuffers::Optional<bool> value) {
  return value ? std::optional<bool>(*value) : std::nullopt;
}

std::vector<std::string> Strings(const Vector<Offset<String>>* list) {
  std::vector<std::string> out;
  if (list != nullptr) {
    for (const String* s : *list) out.push_back(Str(s));
  }
  return out;
}

std::vector<AttachmentRef> Attachments(const Vector<Offset<fb::AttachmentRef>>* list) {
  std::vector<AttachmentRef> out;
  if (list != nullptr) {
    for (const fb::AttachmentRef* a : *list) {
      out.push_back({Str(a->upload_id()), Str(a->external_id()), Str(a->name())});
    }
  }
  return out;
}

// Children (strings, vectors) are built before the table that holds them.
Offset<void> Build(FlatBufferBuilder& fbb, const Event& event) {
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  return std::visit(
      Overloaded{
          [&](const ConversationStarted& e) {
            fb::Reminders reminders(e.reminders.enabled, e.reminders.every_days, e.reminders.count);
            auto conversation = str(e.conversation), firm = str(e.firm), dossier = str(e.dossier),
                 subject = str(e.subject), audience = str(e.audience.user), started_by = str(e.started_by);
            auto participants = fbb.CreateVectorOfStrings(e.participants);
            return fb::CreateConversationStarted(fbb, conversation, firm, dossier, subject, audience,
                                                 started_by, ToFb(e.starter_side), participants, &reminders,
                                                 e.at)
                .Union();
          },
          [&](const MessagePosted& e) {
            std::vector<Offset<fb::AttachmentRef>> refs;
            for (const AttachmentRef& a : e.attachments) {
              auto upload = str(a.upload_id), external = str(a.external_id), name = str(a.name);
              refs.push_back(fb::CreateAttachmentRef(fbb, upload, external, name));
            }
            auto attachments = fbb.CreateVector(refs);
            auto message = str(e.message), author = str(e.author), body = str(e.body);
            auto mentions = fbb.CreateVectorOfStrings(e.mentions);
            return fb::CreateMessagePosted(fbb, message, author, ToFb(e.side), body, attachments, mentions,
                                           e.at)
                .Union();
          },
          [&](const MessageEdited& e) {
            auto message = str(e.message), body = str(e.body);
            return fb::CreateMessageEdited(fbb, message, body, e.at).Union();
          },
          [&](const MessageDeleted& e) {
            return fb::CreateMessageDeleted(fbb, str(e.message), e.at).Union();
          },
          [&](const NoteAdded& e) {
            auto note = str(e.note), author = str(e.author), body = str(e.body);
            auto mentions = fbb.CreateVectorOfStrings(e.mentions);
            return fb::CreateNoteAdded(fbb, note, author, body, mentions, e.at).Union();
          },
          [&](const ParticipantAdded& e) {
            auto user = str(e.user), by = str(e.by);
            return fb::CreateParticipantAdded(fbb, user, by, e.by_mention, e.at).Union();
          },
          [&](const ReadMarked& e) { return fb::CreateReadMarked(fbb, str(e.user), e.up_to, e.at).Union(); },
          [&](const ConversationClosed& e) {
            return fb::CreateConversationClosed(fbb, str(e.by), e.at).Union();
          },
          [&](const ConversationReopened& e) {
            return fb::CreateConversationReopened(fbb, str(e.by), e.at).Union();
          },
          [&](const RemindersSet& e) {
            fb::Reminders reminders(e.reminders.enabled, e.reminders.every_days, e.reminders.count);
            return fb::CreateRemindersSet(fbb, &reminders, str(e.by), e.at).Union();
          },
          [&](const ReminderRequested& e) {
            return fb::CreateReminderRequested(fbb, str(e.by), e.at).Union();
          },
      },
      event);
}

// One decoder per event type: verifies the bytes as that table, then reads it.
template <class Out>
struct Decoder {
  bool (*verify)(flatbuffers::Verifier&);
  std::function<Out(const std::uint8_t*)> read;
};
template <class Out>
using Decoders = std::map<std::string, Decoder<Out>, std::less<>>;

template <class Out, class Table>
std::pair<std::string, Decoder<Out>> Entry(const char* name, Out (*read)(const Table&)) {
  return {name,
          {[](flatbuffers::Verifier& v) { return v.VerifyBuffer<Table>(nullptr); },
           [read](const std::uint8_t* bytes) { return read(*flatbuffers::GetRoot<Table>(bytes)); }}};
}

template <class Out>
Result<Out> Decode(const Decoders<Out>& decoders, std::string_view type, std::uint32_t schema_version,
                   std::string_view payload) {
  auto it = decoders.find(type);
  if (it == decoders.end()) return Error::Corruption("unknown event type " + std::string(type), 0);
  if (schema_version != kEventSchemaVersion) {
    return Error::Corruption(
        std::string(type) + " has unknown schema version " + std::to_string(schema_version), 0);
  }
  // FlatBuffers reads scalars in place: give it aligned bytes.
  std::string aligned;
  const char* data = payload.data();
  if (reinterpret_cast<std::uintptr_t>(data) % 8 != 0) {
    aligned.assign(payload);
    data = aligned.data();
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  flatbuffers::Verifier verifier(bytes, payload.size());
  if (payload.size() < 8 || !it->second.verify(verifier)) {
    return Error::Corruption(std::string(type) + " payload does not verify", 0);
  }
  return it->second.read(bytes);
}

const Decoders<Event>& ConversationDecoders() {
  static const Decoders<Event> decoders = {
      Entry<Event, fb::ConversationStarted>("ConversationStarted",
                                            [](const fb::ConversationStarted& t) -> Event {
                                              Reminders reminders;
                                              if (const fb::Reminders* r = t.reminders())
                                                reminders = {r->enabled(), r->every_days(), r->count()};
                                              return ConversationStarted{Str(t.conversation()),
                                                                         Str(t.firm()),
                                                                         Str(t.dossier()),
                                                                         Str(t.subject()),
                                                                         {Str(t.audience_user())},
                                                                         Str(t.started_by()),
                                                                         FromFb(t.starter_side()),
                                                                         Strings(t.participants()),
                                                                         reminders,
                                                                         t.at()};
                                            }),
      Entry<Event, fb::MessagePosted>("MessagePosted",
                                      [](const fb::MessagePosted& t) -> Event {
                                        return MessagePosted{Str(t.message()),
                                                             Str(t.author()),
                                                             FromFb(t.side()),
                                                             Str(t.body()),
                                                             Attachments(t.attachments()),
                                                             Strings(t.mentions()),
                                                             t.at()};
                                      }),
      Entry<Event, fb::MessageEdited>("MessageEdited",
                                      [](const fb::MessageEdited& t) -> Event {
                                        return MessageEdited{Str(t.message()), Str(t.body()), t.at()};
                                      }),
      Entry<Event, fb::MessageDeleted>("MessageDeleted",
                                       [](const fb::MessageDeleted& t) -> Event {
                                         return MessageDeleted{Str(t.message()), t.at()};
                                       }),
      Entry<Event, fb::NoteAdded>(
          "NoteAdded",
          [](const fb::NoteAdded& t) -> Event {
            return NoteAdded{Str(t.note()), Str(t.author()), Str(t.body()), Strings(t.mentions()), t.at()};
          }),
      Entry<Event, fb::ParticipantAdded>(
          "ParticipantAdded",
          [](const fb::ParticipantAdded& t) -> Event {
            return ParticipantAdded{Str(t.user()), Str(t.by()), t.by_mention(), t.at()};
          }),
      Entry<Event, fb::ReadMarked>("ReadMarked",
                                   [](const fb::ReadMarked& t) -> Event {
                                     return ReadMarked{Str(t.user()), t.up_to(), t.at()};
                                   }),
      Entry<Event, fb::ConversationClosed>("ConversationClosed",
                                           [](const fb::ConversationClosed& t) -> Event {
                                             return ConversationClosed{Str(t.by()), t.at()};
                                           }),
      Entry<Event, fb::ConversationReopened>("ConversationReopened",
                                             [](const fb::ConversationReopened& t) -> Event {
                                               return ConversationReopened{Str(t.by()), t.at()};
                                             }),
      Entry<Event, fb::RemindersSet>("RemindersSet",
                                     [](const fb::RemindersSet& t) -> Event {
                                       Reminders reminders;
                                       if (const fb::Reminders* r = t.reminders())
                                         reminders = {r->enabled(), r->every_days(), r->count()};
                                       return RemindersSet{reminders, Str(t.by()), t.at()};
                                     }),
      Entry<Event, fb::ReminderRequested>("ReminderRequested",
                                          [](const fb::ReminderRequested& t) -> Event {
                                            return ReminderRequested{Str(t.by()), t.at()};
                                          }),
  };
  return decoders;
}

}  // namespace

std::string EncodeEvent(const Event& event) {
  FlatBufferBuilder fbb(512);
  return Finished(fbb, Build(fbb, event));
}

Result<Event> DecodeEvent(std::string_view type, std::uint32_t schema_version, std::string_view payload) {
  return Decode(ConversationDecoders(), type, schema_version, payload);
}

std::string EncodeEvent(const DirectoryEvent& event) {
  FlatBufferBuilder fbb(512);
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  Offset<void> root;
  if (const auto* e = std::get_if<FirmDefined>(&event)) {
    auto firm = str(e->firm), name = str(e->name), language = str(e->default_language);
    root = fb::CreateFirmDefined(fbb, firm, name, language, e->at).Union();
  } else if (const auto* e = std::get_if<UserDefined>(&event)) {
    auto firm = str(e->firm), user = str(e->user), name = str(e->name), email = str(e->email),
         language = str(e->language);
    root = fb::CreateUserDefined(fbb, firm, user, static_cast<fb::UserKind>(e->kind), name, email, language,
                                 static_cast<fb::StaffRole>(e->role), e->at)
               .Union();
  } else {
    const auto& d = std::get<DossierDefined>(event);
    std::vector<Offset<fb::DossierClient>> clients;
    for (const DossierClient& c : d.clients) {
      auto user = str(c.user);
      clients.push_back(fb::CreateDossierClient(fbb, user, static_cast<fb::ClientProfile>(c.profile)));
    }
    auto client_list = fbb.CreateVector(clients);
    auto staff = fbb.CreateVectorOfStrings(d.staff);
    auto firm = str(d.firm), dossier = str(d.dossier), name = str(d.name), language = str(d.language);
    root = fb::CreateDossierDefined(fbb, firm, dossier, name, language, client_list, staff, d.at).Union();
  }
  return Finished(fbb, root);
}

Result<DirectoryEvent> DecodeDirectoryEvent(std::string_view type, std::uint32_t schema_version,
                                            std::string_view payload) {
  static const Decoders<DirectoryEvent> decoders = {
      Entry<DirectoryEvent, fb::FirmDefined>(
          "FirmDefined",
          [](const fb::FirmDefined& t) -> DirectoryEvent {
            return FirmDefined{Str(t.firm()), Str(t.name()), Str(t.default_language()), t.at()};
          }),
      Entry<DirectoryEvent, fb::UserDefined>(
          "UserDefined",
          [](const fb::UserDefined& t) -> DirectoryEvent {
            return UserDefined{
                Str(t.firm()),  Str(t.user()),     static_cast<UserKind>(t.kind()),  Str(t.name()),
                Str(t.email()), Str(t.language()), static_cast<StaffRole>(t.role()), t.at()};
          }),
      Entry<DirectoryEvent, fb::DossierDefined>(
          "DossierDefined",
          [](const fb::DossierDefined& t) -> DirectoryEvent {
            DossierDefined d{
                Str(t.firm()), Str(t.dossier()), Str(t.name()), Str(t.language()), {}, Strings(t.staff()),
                t.at()};
            if (t.clients()) {
              for (const fb::DossierClient* c : *t.clients()) {
                d.clients.push_back({Str(c->user()), static_cast<ClientProfile>(c->profile())});
              }
            }
            return d;
          }),
  };
  return Decode(decoders, type, schema_version, payload);
}

std::string EncodeEvent(const SettingsEvent& event) {
  FlatBufferBuilder fbb(256);
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  Offset<void> root;
  if (const auto* e = std::get_if<NotificationsSet>(&event)) {
    auto firm = str(e->firm), user = str(e->user), language = str(e->language);
    root =
        fb::CreateNotificationsSet(fbb, firm, user, static_cast<fb::Frequency>(e->frequency), language, e->at)
            .Union();
  } else {
    const auto& p = std::get<ParticipationSet>(event);
    auto firm = str(p.firm), user = str(p.user), dossier = str(p.dossier);
    fb::ParticipationSetBuilder b(fbb);
    b.add_firm(firm);
    b.add_user(user);
    b.add_dossier(dossier);
    if (p.for_accountant) b.add_for_accountant(*p.for_accountant);
    if (p.for_entrepreneur) b.add_for_entrepreneur(*p.for_entrepreneur);
    b.add_at(p.at);
    root = b.Finish().Union();
  }
  return Finished(fbb, root);
}

Result<SettingsEvent> DecodeSettingsEvent(std::string_view type, std::uint32_t schema_version,
                                          std::string_view payload) {
  static const Decoders<SettingsEvent> decoders = {
      Entry<SettingsEvent, fb::NotificationsSet>(
          "NotificationsSet",
          [](const fb::NotificationsSet& t) -> SettingsEvent {
            return NotificationsSet{Str(t.firm()), Str(t.user()), static_cast<Frequency>(t.frequency()),
                                    Str(t.language()), t.at()};
          }),
      Entry<SettingsEvent, fb::ParticipationSet>("ParticipationSet",
                                                 [](const fb::ParticipationSet& t) -> SettingsEvent {
                                                   return ParticipationSet{Str(t.firm()),
                                                                           Str(t.user()),
                                                                           Str(t.dossier()),
                                                                           Flag(t.for_accountant()),
                                                                           Flag(t.for_entrepreneur()),
                                                                           t.at()};
                                                 }),
  };
  return Decode(decoders, type, schema_version, payload);
}

std::string EncodeEvent(const TemplateEvent& event) {
  FlatBufferBuilder fbb(1024);
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  Offset<void> root = std::visit(
      Overloaded{
          [&](const TemplateSaved& e) {
            std::vector<Offset<fb::TemplateText>> texts;
            for (const auto& [language, text] : e.saved.languages) {
              auto lang = str(language), subject = str(text.subject), body = str(text.body);
              texts.push_back(fb::CreateTemplateText(fbb, lang, subject, body));
            }
            auto languages = fbb.CreateVector(texts);
            auto firm = str(e.firm), id = str(e.saved.id), name = str(e.saved.name);
            return fb::CreateTemplateSaved(fbb, firm, id, static_cast<fb::TemplateOrigin>(e.saved.origin),
                                           static_cast<fb::TemplateType>(e.saved.type), name, languages, e.at)
                .Union();
          },
          [&](const TemplateReset& e) {
            auto firm = str(e.firm), id = str(e.id);
            return fb::CreateTemplateReset(fbb, firm, id, e.at).Union();
          },
          [&](const TemplateDeleted& e) {
            auto firm = str(e.firm), id = str(e.id);
            return fb::CreateTemplateDeleted(fbb, firm, id, e.at).Union();
          },
      },
      event);
  return Finished(fbb, root);
}

Result<TemplateEvent> DecodeTemplateEvent(std::string_view type, std::uint32_t schema_version,
                                          std::string_view payload) {
  static const Decoders<TemplateEvent> decoders = {
      Entry<TemplateEvent, fb::TemplateSaved>(
          "TemplateSaved",
          [](const fb::TemplateSaved& t) -> TemplateEvent {
            Template saved{Str(t.id()),
                           static_cast<TemplateType>(t.type()),
                           Str(t.name()),
                           {},
                           static_cast<TemplateOrigin>(t.origin())};
            if (t.languages()) {
              for (const fb::TemplateText* text : *t.languages())
                saved.languages[Str(text->language())] = {Str(text->subject()), Str(text->body())};
            }
            return TemplateSaved{Str(t.firm()), std::move(saved), t.at()};
          }),
      Entry<TemplateEvent, fb::TemplateReset>("TemplateReset",
                                              [](const fb::TemplateReset& t) -> TemplateEvent {
                                                return TemplateReset{Str(t.firm()), Str(t.id()), t.at()};
                                              }),
      Entry<TemplateEvent, fb::TemplateDeleted>("TemplateDeleted",
                                                [](const fb::TemplateDeleted& t) -> TemplateEvent {
                                                  return TemplateDeleted{Str(t.firm()), Str(t.id()), t.at()};
                                                }),
  };
  return Decode(decoders, type, schema_version, payload);
}

std::string EncodeEvent(const BulkEvent& event) {
  FlatBufferBuilder fbb(1024);
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  Offset<void> root =
      std::visit(Overloaded{
                     [&](const BulkRequested& e) {
                       auto dossiers = fbb.CreateVectorOfStrings(e.dossiers);
                       auto firm = str(e.firm), job = str(e.job), by = str(e.by), request = str(e.request);
                       return fb::CreateBulkRequested(fbb, firm, job, by, dossiers, request, e.at).Union();
                     },
                     [&](const BulkProgressed& e) {
                       std::vector<Offset<fb::BulkResult>> results;
                       for (const BulkResult& r : e.results) {
                         auto dossier = str(r.dossier), conversation = str(r.conversation),
                              code = str(r.error_code), error = str(r.error);
                         results.push_back(fb::CreateBulkResult(fbb, dossier, conversation, code, error));
                       }
                       auto list = fbb.CreateVector(results);
                       auto firm = str(e.firm), job = str(e.job);
                       return fb::CreateBulkProgressed(fbb, firm, job, list, e.at).Union();
                     },
                     [&](const BulkCompleted& e) {
                       auto firm = str(e.firm), job = str(e.job);
                       return fb::CreateBulkCompleted(fbb, firm, job, e.at).Union();
                     },
                 },
                 event);
  return Finished(fbb, root);
}

Result<BulkEvent> DecodeBulkEvent(std::string_view type, std::uint32_t schema_version,
                                  std::string_view payload) {
  static const Decoders<BulkEvent> decoders = {
      Entry<BulkEvent, fb::BulkRequested>("BulkRequested",
                                          [](const fb::BulkRequested& t) -> BulkEvent {
                                            return BulkRequested{Str(t.firm()),    Str(t.job()),
                                                                 Str(t.by()),      Strings(t.dossiers()),
                                                                 Str(t.request()), t.at()};
                                          }),
      Entry<BulkEvent, fb::BulkProgressed>("BulkProgressed",
                                           [](const fb::BulkProgressed& t) -> BulkEvent {
                                             BulkProgressed e{Str(t.firm()), Str(t.job()), {}, t.at()};
                                             if (t.results()) {
                                               for (const fb::BulkResult* r : *t.results())
                                                 e.results.push_back({Str(r->dossier()),
                                                                      Str(r->conversation()),
                                                                      Str(r->error_code()), Str(r->error())});
                                             }
                                             return e;
                                           }),
      Entry<BulkEvent, fb::BulkCompleted>("BulkCompleted",
                                          [](const fb::BulkCompleted& t) -> BulkEvent {
                                            return BulkCompleted{Str(t.firm()), Str(t.job()), t.at()};
                                          }),
  };
  return Decode(decoders, type, schema_version, payload);
}

std::string EncodeEvent(const AttachmentEvent& event) {
  const auto& e = std::get<AttachmentUploaded>(event);
  FlatBufferBuilder fbb(256);
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  auto firm = str(e.firm), dossier = str(e.dossier), upload = str(e.upload), uploader = str(e.uploader),
       name = str(e.name), type = str(e.content_type), sha = str(e.sha256);
  return Finished(
      fbb, fb::CreateAttachmentUploaded(fbb, firm, dossier, upload, uploader, name, type, sha, e.size, e.at));
}

Result<AttachmentEvent> DecodeAttachmentEvent(std::string_view type, std::uint32_t schema_version,
                                              std::string_view payload) {
  static const Decoders<AttachmentEvent> decoders = {
      Entry<AttachmentEvent, fb::AttachmentUploaded>(
          "AttachmentUploaded",
          [](const fb::AttachmentUploaded& t) -> AttachmentEvent {
            return AttachmentUploaded{Str(t.firm()),     Str(t.dossier()), Str(t.upload()),
                                      Str(t.uploader()), Str(t.name()),    Str(t.content_type()),
                                      Str(t.sha256()),   t.size(),         t.at()};
          }),
  };
  return Decode(decoders, type, schema_version, payload);
}

namespace {

Offset<fb::HeldItem> BuildHeld(FlatBufferBuilder& fbb, const HeldItem& h) {
  auto user = fbb.CreateString(h.user), conversation = fbb.CreateString(h.conversation);
  return fb::CreateHeldItem(fbb, user, conversation, h.ordinal, static_cast<fb::MailKind>(h.kind),
                            h.window_end);
}

std::vector<HeldItem> HeldItems(const Vector<Offset<fb::HeldItem>>* list) {
  std::vector<HeldItem> out;
  if (list != nullptr) {
    for (const fb::HeldItem* h : *list)
      out.push_back({Str(h->user()), Str(h->conversation()), h->ordinal(), static_cast<MailKind>(h->kind()),
                     h->window_end()});
  }
  return out;
}

}  // namespace

std::string EncodeEvent(const OutboxEvent& event) {
  FlatBufferBuilder fbb(1024);
  auto str = [&](const std::string& s) { return fbb.CreateString(s); };
  Offset<void> root = std::visit(
      Overloaded{
          [&](const NotificationsDecided& e) {
            std::vector<Offset<fb::QueuedMail>> mails;
            for (const QueuedMail& m : e.mails) {
              auto id = str(m.id), user = str(m.user), to_name = str(m.to_name),
                   to_address = str(m.to_address), language = str(m.language),
                   conversation = str(m.conversation), subject = str(m.subject), body = str(m.body),
                   link = str(m.link), from_name = str(m.from_name);
              mails.push_back(fb::CreateQueuedMail(fbb, id, user, to_name, to_address, language,
                                                   static_cast<fb::MailKind>(m.kind), conversation, subject,
                                                   body, link, from_name, m.accepts_reply));
            }
            std::vector<Offset<fb::HeldItem>> held, absorbed;
            for (const HeldItem& h : e.held) held.push_back(BuildHeld(fbb, h));
            for (const HeldItem& h : e.absorbed) absorbed.push_back(BuildHeld(fbb, h));
            const Trigger& t = e.trigger;
            auto t_firm = str(t.firm), t_conversation = str(t.conversation), t_user = str(t.user);
            auto trigger = fb::CreateTrigger(fbb, static_cast<fb::TriggerKind>(t.kind), t_firm,
                                             t_conversation, t.ordinal, t.reminder, t.serial, t_user, t.due);
            auto mail_list = fbb.CreateVector(mails);
            auto held_list = fbb.CreateVector(held), absorbed_list = fbb.CreateVector(absorbed);
            auto firm = str(e.firm);
            return fb::CreateNotificationsDecided(fbb, firm, trigger, mail_list, held_list, absorbed_list,
                                                  e.at)
                .Union();
          },
          [&](const MailSent& e) {
            auto firm = str(e.firm), mail = str(e.mail);
            return fb::CreateMailSent(fbb, firm, mail, e.attempt, e.at).Union();
          },
          [&](const MailFailed& e) {
            auto firm = str(e.firm), mail = str(e.mail), error = str(e.error);
            return fb::CreateMailFailed(fbb, firm, mail, e.attempt, error, e.permanent, e.retry_at, e.at)
                .Union();
          },
      },
      event);
  return Finished(fbb, root);
}

Result<OutboxEvent> DecodeOutboxEvent(std::string_view type, std::uint32_t schema_version,
                                      std::string_view payload) {
  static const Decoders<OutboxEvent> decoders = {
      Entry<OutboxEvent, fb::NotificationsDecided>(
          "NotificationsDecided",
          [](const fb::NotificationsDecided& t) -> OutboxEvent {
            NotificationsDecided e;
            e.firm = Str(t.firm());
            if (const fb::Trigger* g = t.trigger()) {
              e.trigger = {static_cast<TriggerKind>(g->kind()),
                           Str(g->firm()),
                           Str(g->conversation()),
                           g->ordinal(),
                           g->reminder(),
                           g->serial(),
                           Str(g->user()),
                           g->due()};
            }
            if (t.mails()) {
              for (const fb::QueuedMail* m : *t.mails()) {
                e.mails.push_back({Str(m->id()), Str(m->user()), Str(m->to_name()), Str(m->to_address()),
                                   Str(m->language()), static_cast<MailKind>(m->kind()),
                                   Str(m->conversation()), Str(m->subject()), Str(m->body()), Str(m->link()),
                                   Str(m->from_name()), m->accepts_reply()});
              }
            }
            e.held = HeldItems(t.held());
            e.absorbed = HeldItems(t.absorbed());
            e.at = t.at();
            return e;
          }),
      Entry<OutboxEvent, fb::MailSent>("MailSent",
                                       [](const fb::MailSent& t) -> OutboxEvent {
                                         return MailSent{Str(t.firm()), Str(t.mail()), t.attempt(), t.at()};
                                       }),
      Entry<OutboxEvent, fb::MailFailed>("MailFailed",
                                         [](const fb::MailFailed& t) -> OutboxEvent {
                                           return MailFailed{Str(t.firm()),  Str(t.mail()), t.attempt(),
                                                             Str(t.error()), t.permanent(), t.retry_at(),
                                                             t.at()};
                                         }),
  };
  return Decode(decoders, type, schema_version, payload);
}

}  // namespace parley::domain
