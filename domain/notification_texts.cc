#include "domain/notification_texts.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace parley::domain {

const char* ToString(MailKind kind) {
  switch (kind) {
    case MailKind::kNewConversation:
      return "new_conversation";
    case MailKind::kNewMessage:
      return "new_message";
    case MailKind::kMention:
      return "mention";
    case MailKind::kNote:
      return "note";
    case MailKind::kUnreadNudge:
      return "unread_nudge";
    case MailKind::kReminder:
      return "reminder";
    case MailKind::kDigest:
      return "digest";
  }
  return "new_message";
}

std::optional<MailKind> ParseMailKind(std::string_view text) {
  for (MailKind kind : {MailKind::kNewConversation, MailKind::kNewMessage, MailKind::kMention,
                        MailKind::kNote, MailKind::kUnreadNudge, MailKind::kReminder, MailKind::kDigest}) {
    if (text == ToString(kind)) return kind;
  }
  return std::nullopt;
}

namespace {

// ---- The words, one table per language ----
//
// Placeholders: {sender} {recipient} {firm} {dossier} {subject} (the
// conversation subject as is) {s} (the same in the language's quotes)
// {date} {where} (the portal, worded for the recipient's side) {n} {m}
// {conversations} {news} {reason}. Sentences are whole, so that each
// language keeps its own word order.
struct Texts {
  bool singular_up_to_one;  // French: "0 conversation", "1 conversation"
  bool iso_dates;           // yyyy-mm-dd instead of dd/mm/yyyy
  const char* marker;
  const char* open_quote;
  const char* close_quote;
  const char* hello_named;
  const char* hello;
  const char* client_portal_at;  // a client's portal, with the firm's name
  const char* client_portal;     // the same when the firm has no name
  const char* staff_portal;

  const char* subject_new_conversation;
  const char* subject_new_message;
  const char* subject_mention;
  const char* subject_note;
  const char* subject_nudge;
  const char* subject_reminder;
  const char* subject_reminder_numbered;
  const char* subject_digest_hourly;
  const char* subject_digest_daily;
  const char* subject_portal;  // the neutral mail a client gets instead of a note

  // Opening sentences: [0] for staff, [1] for a client.
  const char* new_conversation[2];
  const char* new_message[2];
  const char* mention[2];
  const char* nudge[2];
  const char* reminder[2];
  const char* note;
  const char* note_internal;
  const char* note_reply_warning;
  const char* nudge_confidential;
  const char* reminder_numbered;
  const char* reminder_quote;
  const char* reminder_already;
  const char* portal_only;

  const char* digest_hourly;
  const char* digest_daily;
  const char* digest_empty;
  const char* digest_all;
  const char* digest_line;
  const char* digest_line_no_dossier;
  const char* message_one;
  const char* message_many;
  const char* note_one;
  const char* note_many;
  const char* conversation_one;
  const char* conversation_many;
  const char* mentioned;
  const char* new_conversation_tag;

  const char* reply_hint;
  const char* view_also;
  const char* read_and_answer;
  const char* signoff;
  const char* signature_fallback;

