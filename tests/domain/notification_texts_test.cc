// Notification texts: every kind in every language, what a client must
// never see, the reply marker, plurals in digests, and subjects that stay
// one bounded line of valid UTF-8.
#include "domain/notification_texts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::domain {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::vector<MailKind> kAllKinds = {
    MailKind::kNewConversation, MailKind::kNewMessage, MailKind::kMention, MailKind::kNote,
    MailKind::kUnreadNudge,     MailKind::kReminder,   MailKind::kDigest};
const std::vector<std::string> kLanguages = {"fr", "nl", "en", "de"};

constexpr Micros kSecond = 1'000'000;
constexpr Micros kPostedAt = 1'772'719'650 * kSecond;  // 2026-03-05 14:07:30 UTC

// Written apart from the code under test: a strict UTF-8 check (no
// overlong forms, surrogates or values past U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((b(i + k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::size_t Chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> Lines(const std::string& body) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    lines.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

int MarkerLines(const std::string& body) {
  int n = 0;
  for (const auto& line : Lines(body)) n += line.starts_with(kReplyMarkerPrefix);
  return n;
}

// Words of each language's footer, reply hint and internal-note sentence,
// as a reader would look for them.
struct Words {
  std::string settings, reply, internal, reminder_of, note_reply;
};
Words WordsFor(const std::string& language) {
  if (language == "nl")
    return {"gespreksinstellingen", "Antwoord gewoon op deze e-mail", "de klant kan ze niet zien", "1 van 2",
            "als u op deze e-mail antwoordt"};
  if (language == "en")
    return {"conversation settings", "Simply reply to this e-mail", "the client cannot see it", "1 of 2",
            "if you reply to this e-mail"};
  if (language == "de")
    return {"Unterhaltungseinstellungen", "Antworten Sie einfach auf diese E-Mail",
            "Der Mandant kann sie nicht sehen", "1 von 2", "Wenn Sie auf diese E-Mail antworten"};
  return {"paramètres de conversation", "Répondez simplement à cet e-mail", "pas visible par le client",
          "1 sur 2", "si vous répondez à cet e-mail"};
}

MailFacts Facts(MailKind kind, const std::string& language, bool staff) {
  MailFacts f;
  f.kind = kind;
  f.language = language;
  f.recipient_is_staff = staff;
  f.recipient_name = staff ? "Claire Lambert" : "Jean Dupuis";
  f.sender_name = staff ? "Jean Dupuis" : "Claire Lambert";
  f.firm_name = "Fiduciaire Lambert & Associés";
  f.dossier_name = "Boulangerie Dupuis SRL";
  f.conversation_subject = "Justificatifs TVA T3";
  f.excerpt = "Pourriez-vous déposer les factures d'achat de septembre ?\nMerci d'avance.";
  f.link = "https://portail.example.be/conversations/c-42";
  f.posted_at = kPostedAt;
  f.reminder_number = 1;
  f.reminder_count = 2;
  if (kind == MailKind::kDigest) {
    f.link = "https://portail.example.be/";
    f.digest = {{"Boulangerie Dupuis SRL", "Justificatifs TVA T3",
                 "https://portail.example.be/conversations/c-42", 3, staff ? 1 : 0, true, false},
                {"Garage Peeters SRL", "Clôture annuelle", "https://portail.example.be/conversations/c-43", 1,
                 0, false, true}};
  }
  return f;
}

TEST(NotificationTextsTest, KindNamesRoundTrip) {
  const std::vector<std::string> names = {"new_conversation", "new_message", "mention", "note",
                                          "unread_nudge",     "reminder",    "digest"};
  for (std::size_t i = 0; i < kAllKinds.size(); ++i) {
    EXPECT_EQ(ToString(kAllKinds[i]), names[i]);
    EXPECT_EQ(ParseMailKind(names[i]), kAllKinds[i]);
  }
  EXPECT_EQ(ParseMailKind(""), std::nullopt);
  EXPECT_EQ(ParseMailKind("Digest"), std::nullopt);
  EXPECT_EQ(ParseMailKind("new-message"), std::nullopt);
  EXPECT_EQ(ParseMailKind("note "), std::nullopt);
}

TEST(NotificationTextsTest, EveryKindAndLanguageIsAWholeMail) {
  for (MailKind kind : kAllKinds) {
    for (const auto& language : kLanguages) {
      for (bool staff : {true, false}) {
        SCOPED_TRACE(std::string(ToString(kind)) + " " + language + (staff ? " staff" : " client"));
        const MailFacts facts = Facts(kind, language, staff);
        const MailText mail = RenderMail(facts);
        EXPECT_FALSE(mail.subject.empty());
        EXPECT_EQ(mail.subject.find_first_of("\r\n"), std::string::npos);
        EXPECT_LE(Chars(mail.subject), kMaxMailSubjectChars);
        EXPECT_TRUE(IsValidUtf8(mail.subject));
        EXPECT_TRUE(IsValidUtf8(mail.body));
        EXPECT_EQ(mail.body.find('\r'), std::string::npos);
        EXPECT_EQ(mail.body.find("\n\n\n"), std::string::npos) << mail.body;
        EXPECT_EQ(mail.body.back(), '\n');
        EXPECT_THAT(mail.body, HasSubstr(facts.link));
        EXPECT_THAT(mail.body + mail.subject, Not(HasSubstr("{"))) << "a placeholder was left";
        if (kind == MailKind::kDigest) {
          EXPECT_THAT(mail.body, HasSubstr("Garage Peeters SRL"));
          EXPECT_THAT(mail.body, HasSubstr("https://portail.example.be/conversations/c-43"));
        } else {
          EXPECT_THAT(mail.body, HasSubstr(facts.dossier_name));
        }
        // The footer: a signature delimiter, then where to change the frequency.
        const std::size_t footer = mail.body.rfind("\n-- \n");
        ASSERT_NE(footer, std::string::npos) << mail.body;
        EXPECT_THAT(mail.body.substr(footer), HasSubstr(WordsFor(language).settings));
        // Clients hear from their firm, by name.
        if (!staff) {
          EXPECT_THAT(mail.body, HasSubstr(facts.firm_name));
        }
      }
    }
  }
}

TEST(NotificationTextsTest, MessageKindsQuoteTheExcerptAsAParagraph) {
  for (MailKind kind :
       {MailKind::kNewConversation, MailKind::kNewMessage, MailKind::kMention, MailKind::kReminder}) {
    for (const auto& language : kLanguages) {
      SCOPED_TRACE(std::string(ToString(kind)) + " " + language);
      const MailFacts facts = Facts(kind, language, false);
      const MailText mail = RenderMail(facts);
      EXPECT_THAT(mail.body, HasSubstr("\n\n" + facts.excerpt + "\n\n"));
      if (kind != MailKind::kReminder) {
        EXPECT_THAT(mail.subject, HasSubstr(facts.sender_name));
      }
      EXPECT_THAT(mail.subject, HasSubstr(facts.conversation_subject));
    }
  }
}

TEST(NotificationTextsTest, ClientMessageMailInFrench) {
  const MailText mail = RenderMail(Facts(MailKind::kNewMessage, "fr", false));
  EXPECT_EQ(mail.subject,
            "Nouveau message de Claire Lambert dans « Justificatifs TVA T3 » (Boulangerie Dupuis SRL)");
  EXPECT_THAT(mail.body, StartsWith("##- Répondez au-dessus de cette ligne -##\n\nBonjour Jean Dupuis,\n\n"));
  EXPECT_THAT(mail.body, HasSubstr("dans votre espace sécurisé chez Fiduciaire Lambert & Associés :\n"
                                   "https://portail.example.be/conversations/c-42\n"));
  EXPECT_THAT(mail.body, HasSubstr("Cordialement,\nFiduciaire Lambert & Associés\n"));
}

TEST(NotificationTextsTest, ReplyMarkerIsFirstOnlyWhenRepliesAreTaken) {
  for (MailKind kind : kAllKinds) {
    for (const auto& language : kLanguages) {
      for (bool staff : {true, false}) {
        SCOPED_TRACE(std::string(ToString(kind)) + " " + language + (staff ? " staff" : " client"));
        MailFacts facts = Facts(kind, language, staff);
        facts.accepts_reply = true;
        const MailText with = RenderMail(facts);
        ASSERT_THAT(with.body, StartsWith(kReplyMarkerPrefix));
        const auto lines = Lines(with.body);
        ASSERT_GE(lines.size(), 3u);
        EXPECT_TRUE(lines[0].ends_with("-##")) << lines[0];
        EXPECT_EQ(lines[1], "");
        EXPECT_EQ(MarkerLines(with.body), 1);
        // Replying to a note posts a public message: a staff reader is warned.
        const bool note = kind == MailKind::kNote && staff;
        const std::string reply_words = note ? WordsFor(language).note_reply : WordsFor(language).reply;
        EXPECT_THAT(with.body, HasSubstr(reply_words));

        facts.accepts_reply = false;
        const MailText without = RenderMail(facts);
        EXPECT_EQ(MarkerLines(without.body), 0) << without.body;
        EXPECT_THAT(without.body, Not(HasSubstr(reply_words)));
        EXPECT_THAT(without.body, HasSubstr(facts.link));
      }
    }
  }
}