  const char* footer_from;
  const char* footer;
  const char* frequency;
  const char* reason_participant;
  const char* reason_mention;
  const char* reason_nudge;
  const char* reason_reminder;
  const char* reason_digest_hourly;
  const char* reason_digest_daily;
  const char* reason_portal;
};

constexpr Texts kFrench{
    .singular_up_to_one = true,
    .iso_dates = false,
    .marker = "##- Répondez au-dessus de cette ligne -##",
    .open_quote = "« ",
    .close_quote = " »",
    .hello_named = "Bonjour {recipient},",
    .hello = "Bonjour,",
    .client_portal_at = "dans votre espace sécurisé chez {firm}",
    .client_portal = "dans votre espace sécurisé",
    .staff_portal = "dans le portail",

    .subject_new_conversation = "{sender} a commencé une conversation dans {dossier} : {subject}",
    .subject_new_message = "Nouveau message de {sender} dans {s} ({dossier})",
    .subject_mention = "{sender} vous a mentionné dans {s}",
    .subject_note = "Note privée de {sender} sur {s} ({dossier})",
    .subject_nudge = "Un message non lu vous attend : {subject}",
    .subject_reminder = "Rappel : votre réponse est attendue dans {s}",
    .subject_reminder_numbered = "Rappel {n} sur {m} : votre réponse est attendue dans {s}",
    .subject_digest_hourly = "Résumé de la dernière heure : du nouveau dans {conversations}",
    .subject_digest_daily = "Résumé quotidien : du nouveau dans {conversations}",
    .subject_portal = "Votre messagerie sécurisée – {dossier}",

    .new_conversation =
        {"{sender} a commencé une nouvelle conversation {s} dans le dossier {dossier}.",
         "{sender} a commencé avec vous une nouvelle conversation {s} pour le dossier {dossier}."},
    .new_message =
        {"{sender} a publié un nouveau message dans la conversation {s} du dossier {dossier}.",
         "{sender} vous a envoyé un nouveau message dans la conversation {s} (dossier {dossier})."},
    .mention = {"{sender} vous a mentionné dans la conversation {s} du dossier {dossier}.",
                "{sender} vous a mentionné dans la conversation {s} (dossier {dossier})."},
    .nudge = {"Un message de {sender} que vous n'avez pas encore lu vous attend depuis le {date} dans la "
              "conversation {s} du dossier {dossier}.",
              "Un message de {sender} que vous n'avez pas encore lu vous attend depuis le {date} dans la "
              "conversation {s} (dossier {dossier})."},
    .reminder =
        {"Le client n'a pas encore répondu dans la conversation {s} du dossier {dossier}.",
         "Sauf erreur de notre part, nous n'avons pas encore reçu votre réponse dans la conversation {s} "
         "(dossier {dossier})."},
    .note = "{sender} a ajouté une note privée dans la conversation {s} du dossier {dossier}.",
    .note_internal = "Cette note est interne au cabinet : elle n'est pas visible par le client.",
    .note_reply_warning =
        "Attention : si vous répondez à cet e-mail, votre réponse sera publiée comme message "
        "dans la conversation et sera donc visible par le client. Pour ajouter une note "
        "privée, passez par le portail.",
    .nudge_confidential =
        "Pour des raisons de confidentialité, son contenu n'est pas repris dans cet e-mail. "
        "Vous pouvez le lire {where} :",
    .reminder_numbered = "Ceci est le rappel {n} sur {m}.",
    .reminder_quote = "Pour rappel, notre dernier message :",
    .reminder_already =
        "Si vous avez répondu entre-temps, nous vous en remercions et vous prions de ne pas "
        "tenir compte de ce rappel.",
    .portal_only = "Vous pouvez consulter à tout moment les conversations du dossier {dossier} {where} :",

    .digest_hourly = "Voici les nouveautés de la dernière heure dans vos conversations :",
    .digest_daily = "Voici les nouveautés des dernières 24 heures dans vos conversations :",
    .digest_empty = "Rien de nouveau pendant cette période.",
    .digest_all = "Pour tout consulter {where} :",
    .digest_line = "{dossier} — {subject} : {news}",
    .digest_line_no_dossier = "{subject} : {news}",
    .message_one = "{n} nouveau message",
    .message_many = "{n} nouveaux messages",
    .note_one = "{n} note privée",
    .note_many = "{n} notes privées",
    .conversation_one = "{n} conversation",
    .conversation_many = "{n} conversations",
    .mentioned = "vous avez été mentionné",
    .new_conversation_tag = "nouvelle conversation",

    .reply_hint = "Répondez simplement à cet e-mail : votre réponse sera publiée dans la conversation.",
    .view_also = "Vous pouvez aussi consulter la conversation {where} :",
    .read_and_answer = "Pour lire la conversation et y répondre, rendez-vous {where} :",
    .signoff = "Cordialement,",
    .signature_fallback = "Votre cabinet",

    .footer_from = "Vous recevez cet e-mail de la part de {firm} parce que {reason}.",
    .footer = "Vous recevez cet e-mail parce que {reason}.",
    .frequency =
        "Vous pouvez choisir la fréquence de ces notifications (immédiatement, toutes les heures, une "
        "fois par jour ou jamais) dans vos paramètres de conversation.",
    .reason_participant = "vous participez à cette conversation",
    .reason_mention = "vous avez été mentionné dans cette conversation",
    .reason_nudge = "un message de cette conversation n'a pas encore été lu",
    .reason_reminder = "votre réponse est attendue dans cette conversation",
    .reason_digest_hourly = "vous avez choisi de recevoir un résumé toutes les heures",
    .reason_digest_daily = "vous avez choisi de recevoir un résumé quotidien",
    .reason_portal = "vous avez accès à ce dossier dans le portail sécurisé",
};

constexpr Texts kDutch{
    .singular_up_to_one = false,
    .iso_dates = false,
    .marker = "##- Antwoord boven deze lijn -##",
    .open_quote = "“",
    .close_quote = "”",
    .hello_named = "Beste {recipient},",
    .hello = "Goeiedag,",
    .client_portal_at = "in uw beveiligde portaal bij {firm}",
    .client_portal = "in uw beveiligde portaal",
    .staff_portal = "in het portaal",

    .subject_new_conversation = "{sender} is een gesprek gestart in {dossier}: {subject}",
    .subject_new_message = "Nieuw bericht van {sender} in {s} ({dossier})",
    .subject_mention = "{sender} heeft u vermeld in {s}",
    .subject_note = "Interne notitie van {sender} bij {s} ({dossier})",
    .subject_nudge = "Er wacht een ongelezen bericht op u: {subject}",
    .subject_reminder = "Herinnering: wij wachten op uw antwoord in {s}",
    .subject_reminder_numbered = "Herinnering {n} van {m}: wij wachten op uw antwoord in {s}",
    .subject_digest_hourly = "Overzicht van het afgelopen uur: nieuws in {conversations}",
    .subject_digest_daily = "Dagelijks overzicht: nieuws in {conversations}",
    .subject_portal = "Uw beveiligde berichten – {dossier}",

    .new_conversation = {"{sender} is in het dossier {dossier} een nieuw gesprek gestart: {s}.",
                         "{sender} is met u een nieuw gesprek gestart voor het dossier {dossier}: {s}."},
    .new_message =
        {"{sender} heeft een nieuw bericht geplaatst in het gesprek {s} van het dossier {dossier}.",
         "{sender} heeft u een nieuw bericht gestuurd in het gesprek {s} (dossier {dossier})."},
    .mention = {"{sender} heeft u vermeld in het gesprek {s} van het dossier {dossier}.",
                "{sender} heeft u vermeld in het gesprek {s} (dossier {dossier})."},
    .nudge =
        {"Sinds {date} wacht er een ongelezen bericht van {sender} op u in het gesprek {s} van het dossier "
         "{dossier}.",
         "Sinds {date} wacht er een ongelezen bericht van {sender} op u in het gesprek {s} (dossier "
         "{dossier})."},
    .reminder =
        {"De klant heeft nog niet geantwoord in het gesprek {s} van het dossier {dossier}.",
         "Tenzij wij ons vergissen, hebben wij uw antwoord in het gesprek {s} (dossier {dossier}) nog "
         "niet ontvangen."},
    .note = "{sender} heeft een interne notitie toegevoegd aan het gesprek {s} van het dossier {dossier}.",
    .note_internal = "Deze notitie is intern voor het kantoor: de klant kan ze niet zien.",
    .note_reply_warning =
        "Let op: als u op deze e-mail antwoordt, wordt uw antwoord als bericht in het gesprek "
        "geplaatst en is het dus zichtbaar voor de klant. Een interne notitie voegt u toe via "
        "het portaal.",
    .nudge_confidential =
        "Om redenen van vertrouwelijkheid staat de inhoud niet in deze e-mail. U kunt het "
        "bericht lezen {where}:",
    .reminder_numbered = "Dit is herinnering {n} van {m}.",
    .reminder_quote = "Ter herinnering, ons laatste bericht:",
    .reminder_already =
        "Heeft u intussen al geantwoord? Dan danken wij u en mag u deze herinnering als niet "
        "verzonden beschouwen.",
    .portal_only = "U kunt de gesprekken van het dossier {dossier} op elk moment bekijken {where}:",

    .digest_hourly = "Dit is er het afgelopen uur nieuw in uw gesprekken:",
    .digest_daily = "Dit is er de afgelopen 24 uur nieuw in uw gesprekken:",
    .digest_empty = "Er is niets nieuws in deze periode.",
    .digest_all = "Bekijk alles {where}:",
    .digest_line = "{dossier} — {subject}: {news}",
    .digest_line_no_dossier = "{subject}: {news}",
    .message_one = "{n} nieuw bericht",
    .message_many = "{n} nieuwe berichten",
    .note_one = "{n} interne notitie",
    .note_many = "{n} interne notities",
    .conversation_one = "{n} gesprek",
    .conversation_many = "{n} gesprekken",
    .mentioned = "u werd vermeld",
    .new_conversation_tag = "nieuw gesprek",

    .reply_hint = "Antwoord gewoon op deze e-mail: uw antwoord wordt in het gesprek geplaatst.",
    .view_also = "U kunt het gesprek ook bekijken {where}:",
    .read_and_answer = "Lees en beantwoord het gesprek {where}:",
    .signoff = "Met vriendelijke groeten,",
    .signature_fallback = "Uw boekhoudkantoor",

    .footer_from = "U ontvangt deze e-mail van {firm} omdat {reason}.",
    .footer = "U ontvangt deze e-mail omdat {reason}.",
    .frequency =
        "In uw gespreksinstellingen kiest u hoe vaak u deze meldingen ontvangt: onmiddellijk, elk uur, "
        "dagelijks of nooit.",
    .reason_participant = "u deelneemt aan dit gesprek",
    .reason_mention = "u in dit gesprek werd vermeld",
    .reason_nudge = "een bericht in dit gesprek nog niet gelezen is",
    .reason_reminder = "uw antwoord in dit gesprek verwacht wordt",
    .reason_digest_hourly = "u gekozen heeft voor een overzicht per uur",
    .reason_digest_daily = "u gekozen heeft voor een dagelijks overzicht",
    .reason_portal = "u in het beveiligde portaal toegang heeft tot dit dossier",
};

constexpr Texts kEnglish{
    .singular_up_to_one = false,
    .iso_dates = true,
    .marker = "##- Reply above this line -##",
    .open_quote = "“",
    .close_quote = "”",
    .hello_named = "Dear {recipient},",
    .hello = "Hello,",
    .client_portal_at = "in your secure portal at {firm}",
    .client_portal = "in your secure portal",
    .staff_portal = "in the portal",

    .subject_new_conversation = "{sender} started a conversation in {dossier}: {subject}",
    .subject_new_message = "New message from {sender} in {s} ({dossier})",
    .subject_mention = "{sender} mentioned you in {s}",
    .subject_note = "Private note from {sender} on {s} ({dossier})",
    .subject_nudge = "An unread message is waiting for you: {subject}",
    .subject_reminder = "Reminder: we are waiting for your reply in {s}",
    .subject_reminder_numbered = "Reminder {n} of {m}: we are waiting for your reply in {s}",
    .subject_digest_hourly = "Hourly summary: updates in {conversations}",
    .subject_digest_daily = "Daily summary: updates in {conversations}",
    .subject_portal = "Your secure messages – {dossier}",

    .new_conversation = {"{sender} started a new conversation for {dossier}: {s}.",
                         "{sender} started a new conversation with you for {dossier}: {s}."},
    .new_message = {"{sender} posted a new message in the conversation {s} for {dossier}.",
                    "{sender} sent you a new message in the conversation {s} ({dossier})."},
    .mention = {"{sender} mentioned you in the conversation {s} for {dossier}.",
                "{sender} mentioned you in the conversation {s} ({dossier})."},
    .nudge = {"An unread message from {sender} has been waiting for you since {date} in the conversation {s} "
              "for {dossier}.",
              "An unread message from {sender} has been waiting for you since {date} in the conversation {s} "
              "({dossier})."},
    .reminder = {"The client has not yet replied in the conversation {s} for {dossier}.",
                 "Unless we are mistaken, we have not yet received your reply in the conversation {s} "
                 "({dossier})."},
    .note = "{sender} added a private note to the conversation {s} for {dossier}.",
    .note_internal = "This note is internal to the firm: the client cannot see it.",
    .note_reply_warning =
        "Please note: if you reply to this e-mail, your reply is posted as a message in the "
        "conversation, so the client will see it. To add a private note, use the portal.",
    .nudge_confidential =
        "For confidentiality reasons, its content is not included in this e-mail. You can "
        "read it {where}:",
    .reminder_numbered = "This is reminder {n} of {m}.",
    .reminder_quote = "As a reminder, our last message:",
    .reminder_already = "If you have replied in the meantime, thank you, and please disregard this reminder.",
    .portal_only = "You can view the conversations for {dossier} at any time {where}:",

    .digest_hourly = "Here is what is new in your conversations over the last hour:",
    .digest_daily = "Here is what is new in your conversations over the last 24 hours:",
    .digest_empty = "Nothing new in this period.",
    .digest_all = "See everything {where}:",
    .digest_line = "{dossier} — {subject}: {news}",
    .digest_line_no_dossier = "{subject}: {news}",
    .message_one = "{n} new message",
    .message_many = "{n} new messages",
    .note_one = "{n} private note",
    .note_many = "{n} private notes",
    .conversation_one = "{n} conversation",
    .conversation_many = "{n} conversations",
    .mentioned = "you were mentioned",
    .new_conversation_tag = "new conversation",

    .reply_hint = "Simply reply to this e-mail: your reply will be posted in the conversation.",
    .view_also = "You can also view the conversation {where}:",
    .read_and_answer = "Read and answer the conversation {where}:",
    .signoff = "Kind regards,",
    .signature_fallback = "Your accounting firm",

    .footer_from = "You are receiving this e-mail from {firm} because {reason}.",
    .footer = "You are receiving this e-mail because {reason}.",
    .frequency =
        "You can choose how often you receive these notifications (immediately, hourly, daily or "
        "never) in your conversation settings.",
    .reason_participant = "you take part in this conversation",
    .reason_mention = "you were mentioned in this conversation",
    .reason_nudge = "a message in this conversation has not been read yet",
    .reason_reminder = "your reply is awaited in this conversation",
    .reason_digest_hourly = "you chose to receive an hourly summary",
    .reason_digest_daily = "you chose to receive a daily summary",
    .reason_portal = "you have access to this file in the secure portal",
};

constexpr Texts kGerman{
    .singular_up_to_one = false,
    .iso_dates = false,
    .marker = "##- Bitte oberhalb dieser Zeile antworten -##",
    .open_quote = "„",
    .close_quote = "“",
    .hello_named = "Guten Tag {recipient},",
    .hello = "Guten Tag,",
    .client_portal_at = "in Ihrem sicheren Portal bei {firm}",
    .client_portal = "in Ihrem sicheren Portal",
    .staff_portal = "im Portal",

    .subject_new_conversation = "{sender} hat eine Unterhaltung in {dossier} begonnen: {subject}",
    .subject_new_message = "Neue Nachricht von {sender} in {s} ({dossier})",
    .subject_mention = "{sender} hat Sie in {s} erwähnt",
    .subject_note = "Interne Notiz von {sender} zu {s} ({dossier})",
    .subject_nudge = "Eine ungelesene Nachricht wartet auf Sie: {subject}",
    .subject_reminder = "Erinnerung: Wir warten auf Ihre Antwort in {s}",
    .subject_reminder_numbered = "Erinnerung {n} von {m}: Wir warten auf Ihre Antwort in {s}",
    .subject_digest_hourly = "Stündliche Zusammenfassung: Neuigkeiten in {conversations}",
    .subject_digest_daily = "Tägliche Zusammenfassung: Neuigkeiten in {conversations}",
    .subject_portal = "Ihre sicheren Nachrichten – {dossier}",

    .new_conversation =
        {"{sender} hat im Dossier {dossier} eine neue Unterhaltung begonnen: {s}.",
         "{sender} hat mit Ihnen eine neue Unterhaltung zum Dossier {dossier} begonnen: {s}."},
    .new_message =
        {"{sender} hat in der Unterhaltung {s} im Dossier {dossier} eine neue Nachricht geschrieben.",
         "{sender} hat Ihnen in der Unterhaltung {s} (Dossier {dossier}) eine neue Nachricht "
         "geschrieben."},
    .mention = {"{sender} hat Sie in der Unterhaltung {s} im Dossier {dossier} erwähnt.",
                "{sender} hat Sie in der Unterhaltung {s} (Dossier {dossier}) erwähnt."},
    .nudge = {"Seit {date} wartet eine ungelesene Nachricht von {sender} in der Unterhaltung {s} im Dossier "
              "{dossier} auf Sie.",
              "Seit {date} wartet eine ungelesene Nachricht von {sender} in der Unterhaltung {s} (Dossier "
              "{dossier}) auf Sie."},
    .reminder = {"Der Mandant hat in der Unterhaltung {s} im Dossier {dossier} noch nicht geantwortet.",
                 "Sofern wir nichts übersehen haben, liegt uns Ihre Antwort in der Unterhaltung {s} (Dossier "
                 "{dossier}) noch nicht vor."},
    .note = "{sender} hat der Unterhaltung {s} im Dossier {dossier} eine interne Notiz hinzugefügt.",
    .note_internal = "Diese Notiz ist kanzleiintern: Der Mandant kann sie nicht sehen.",
    .note_reply_warning =
        "Bitte beachten Sie: Wenn Sie auf diese E-Mail antworten, wird Ihre Antwort als "
        "Nachricht in der Unterhaltung veröffentlicht und ist damit für den Mandanten "
        "sichtbar. Eine interne Notiz fügen Sie bitte im Portal hinzu.",
    .nudge_confidential =
        "Aus Gründen der Vertraulichkeit ist der Inhalt nicht in dieser E-Mail enthalten. Sie "
        "können die Nachricht {where} lesen:",
    .reminder_numbered = "Dies ist die Erinnerung {n} von {m}.",
    .reminder_quote = "Zur Erinnerung unsere letzte Nachricht:",
    .reminder_already =
        "Falls Sie inzwischen geantwortet haben, danken wir Ihnen und bitten Sie, diese "
        "Erinnerung als gegenstandslos zu betrachten.",
    .portal_only = "Sie können die Unterhaltungen zum Dossier {dossier} jederzeit {where} ansehen:",

    .digest_hourly = "Das ist in der letzten Stunde in Ihren Unterhaltungen neu:",
    .digest_daily = "Das ist in den letzten 24 Stunden in Ihren Unterhaltungen neu:",
    .digest_empty = "In diesem Zeitraum gibt es nichts Neues.",
    .digest_all = "Alles {where} ansehen:",
    .digest_line = "{dossier} — {subject}: {news}",
    .digest_line_no_dossier = "{subject}: {news}",
    .message_one = "{n} neue Nachricht",
    .message_many = "{n} neue Nachrichten",
    .note_one = "{n} interne Notiz",
    .note_many = "{n} interne Notizen",
    .conversation_one = "{n} Unterhaltung",
    .conversation_many = "{n} Unterhaltungen",
    .mentioned = "Sie wurden erwähnt",
    .new_conversation_tag = "neue Unterhaltung",

    .reply_hint =
        "Antworten Sie einfach auf diese E-Mail: Ihre Antwort wird in der Unterhaltung veröffentlicht.",
    .view_also = "Sie können die Unterhaltung auch {where} ansehen:",
    .read_and_answer = "Lesen und beantworten Sie die Unterhaltung {where}:",
    .signoff = "Mit freundlichen Grüßen",
    .signature_fallback = "Ihr Buchhaltungsbüro",

    .footer_from = "Sie erhalten diese E-Mail von {firm}, weil {reason}.",
    .footer = "Sie erhalten diese E-Mail, weil {reason}.",
    .frequency =
        "In Ihren Unterhaltungseinstellungen können Sie wählen, wie oft Sie diese Benachrichtigungen "
        "erhalten: sofort, stündlich, täglich oder nie.",
    .reason_participant = "Sie an dieser Unterhaltung teilnehmen",
    .reason_mention = "Sie in dieser Unterhaltung erwähnt wurden",
    .reason_nudge = "eine Nachricht in dieser Unterhaltung noch ungelesen ist",
    .reason_reminder = "in dieser Unterhaltung Ihre Antwort erwartet wird",
    .reason_digest_hourly = "Sie eine stündliche Zusammenfassung gewählt haben",
    .reason_digest_daily = "Sie eine tägliche Zusammenfassung gewählt haben",
    .reason_portal = "Sie im sicheren Portal Zugang zu diesem Dossier haben",
};

// "nl", "NL" and "nl-BE" are Dutch; anything unknown is French, the
// product's first language.
const Texts& TextsFor(std::string_view language) {
  std::string code;
  for (char c : language) {
    if (c == '-' || c == '_') break;
    code += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (code == "nl") return kDutch;
  if (code == "en") return kEnglish;
  if (code == "de") return kGerman;
  return kFrench;
}

// ---- UTF-8 ----

constexpr std::string_view kEllipsis = "…";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at text[i] (its code point
// in `cp`), or 0 if it is malformed: overlong forms, surrogates and values
// past U+10FFFF are refused, so that what we emit is always valid.
std::size_t DecodeAt(std::string_view text, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned char b = byte(i + k);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return length;
}

// Controls (C0, DEL, C1) and the Unicode line separators.
bool IsControl(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

std::size_t CodePoints(std::string_view valid) {
  return static_cast<std::size_t>(std::count_if(
      valid.begin(), valid.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void TrimRight(std::string& text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
}

// One line of valid UTF-8: every control or line break becomes a space,
// runs of spaces one space, no space at either end. Names and subjects go
// into the Subject header, where a CR or LF would start a new header.
std::string CleanLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = DecodeAt(text, i, cp);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (IsControl(cp) || cp == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  TrimRight(out);
  return out;
}

// Several lines of valid UTF-8 with LF endings: CR LF, lone CR and the
// Unicode separators become LF, tabs stay, other controls go, trailing
// blanks of each line and blank lines at either end go.
std::string CleanBlock(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = DecodeAt(text, i, cp);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (cp == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      TrimRight(out);
      out += '\n';
    } else if (cp == '\n' || cp == 0x2028 || cp == 0x2029) {
      TrimRight(out);
      out += '\n';
    } else if (cp == '\t' || !IsControl(cp)) {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  TrimRight(out);
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
    TrimRight(out);
  }
  const std::size_t first = out.find_first_not_of(" \t\n");
  if (first == std::string::npos) return "";
  const std::size_t line_start = out.rfind('\n', first);  // keep the first line's indentation
  return line_start == std::string::npos ? out : out.substr(line_start + 1);
}

// At most `max_chars` code points of valid UTF-8, ending with "…" when cut.
std::string Cut(std::string text, std::size_t max_chars) {
  if (CodePoints(text) <= max_chars) return text;
  const std::size_t keep = max_chars == 0 ? 0 : max_chars - 1;
  std::size_t count = 0, end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80) {
      if (count == keep) break;
      ++count;
    }
  }
  text.resize(end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t')) text.pop_back();
  return text + std::string(kEllipsis);
}

// ---- Filling in ----

using Vars = std::vector<std::pair<std::string_view, std::string>>;

// Replaces each {name} of `pattern` with its value, in one pass: a value
// is never scanned again, so a sender called "{firm}" stays "{firm}".
std::string Fill(std::string_view pattern, const Vars& vars) {
  std::string out;
  out.reserve(pattern.size() + 64);
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      const std::size_t close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = pattern.substr(i + 1, close - i - 1);
        const auto it =
            std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
        if (it != vars.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += pattern[i++];
  }
  return out;
}

// "05/03/2026 14:07 UTC" or, in English, "2026-03-05 14:07 UTC".
std::string FormatWhen(Micros at, bool iso) {
  constexpr std::int64_t kMicrosPerSecond = 1'000'000, kSecondsPerDay = 86'400;
  std::int64_t seconds = at / kMicrosPerSecond;
  if (at % kMicrosPerSecond < 0) --seconds;  // floor, for instants before 1970
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t in_day = seconds % kSecondsPerDay;
  if (in_day < 0) {
    in_day += kSecondsPerDay;
    --days;
  }
  // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
  // civil_from_days), so no time zone database or clock is involved.
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const std::int64_t doe = days - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const auto hour = static_cast<int>(in_day / 3600), minute = static_cast<int>(in_day % 3600 / 60);
  char buffer[48];
  if (iso) {
    std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d %02d:%02d UTC", static_cast<long long>(year),
                  static_cast<int>(month), static_cast<int>(day), hour, minute);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02d/%02d/%04lld %02d:%02d UTC", static_cast<int>(day),
                  static_cast<int>(month), static_cast<long long>(year), hour, minute);
  }
  return buffer;
}

// Names are one line and bounded, so that no field can push the rest of a
// subject out of sight.
constexpr std::size_t kMaxMailNameChars = 80;
// The SPEC allows 200 characters; a little slack for what came before.
constexpr std::size_t kMaxBodySubjectChars = 250;

std::string Name(std::string_view text) {
  return Cut(CleanLine(text), kMaxMailNameChars);
}

// ---- Rendering ----

class Renderer {
 public:
  explicit Renderer(const MailFacts& facts)
      : facts_(facts),
        t_(TextsFor(facts.language)),
        staff_(facts.recipient_is_staff),
        sender_(Name(facts.sender_name)),
        recipient_(Name(facts.recipient_name)),
        firm_(Name(facts.firm_name)),
        dossier_(Name(facts.dossier_name)),
        subject_(Cut(CleanLine(facts.conversation_subject), kMaxBodySubjectChars)),
        link_(CleanLine(facts.link)),
        excerpt_(Excerpt(facts.excerpt)) {
    where_ = staff_          ? t_.staff_portal
             : firm_.empty() ? t_.client_portal
                             : Fill(t_.client_portal_at, {{"firm", firm_}});
  }

  MailText Render() {
    // A client is never told of a note, not even that one exists.
    if (facts_.kind == MailKind::kNote && !staff_) return Neutral();
    if (facts_.kind == MailKind::kDigest) return Digest();
    return Conversation();
  }

 private:
  static std::string Excerpt(std::string_view text) {
    std::string block = Cut(CleanBlock(text), kMaxExcerptChars);
    // Only the real marker line may start with the prefix, or a reply
    // quoting this mail could be cut in the wrong place.
    std::string out;
    std::size_t start = 0;
    while (start <= block.size()) {
      std::size_t end = block.find('\n', start);
      if (end == std::string::npos) end = block.size();
      const std::string_view line(block.data() + start, end - start);
      if (line.starts_with(kReplyMarkerPrefix)) out += ' ';
      out.append(line);
      if (end < block.size()) out += '\n';
      start = end + 1;
    }
    return out;
  }

  std::string Quoted(std::string_view subject) const {
    return std::string(t_.open_quote) + std::string(subject) + t_.close_quote;
  }

  Vars Common() const {
    return {{"sender", sender_},
            {"recipient", recipient_},
            {"firm", firm_},
            {"dossier", dossier_},
            {"subject", subject_},
            {"s", Quoted(subject_)},
            {"where", where_},
            {"date", FormatWhen(facts_.posted_at, t_.iso_dates)},
            {"n", std::to_string(facts_.reminder_number)},
            {"m", std::to_string(facts_.reminder_count)}};
  }

  // The subject line: the conversation subject is shortened first, then,
  // if names alone are too long, the whole line.
  std::string Subject(const char* pattern, Vars vars) const {
    const auto with = [&](const std::string& subject) {
      Vars v = vars;
      v.insert(v.begin(), {{"subject", subject}, {"s", Quoted(subject)}});  // found before Common()'s
      return Fill(pattern, v);
    };
    std::string line = with(subject_);
    if (CodePoints(line) <= kMaxMailSubjectChars) return line;
    const std::size_t fixed = CodePoints(with(""));
    const std::size_t budget = fixed < kMaxMailSubjectChars ? kMaxMailSubjectChars - fixed : 0;
    line = with(Cut(subject_, std::max<std::size_t>(budget, 1)));
    return Cut(line, kMaxMailSubjectChars);
  }

  std::string Greeting() const {
    return recipient_.empty() ? std::string(t_.hello) : Fill(t_.hello_named, {{"recipient", recipient_}});
  }

  std::string Plural(const char* one, const char* many, int n) const {
    const bool singular = t_.singular_up_to_one ? n <= 1 : n == 1;
    return Fill(singular ? one : many, {{"n", std::to_string(n)}});
  }

  // The body from its paragraphs: the marker first when replies are taken,
  // the sign-off for clients (the firm speaks to them), then the footer.
  std::string Body(std::vector<std::string> paragraphs, const char* reason) const {
    std::vector<std::string> all;
    if (facts_.accepts_reply) all.emplace_back(t_.marker);
    all.push_back(Greeting());
    for (auto& p : paragraphs) {
      if (!p.empty()) all.push_back(std::move(p));
    }
    if (!staff_)
      all.push_back(std::string(t_.signoff) + "\n" + (firm_.empty() ? t_.signature_fallback : firm_));
    const Vars why = {{"firm", firm_}, {"reason", reason}};
    // "-- " is the signature delimiter: mail clients show what follows as such.
    all.push_back("-- \n" + Fill(staff_ || firm_.empty() ? t_.footer : t_.footer_from, why) + "\n" +
                  t_.frequency);
    std::string body;
    for (const auto& p : all) {
      if (!body.empty()) body += "\n\n";
      body += p;
    }
    return body + "\n";
  }

  // Where to go next: the reply hint when replies are taken, then the link.
  std::vector<std::string> CallToAction(const char* without_reply) const {
    std::vector<std::string> out;
    if (facts_.accepts_reply) {
      // A note's staff reader gets the warning instead: replying posts a
      // public message, which the client will read.
      out.emplace_back(facts_.kind == MailKind::kNote ? t_.note_reply_warning : t_.reply_hint);
      out.push_back(Fill(t_.view_also, {{"where", where_}}) + "\n" + link_);
    } else {
      out.push_back(Fill(without_reply, {{"where", where_}}) + "\n" + link_);
    }
    return out;
  }

  MailText Conversation() const {
    const Vars vars = Common();
    const int side = staff_ ? 0 : 1;
    const char* subject = t_.subject_new_message;
    const char* reason = t_.reason_participant;
    std::vector<std::string> paragraphs;
    std::string excerpt = excerpt_;
    const char* without_reply = t_.read_and_answer;
    switch (facts_.kind) {
      case MailKind::kNewConversation:
        subject = t_.subject_new_conversation;
        paragraphs.push_back(Fill(t_.new_conversation[side], vars));
        break;
      case MailKind::kNewMessage:
      case MailKind::kDigest:  // not reached: digests have their own layout
        paragraphs.push_back(Fill(t_.new_message[side], vars));
        break;
      case MailKind::kMention:
        subject = t_.subject_mention;
        reason = t_.reason_mention;
        paragraphs.push_back(Fill(t_.mention[side], vars));
        break;
      case MailKind::kNote:  // staff only here
        subject = t_.subject_note;
        paragraphs.push_back(Fill(t_.note, vars) + "\n" + t_.note_internal);
        break;
      case MailKind::kUnreadNudge:
        subject = t_.subject_nudge;
        reason = t_.reason_nudge;
        paragraphs.push_back(Fill(t_.nudge[side], vars));
        if (!staff_) {
          // The portal is the secure channel: a client's nudge only points to it.
          excerpt.clear();
          without_reply = t_.nudge_confidential;
        }
        break;
      case MailKind::kReminder: {
        const bool numbered = facts_.reminder_count > 0;
        subject = numbered ? t_.subject_reminder_numbered : t_.subject_reminder;
        std::string opening = Fill(t_.reminder[side], vars);
        if (numbered) opening += " " + Fill(t_.reminder_numbered, vars);
        paragraphs.push_back(std::move(opening));
        if (!staff_) {
          reason = t_.reason_reminder;
          if (!excerpt.empty()) paragraphs.emplace_back(t_.reminder_quote);
        }
        break;
      }
    }
    paragraphs.push_back(std::move(excerpt));
    if (facts_.kind == MailKind::kReminder && !staff_) paragraphs.emplace_back(t_.reminder_already);
    if (facts_.kind == MailKind::kUnreadNudge && !staff_) {
      // The confidentiality sentence carries the link, with or without replies.
      if (facts_.accepts_reply) paragraphs.emplace_back(t_.reply_hint);
      paragraphs.push_back(Fill(t_.nudge_confidential, vars) + "\n" + link_);
    } else {
      for (auto& p : CallToAction(without_reply)) paragraphs.push_back(std::move(p));
    }
    return {Subject(subject, vars), Body(std::move(paragraphs), reason)};
  }

  MailText Neutral() const {
    const Vars vars = Common();
    std::vector<std::string> paragraphs;
    if (facts_.accepts_reply) paragraphs.emplace_back(t_.reply_hint);
    paragraphs.push_back(Fill(t_.portal_only, vars) + "\n" + link_);
    return {Subject(t_.subject_portal, vars), Body(std::move(paragraphs), t_.reason_portal)};
  }

  MailText Digest() const {
    std::vector<std::string> entries;
    for (const DigestLine& line : facts_.digest) {
      const int messages = std::max(line.messages, 0);
      const int notes = staff_ ? std::max(line.notes, 0) : 0;  // never a note for a client
      std::vector<std::string> news;
      if (line.new_conversation) news.emplace_back(t_.new_conversation_tag);
      if (messages > 0) news.push_back(Plural(t_.message_one, t_.message_many, messages));
      if (notes > 0) news.push_back(Plural(t_.note_one, t_.note_many, notes));
      if (line.mentioned) news.emplace_back(t_.mentioned);
      if (news.empty()) continue;  // nothing this recipient may be told of
      std::string joined;
      for (const auto& item : news) joined += (joined.empty() ? "" : ", ") + item;
      const std::string dossier = Name(line.dossier_name);
      const Vars vars = {{"dossier", dossier},
                         {"subject", Cut(CleanLine(line.conversation_subject), kMaxBodySubjectChars)},
                         {"news", joined}};
      std::string entry = "- " + Fill(dossier.empty() ? t_.digest_line_no_dossier : t_.digest_line, vars);
      const std::string link = CleanLine(line.link);
      if (!link.empty()) entry += "\n  " + link;
      entries.push_back(std::move(entry));
    }
    const int count = static_cast<int>(entries.size());
    std::vector<std::string> paragraphs;
    if (facts_.accepts_reply) paragraphs.emplace_back(t_.reply_hint);
    paragraphs.emplace_back(facts_.hourly ? t_.digest_hourly : t_.digest_daily);
    if (entries.empty()) paragraphs.emplace_back(t_.digest_empty);
    for (auto& e : entries) paragraphs.push_back(std::move(e));
    paragraphs.push_back(Fill(t_.digest_all, {{"where", where_}}) + "\n" + link_);
    const Vars subject_vars = {{"conversations", Plural(t_.conversation_one, t_.conversation_many, count)}};
    return {Subject(facts_.hourly ? t_.subject_digest_hourly : t_.subject_digest_daily, subject_vars),
            Body(std::move(paragraphs), facts_.hourly ? t_.reason_digest_hourly : t_.reason_digest_daily)};
  }

  const MailFacts& facts_;
  const Texts& t_;
  const bool staff_;
  const std::string sender_, recipient_, firm_, dossier_, subject_, link_, excerpt_;
  std::string where_;
};

}  // namespace

MailText RenderMail(const MailFacts& facts) {
  return Renderer(facts).Render();
}

}  // namespace parley::domain