TEST(NotificationTextsTest, ReplyMarkerIsInTheMailsLanguage) {
  EXPECT_THAT(RenderMail(Facts(MailKind::kNewMessage, "fr", true)).body,
              StartsWith("##- Répondez au-dessus"));
  EXPECT_THAT(RenderMail(Facts(MailKind::kNewMessage, "nl", true)).body, StartsWith("##- Antwoord boven"));
  EXPECT_THAT(RenderMail(Facts(MailKind::kNewMessage, "en", true)).body, StartsWith("##- Reply above"));
  EXPECT_THAT(RenderMail(Facts(MailKind::kNewMessage, "de", true)).body, StartsWith("##- Bitte oberhalb"));
}

TEST(NotificationTextsTest, AnExcerptLineLikeTheMarkerIsIndented) {
  MailFacts facts = Facts(MailKind::kNewMessage, "en", true);
  facts.excerpt = "First line\n##- not a marker -##\nLast line";
  facts.accepts_reply = false;
  const MailText mail = RenderMail(facts);
  EXPECT_EQ(MarkerLines(mail.body), 0);
  EXPECT_THAT(mail.body, HasSubstr("First line\n ##- not a marker -##\nLast line"));
}

TEST(NotificationTextsTest, ClientNudgeNeverQuotesTheMessage) {
  for (const auto& language : kLanguages) {
    SCOPED_TRACE(language);
    MailFacts facts = Facts(MailKind::kUnreadNudge, language, false);
    const MailText client = RenderMail(facts);
    EXPECT_THAT(client.body, Not(HasSubstr("factures d'achat")));
    EXPECT_THAT(client.subject, Not(HasSubstr("factures d'achat")));
    EXPECT_THAT(client.body, HasSubstr(facts.link));
    facts.accepts_reply = false;
    EXPECT_THAT(RenderMail(facts).body, Not(HasSubstr("factures d'achat")));

    // Staff may read it in the mail.
    EXPECT_THAT(RenderMail(Facts(MailKind::kUnreadNudge, language, true)).body,
                HasSubstr("factures d'achat"));
  }
}

TEST(NotificationTextsTest, NudgeSaysSinceWhenInUtc) {
  for (const auto& language : {"fr", "nl", "de"}) {
    EXPECT_THAT(RenderMail(Facts(MailKind::kUnreadNudge, language, false)).body,
                HasSubstr("05/03/2026 14:07 UTC"))
        << language;
  }
  EXPECT_THAT(RenderMail(Facts(MailKind::kUnreadNudge, "en", false)).body, HasSubstr("2026-03-05 14:07 UTC"));

  MailFacts leap = Facts(MailKind::kUnreadNudge, "fr", true);
  leap.posted_at = 1'709'251'199 * kSecond + 999'999;  // 2024-02-29 23:59:59.999999
  EXPECT_THAT(RenderMail(leap).body, HasSubstr("29/02/2024 23:59 UTC"));
  leap.posted_at = -60 * kSecond - 1;  // just before 1969-12-31 23:59
  EXPECT_THAT(RenderMail(leap).body, HasSubstr("31/12/1969 23:58 UTC"));
}

TEST(NotificationTextsTest, AClientNeverLearnsOfANote) {
  for (const auto& language : kLanguages) {
    for (bool reply : {true, false}) {
      SCOPED_TRACE(language);
      MailFacts facts = Facts(MailKind::kNote, language, false);
      facts.excerpt = "Client difficile, vérifier le compte courant avant de répondre.";
      facts.accepts_reply = reply;
      const MailText mail = RenderMail(facts);
      for (const std::string& text : {mail.subject, mail.body}) {
        EXPECT_THAT(text, Not(HasSubstr("compte courant")));
        EXPECT_THAT(text, Not(HasSubstr(facts.sender_name)));
        EXPECT_THAT(text, Not(HasSubstr(facts.conversation_subject)));
        EXPECT_THAT(text, AllOf(Not(HasSubstr("ote")), Not(HasSubstr("otiz")), Not(HasSubstr("otitie"))));
      }
      EXPECT_THAT(mail.body, HasSubstr(facts.link));
    }
  }
}

TEST(NotificationTextsTest, StaffNoteSaysItIsInternal) {
  for (const auto& language : kLanguages) {
    SCOPED_TRACE(language);
    const MailFacts facts = Facts(MailKind::kNote, language, true);
    const MailText mail = RenderMail(facts);
    EXPECT_THAT(mail.body, HasSubstr(WordsFor(language).internal));
    EXPECT_THAT(mail.body, HasSubstr(facts.excerpt));
    EXPECT_THAT(mail.subject, HasSubstr(facts.sender_name));
  }
}

TEST(NotificationTextsTest, DigestCountsWithSingularAndPlural) {
  struct Case {
    std::string language, one_message, three_messages, one_note, three_notes, two_conversations,
        one_conversation;
  };
  const std::vector<Case> cases = {
      {"fr", "1 nouveau message", "3 nouveaux messages", "1 note privée", "3 notes privées",
       "2 conversations", "1 conversation"},
      {"nl", "1 nieuw bericht", "3 nieuwe berichten", "1 interne notitie", "3 interne notities",
       "2 gesprekken", "1 gesprek"},
      {"en", "1 new message", "3 new messages", "1 private note", "3 private notes", "2 conversations",
       "1 conversation"},
      {"de", "1 neue Nachricht", "3 neue Nachrichten", "1 interne Notiz", "3 interne Notizen",
       "2 Unterhaltungen", "1 Unterhaltung"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.language);
    MailFacts facts = Facts(MailKind::kDigest, c.language, true);
    facts.digest = {{"Alpha SRL", "TVA", "https://p.example.be/c/1", 1, 3, false, false},
                    {"Beta SA", "Clôture", "https://p.example.be/c/2", 3, 1, false, false}};
    const MailText mail = RenderMail(facts);
    std::string alpha, beta;
    for (const auto& line : Lines(mail.body)) {
      if (line.find("Alpha SRL") != std::string::npos) alpha = line;
      if (line.find("Beta SA") != std::string::npos) beta = line;
    }
    EXPECT_THAT(
        alpha, AllOf(HasSubstr("Alpha SRL — TVA"), HasSubstr(c.one_message + ","), HasSubstr(c.three_notes)));
    EXPECT_THAT(beta, AllOf(HasSubstr(c.three_messages), HasSubstr(c.one_note)));
    // The plural form with a count of 1 must not appear anywhere.
    std::string wrong_messages = c.three_messages, wrong_notes = c.three_notes;
    wrong_messages[0] = wrong_notes[0] = '1';
    EXPECT_THAT(mail.body, AllOf(Not(HasSubstr(wrong_messages)), Not(HasSubstr(wrong_notes))));
    EXPECT_THAT(mail.subject, HasSubstr(c.two_conversations));

    facts.digest.resize(1);
    EXPECT_THAT(RenderMail(facts).subject,
                AllOf(HasSubstr(c.one_conversation), Not(HasSubstr(c.two_conversations))));
  }
}

TEST(NotificationTextsTest, FrenchTakesTheSingularForZero) {
  MailFacts facts = Facts(MailKind::kDigest, "fr", true);
  facts.digest.clear();
  EXPECT_THAT(RenderMail(facts).subject, HasSubstr("0 conversation"));
  EXPECT_THAT(RenderMail(facts).subject, Not(HasSubstr("0 conversations")));
  facts.language = "en";
  EXPECT_THAT(RenderMail(facts).subject, HasSubstr("0 conversations"));
}

TEST(NotificationTextsTest, ClientDigestNeverCountsNotes) {
  for (const auto& language : kLanguages) {
    SCOPED_TRACE(language);
    MailFacts facts = Facts(MailKind::kDigest, language, false);
    facts.digest = {{"Alpha SRL", "TVA", "https://p.example.be/c/1", 2, 5, false, false},
                    {"Gamma SPRL", "Notes only", "https://p.example.be/c/3", 0, 4, false, false}};
    const MailText mail = RenderMail(facts);
    EXPECT_THAT(mail.body, HasSubstr("Alpha SRL"));
    EXPECT_THAT(mail.body, Not(HasSubstr("Gamma SPRL")));
    EXPECT_THAT(mail.body, Not(HasSubstr("https://p.example.be/c/3")));
    for (const auto& line : Lines(mail.body)) {
      if (line.find("Alpha SRL") != std::string::npos) {
        EXPECT_THAT(line, Not(HasSubstr("5"))) << line;
      }
    }
    EXPECT_THAT(mail.body + mail.subject,
                AllOf(Not(HasSubstr("ote")), Not(HasSubstr("otiz")), Not(HasSubstr("otitie"))));
    EXPECT_THAT(mail.subject, HasSubstr("1 "));
  }
}

TEST(NotificationTextsTest, DigestTellsOfMentionsNewConversationsAndItsPeriod) {
  const MailFacts daily = Facts(MailKind::kDigest, "en", true);
  const MailText mail = RenderMail(daily);
  EXPECT_THAT(mail.body,
              HasSubstr("Boulangerie Dupuis SRL — Justificatifs TVA T3: 3 new messages, 1 private note, "
                        "you were mentioned\n  https://portail.example.be/conversations/c-42\n"));
  EXPECT_THAT(mail.body,
              HasSubstr("Garage Peeters SRL — Clôture annuelle: new conversation, 1 new message\n"));
  EXPECT_THAT(mail.subject, StartsWith("Daily"));
  MailFacts hourly = daily;
  hourly.hourly = true;
  EXPECT_THAT(RenderMail(hourly).subject, StartsWith("Hourly"));
  EXPECT_THAT(RenderMail(hourly).body, HasSubstr("last hour"));
  EXPECT_THAT(mail.body, Not(HasSubstr("last hour")));

  for (const auto& language : kLanguages) {
    MailFacts a = Facts(MailKind::kDigest, language, true), b = a;
    b.hourly = true;
    EXPECT_NE(RenderMail(a).subject, RenderMail(b).subject) << language;
  }
}

TEST(NotificationTextsTest, RemindersSayWhichOneTheyAre) {
  for (const auto& language : kLanguages) {
    SCOPED_TRACE(language);
    MailFacts facts = Facts(MailKind::kReminder, language, false);
    const MailText numbered = RenderMail(facts);
    EXPECT_THAT(numbered.subject, HasSubstr(WordsFor(language).reminder_of));
    EXPECT_THAT(numbered.body, HasSubstr(WordsFor(language).reminder_of));
    facts.reminder_number = 0;
    facts.reminder_count = 0;  // sent by hand
    const MailText by_hand = RenderMail(facts);
    EXPECT_THAT(by_hand.subject + by_hand.body, AllOf(Not(HasSubstr(" 0 ")), Not(HasSubstr("0."))));
    EXPECT_THAT(by_hand.subject, HasSubstr(facts.conversation_subject));
  }
}

TEST(NotificationTextsTest, LongSubjectsAreCutOnACharacterBoundary) {
  std::string long_subject;
  while (Chars(long_subject) < 400) long_subject += "Déclaration TVA – 2ᵉ trimestre € 😀 ";
  std::string long_excerpt;
  while (Chars(long_excerpt) < 5000) long_excerpt += "Reçu n° 1234 — café 😀 ";
  for (MailKind kind : kAllKinds) {
    for (const auto& language : kLanguages) {
      for (bool staff : {true, false}) {
        SCOPED_TRACE(std::string(ToString(kind)) + " " + language);
        MailFacts facts = Facts(kind, language, staff);
        facts.conversation_subject = long_subject;
        facts.excerpt = long_excerpt;
        for (auto& line : facts.digest) line.conversation_subject = long_subject;
        const MailText mail = RenderMail(facts);
        EXPECT_TRUE(IsValidUtf8(mail.subject));
        EXPECT_TRUE(IsValidUtf8(mail.body));
        EXPECT_LE(Chars(mail.subject), kMaxMailSubjectChars);
        EXPECT_GT(Chars(mail.subject), 20u);
        EXPECT_THAT(mail.body, Not(HasSubstr(long_excerpt.substr(0, 3000))));
        if (kind != MailKind::kDigest && (staff || kind != MailKind::kNote)) {
          EXPECT_THAT(mail.subject, AllOf(HasSubstr("Déclaration TVA"), HasSubstr("…")));
        }
      }
    }
  }
  // Cut right on every possible byte of a multi-byte character.
  for (int pad = 0; pad < 8; ++pad) {
    MailFacts facts = Facts(MailKind::kMention, "en", true);
    facts.conversation_subject = std::string(pad, 'x');
    while (Chars(facts.conversation_subject) < 300) facts.conversation_subject += "😀é";
    const MailText mail = RenderMail(facts);
    EXPECT_TRUE(IsValidUtf8(mail.subject)) << pad;
    EXPECT_LE(Chars(mail.subject), kMaxMailSubjectChars);
  }
}

TEST(NotificationTextsTest, LongExcerptIsCutWithAnEllipsis) {
  MailFacts facts = Facts(MailKind::kNewMessage, "fr", true);
  facts.excerpt.clear();
  while (Chars(facts.excerpt) < 3000) facts.excerpt += "é😀a";
  const MailText mail = RenderMail(facts);
  EXPECT_TRUE(IsValidUtf8(mail.body));
  const std::size_t start = mail.body.find("é😀a");
  ASSERT_NE(start, std::string::npos);
  const std::size_t end = mail.body.find("…", start);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(Chars(mail.body.substr(start, end - start)) + 1, kMaxExcerptChars);
}

TEST(NotificationTextsTest, HeaderInjectionAndBadBytesAreCleaned) {
  MailFacts facts = Facts(MailKind::kNewMessage, "en", true);
  facts.sender_name = "Eve\r\nBcc: everyone@example.com";
  facts.conversation_subject = "VAT\n\tQ3 \xC3\x28 \xED\xA0\x80 \xF0\x9F";  // bad UTF-8 and a surrogate
  facts.excerpt = "line one\r\nline two\rline three\x01";
  const MailText mail = RenderMail(facts);
  EXPECT_EQ(mail.subject.find_first_of("\r\n\t"), std::string::npos);
  EXPECT_THAT(mail.subject, HasSubstr("Eve Bcc: everyone@example.com"));
  EXPECT_TRUE(IsValidUtf8(mail.subject));
  EXPECT_TRUE(IsValidUtf8(mail.body));
  EXPECT_THAT(mail.subject, HasSubstr("VAT Q3 \xEF\xBF\xBD("));
  EXPECT_THAT(mail.body, HasSubstr("line one\nline two\nline three\n"));
  EXPECT_EQ(mail.body.find_first_of(std::string("\r\x01", 2)), std::string::npos);
}

TEST(NotificationTextsTest, EmptyExcerptStillSaysThereIsAMessage) {
  for (const auto& language : kLanguages) {
    MailFacts facts = Facts(MailKind::kNewMessage, language, false);
    facts.excerpt.clear();
    const MailText mail = RenderMail(facts);
    EXPECT_THAT(mail.body, AllOf(HasSubstr(facts.sender_name), HasSubstr(facts.link)));
    EXPECT_EQ(mail.body.find("\n\n\n"), std::string::npos) << language;
  }
}

TEST(NotificationTextsTest, UnknownLanguageFallsBackToFrench) {
  for (MailKind kind : kAllKinds) {
    const MailText french = RenderMail(Facts(kind, "fr", false));
    for (const std::string other : {"es", "", "xx-YY", "français"}) {
      const MailText mail = RenderMail(Facts(kind, other, false));
      EXPECT_EQ(mail.subject, french.subject) << other;
      EXPECT_EQ(mail.body, french.body) << other;
    }
  }
  EXPECT_EQ(RenderMail(Facts(MailKind::kMention, "nl-BE", true)).body,
            RenderMail(Facts(MailKind::kMention, "nl", true)).body);
  EXPECT_NE(RenderMail(Facts(MailKind::kMention, "nl", true)).body,
            RenderMail(Facts(MailKind::kMention, "fr", true)).body);
}

TEST(NotificationTextsTest, ClientAndStaffAreAddressedDifferently) {
  for (const auto& language : kLanguages) {
    const MailText staff = RenderMail(Facts(MailKind::kNewMessage, language, true));
    const MailText client = RenderMail(Facts(MailKind::kNewMessage, language, false));
    EXPECT_THAT(client.body, HasSubstr("Fiduciaire Lambert & Associés")) << language;
    EXPECT_THAT(staff.body, Not(HasSubstr("Fiduciaire Lambert & Associés"))) << language;
  }
}

TEST(NotificationTextsTest, WithoutAFirmNameClientsStillGetASignature) {
  MailFacts facts = Facts(MailKind::kReminder, "nl", false);
  facts.firm_name.clear();
  const MailText mail = RenderMail(facts);
  EXPECT_THAT(mail.body, HasSubstr("Met vriendelijke groeten,\nUw boekhoudkantoor"));
  EXPECT_THAT(mail.body, Not(HasSubstr(" bij ")));
}

}  // namespace
}  // namespace parley::domain
