#include "api/inbound_mail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace parley::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Mail servers hand over CRLF line ends; the literals below are written with LF.
std::string Crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

InboundMail ParseOk(std::string_view raw) {
  Result<InboundMail> mail = ParseInboundMail(raw);
  EXPECT_TRUE(mail.ok()) << (mail.ok() ? "" : mail.error().message);
  return mail.ok() ? std::move(mail).value() : InboundMail{};
}

TEST(InboundMailTest, PlainReplyCutsFrenchGmailAttributionWrappedOverTwoLines) {
  const std::string raw = Crlf(
      "Return-Path: <Claire.Dupont@Example.FR>\n"
      "From: Claire Dupont <Claire.Dupont@Example.FR>\n"
      "To: reply+tok123@parley.example\n"
      "Subject: Re: Votre dossier\n"
      "Date: Tue, 3 Dec 2026 10:20:00 +0100\n"
      "Message-ID: <CAF=abc123@mail.gmail.com>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=\"UTF-8\"\n"
      "Content-Transfer-Encoding: 8bit\n"
      "\n"
      "Bonjour,\n"
      "\n"
      "Voici les pièces demandées.\n"
      "\n"
      "Le lun. 2 déc. 2026 à 10:14, Cabinet Martin <contact@cabinet.fr>\n"
      "a écrit :\n"
      "\n"
      "> Merci de nous envoyer les pièces.\n"
      ">\n"
      "> Cabinet Martin\n");
  const InboundMail mail = ParseOk(raw);
  EXPECT_EQ(mail.text, "Bonjour,\n\nVoici les pièces demandées.");
  EXPECT_EQ(mail.from_address, "claire.dupont@example.fr");
  EXPECT_EQ(mail.message_id, "CAF=abc123@mail.gmail.com");
  EXPECT_EQ(mail.subject, "Re: Votre dossier");
  EXPECT_TRUE(mail.attachments.empty());
}

TEST(InboundMailTest, OutlookFrenchReplyCutsAtMessageDorigine) {
  const std::string raw = Crlf(
      "From: \"Jean Moreau\" <jean.moreau@societe.fr>\n"
      "To: <reply+tok@parley.example>\n"
      "Subject: RE: Contrat\n"
      "Content-Type: text/plain; charset=\"iso-8859-1\"\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "Bonjour,\n"
      "Je vous renvoie le contrat sign=E9.\n"
      "Cordialement\n"
      "\n"
      "-----Message d'origine-----\n"
      "De=A0: Cabinet <contact@cabinet.fr>\n"
      "Envoy=E9=A0: lundi 2 d=E9cembre 2026 10:14\n"
      "Objet=A0: Contrat\n"
      "\n"
      "Veuillez signer le contrat.\n");
  const InboundMail mail = ParseOk(raw);
  EXPECT_EQ(mail.text, "Bonjour,\nJe vous renvoie le contrat signé.\nCordialement");
}

TEST(InboundMailTest, OutlookHeaderBlockWithoutSeparatorIsCut) {
  EXPECT_EQ(StripQuotedReply("Thanks, see attached.\n\n"
                             "From: Cabinet <contact@cabinet.fr>\n"
                             "Sent: Monday, December 2, 2026 10:14 AM\n"
                             "To: Jan\n"
                             "Subject: Contract\n\nPlease sign.\n"),
            "Thanks, see attached.");
  // French Outlook puts a (non-breaking) space before the colon; the subject comes within 4 lines.
  EXPECT_EQ(StripQuotedReply("Merci.\n"
                             "*De :* Cabinet <contact@cabinet.fr>\n"
                             "*À :* Jean\n"
                             "*Cc :* Paul\n"
                             "*Objet\xC2\xA0:* Contrat\n"
                             "Texte cité\n"),
            "Merci.");
  // A "From:" line on its own is the user's text, not a header block.
  EXPECT_EQ(StripQuotedReply("From: the tax office, a letter.\nIt says we owe nothing.\n"),
            "From: the tax office, a letter.\nIt says we owe nothing.");
}

TEST(InboundMailTest, DutchAndGermanAttributionsAreCut) {
  EXPECT_EQ(StripQuotedReply("Prima, dank je.\n\n"
                             "Op di 3 dec. 2026 om 09:12 schreef Kantoor Jansen <info@jansen.nl>:\n"
                             "> Kunt u het formulier sturen?\n"),
            "Prima, dank je.");
  EXPECT_EQ(StripQuotedReply("Vielen Dank.\n\n"
                             "Am 03.12.2026 um 09:12 schrieb Kanzlei Müller <info@mueller.de>:\n"
                             "> Bitte senden Sie das Formular.\n"),
            "Vielen Dank.");
  // Wrapped over two lines, as Gmail does with long names.
  EXPECT_EQ(StripQuotedReply("Erledigt.\n"
                             "Am Di., 3. Dez. 2026 um 09:12 Uhr schrieb Kanzlei Müller\n"
                             "<info@mueller.de>:\n"
                             "> Bitte.\n"),
            "Erledigt.");
  EXPECT_EQ(StripQuotedReply("Thanks!\n"
                             "On Mon, Dec 2, 2026 at 10:14 AM Cabinet Martin <\n"
                             "contact@cabinet.fr> wrote:\n"
                             "> Old text\n"),
            "Thanks!");
}

TEST(InboundMailTest, FrenchAttributionVariantsAreCut) {
  // Without the space before the colon, and with a non-breaking space.
  EXPECT_EQ(StripQuotedReply("Oui.\nLe 2 déc. 2026 à 10:14, Cabinet <c@x.fr> a écrit:\nancien\n"), "Oui.");
  EXPECT_EQ(StripQuotedReply("Oui.\nLe 2 déc. 2026 à 10:14, Cabinet <c@x.fr> a\xC2\xA0"
                             "écrit\xC2\xA0:\nancien\n"),
            "Oui.");
  EXPECT_EQ(StripQuotedReply("Oui.\nLe 2 déc. 2026 à 10:14, Cabinet <c@x.fr> a écrit\xE2\x80\xAF:\nancien\n"),
            "Oui.");
}

TEST(InboundMailTest, OrdinarySentencesAreKept) {
  const std::string text =
      "On the other hand, I agree.\n"
      "Le contrat est prêt.\n"
      "Am Ende:\n"
      "- item\n"
      "----\n"
      "Done";
  EXPECT_EQ(StripQuotedReply(text), text);
}

TEST(InboundMailTest, ParleyMarkerCutsEverythingBelow) {
  const InboundMail mail = ParseOk(
      "From: client@example.com\n"
      "To: reply+tok@parley.example\n"
      "Subject: Re: Nouveau message\n"
      "\n"
      "C'est noté, merci.\n"
      "##- Répondez au-dessus de cette ligne -##\n"
      "Cabinet Martin vous a écrit :\n"
      "Votre dossier est prêt.\n");
  EXPECT_EQ(mail.text, "C'est noté, merci.");
}

TEST(InboundMailTest, SignatureSeparatorIsCut) {
  EXPECT_EQ(StripQuotedReply("Bien reçu.\n\n-- \nJean Moreau\nDirecteur\n"), "Bien reçu.");
  EXPECT_EQ(StripQuotedReply("Bien reçu.\r\n--\r\nJean Moreau\r\n"), "Bien reçu.");
  // "---" is not a signature separator.
  EXPECT_EQ(StripQuotedReply("A\n---\nB\n"), "A\n---\nB");
}

TEST(InboundMailTest, MobileFootersAreCut) {
  EXPECT_EQ(StripQuotedReply("Ok pour moi\n\nEnvoyé de mon iPhone\n\n> Le rendez-vous est fixé.\n"),
            "Ok pour moi");
  EXPECT_EQ(StripQuotedReply("Ok\nSent from my iPhone\n"), "Ok");
  EXPECT_EQ(StripQuotedReply("Goed\nVerzonden vanaf mijn iPhone\n"), "Goed");
  EXPECT_EQ(StripQuotedReply("Gut\nVon meinem iPhone gesendet\n"), "Gut");
  EXPECT_EQ(StripQuotedReply("Ok\n\nGet Outlook for iOS\n"), "Ok");
  EXPECT_EQ(StripQuotedReply("Ok\n\nEnvoyé depuis mon smartphone Android\n"), "Ok");
  EXPECT_EQ(StripQuotedReply("Von meinem Konto wurde abgebucht.\n"), "Von meinem Konto wurde abgebucht.");
}

TEST(InboundMailTest, QuotedLinesAreDroppedAndInlineAnswersKept) {
  EXPECT_EQ(StripQuotedReply("\n\n> Question one?\nYes.\n> Question two?\nNo.   \n\n\n"), "Yes.\nNo.");
  EXPECT_EQ(StripQuotedReply(""), "");
  EXPECT_EQ(StripQuotedReply("On 2 Dec 2026, Cabinet wrote:\n> all quoted\n"), "");
}

TEST(InboundMailTest, MultipartAlternativePrefersPlainText) {
  const InboundMail mail =
      ParseOk(Crlf("From: a@example.com\n"
                   "To: reply+tok@parley.example\n"
                   "Subject: Re: x\n"
                   "MIME-Version: 1.0\n"
                   "Content-Type: multipart/alternative; boundary=\"alt-1\"\n"
                   "\n"
                   "--alt-1\n"
                   "Content-Type: text/html; charset=UTF-8\n"
                   "\n"
                   "<div>HTML version</div>\n"
                   "--alt-1\n"
                   "Content-Type: text/plain; charset=UTF-8\n"
                   "\n"
                   "Plain version\n"
                   "--alt-1--\n"));
  EXPECT_EQ(mail.text, "Plain version");
}

TEST(InboundMailTest, HtmlOnlyReplyDropsGmailQuoteAndDecodesEntities) {
  const InboundMail mail = ParseOk(
      Crlf("From: a@example.com\n"
           "To: reply+tok@parley.example\n"
           "Subject: Re: x\n"
           "MIME-Version: 1.0\n"
           "Content-Type: text/html; charset=\"UTF-8\"\n"
           "Content-Transfer-Encoding: quoted-printable\n"
           "\n"
           "<html><head><style>div { color: red; }</style><title>t</title></head><body>\n"
           "<div dir=3D\"ltr\">Bonjour&nbsp;Ma&icirc;tre,<div><br></div>\n"
           "<div>Tom &amp; Jerry &lt;ok&gt; &quot;oui&quot; &#39;non&#39; &#233;t&#xE9; &#8364;</div>\n"
           "<script>alert('x')</script></div><br>\n"
           "<div class=3D\"gmail_quote gmail_quote_container\"><div dir=3D\"ltr\" class=3D\"gmail_attr\">"
           "Le lun. 2 d=C3=A9c. 2026 =C3=A0 10:14, Cabinet &lt;c@x.fr&gt; a =C3=A9crit=C2=A0:<br></div>\n"
           "<blockquote class=3D\"gmail_quote\">Ancien message</blockquote></div>\n"
           "<div>Signature after the quote</div>\n"
           "</body></html>\n"));
  EXPECT_EQ(mail.text, "Bonjour Maître,\n\nTom & Jerry <ok> \"oui\" 'non' été €");
}

TEST(InboundMailTest, HtmlToTextHandlesStructure) {
  EXPECT_EQ(HtmlToText("<p>First paragraph\n  continues here.</p><p>Second</p>"
                       "<ul><li>one</li><li>two</li></ul><h2>Title</h2>after"),
            "First paragraph continues here.\nSecond\n- one\n- two\nTitle\nafter");
  EXPECT_EQ(
      HtmlToText("a<br><br><br><br><br>b<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>"),
      "a\n\nb\nx y\nz");
  EXPECT_EQ(
      HtmlToText("  <!-- comment <b>bold</b> --><!DOCTYPE html>Kept <STYLE>p{}</STYLE>text &unknown; a<b "),
      "Kept text &unknown; a");
  EXPECT_EQ(HtmlToText("1 < 2 &amp;&amp; 3 > 2"), "1 < 2 && 3 > 2");
  EXPECT_EQ(HtmlToText("<ol><li><p>first</p></li><li><div>second</div></li></ol>"), "- first\n- second");
  EXPECT_EQ(HtmlToText("<html><head><meta charset=\"utf-8\"><title>x</title><body>No end of head</body>"),
            "No end of head");
  EXPECT_EQ(HtmlToText("<pre>  indented\n    code</pre>"), "  indented\n    code");
}

TEST(InboundMailTest, HtmlToTextDropsQuotedMail) {
  // Blockquotes go (nested ones too), the text around them stays.
  EXPECT_EQ(HtmlToText("<div>Yes.</div><blockquote type=\"cite\">old<blockquote>older</blockquote>"
                       "still old</blockquote><div>And no.</div>"),
            "Yes.\nAnd no.");
  // Outlook: the header block and everything after it go.
  EXPECT_EQ(HtmlToText("<p>Merci</p><div id=\"appendonsend\"></div><hr>"
                       "<div id=\"divRplyFwdMsg\"><b>De :</b> Cabinet</div><div>Ancien message</div>"),
            "Merci");
  // Thunderbird.
  EXPECT_EQ(HtmlToText("<p>Ok</p><div class=\"moz-cite-prefix\">On 12/2/26 10:14, X wrote:<br></div>"
                       "<p>old</p>"),
            "Ok");
}

TEST(InboundMailTest, QuotedPrintableLatin1BodyIsConvertedToUtf8) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "To: reply+tok@parley.example\n"
      "Subject: Re: x\n"
      "Content-Type: text/plain; charset=ISO-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "D=E9j=E0 r=E9gl=E9, une longue ligne coup=E9e par le codage quoted-printable=\n"
      " qui continue ici. Prix : 10 =80.\n");
  EXPECT_EQ(
      mail.text,
      "Déjà réglé, une longue ligne coupée par le codage quoted-printable qui continue ici. Prix : 10 €.");
}

TEST(InboundMailTest, Base64Utf8BodyIsDecoded) {
  const InboundMail mail =
      ParseOk(Crlf("From: a@example.com\n"
                   "To: reply+tok@parley.example\n"
                   "Subject: Re: x\n"
                   "Content-Type: text/plain; charset=utf-8\n"
                   "Content-Transfer-Encoding: base64\n"
                   "\n"
                   "Qm9uam91ciBNYcOudHJlLA0KVm9pY2kgbWEgcsOpcG9uc2UgOiDDp2EgbWFyY2hlLg0KDQpMZSBt\n"
                   "YXIuIDMgZMOpYy4gMjAyNiDDoCAwOTowMCwgQ2FiaW5ldCA8Y0B4LmZyPiBhIMOpY3JpdCA6DQo+\n"
                   "IEFuY2llbiBtZXNzYWdlDQo=\n"));
  EXPECT_EQ(mail.text, "Bonjour Maître,\nVoici ma réponse : ça marche.");
  EXPECT_THAT(mail.text, Not(HasSubstr("\r")));
}

TEST(InboundMailTest, EncodedSubjectIsDecoded) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "To: reply+tok@parley.example\n"
      "Subject: =?UTF-8?B?UmU6IERvc3NpZXIgbsKwNDIg4oCUIMOpdMOp?=\n"
      "\n"
      "ok\n");
  EXPECT_EQ(mail.subject, "Re: Dossier n°42 — été");
  const InboundMail latin = ParseOk(
      "From: a@example.com\n"
      "Subject: =?iso-8859-1?Q?R=E9ponse_rapide?=\n"
      "\n"
      "ok\n");
  EXPECT_EQ(latin.subject, "Réponse rapide");
}

constexpr std::string_view kPdfBytes(
    "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
constexpr std::string_view kJpegBytes(
    "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9", 22);

TEST(InboundMailTest, MixedWithPdfAndJpegAttachmentsDecodesBytesAndNames) {
  const InboundMail mail =
      ParseOk(Crlf("From: Client <CLIENT@example.com>\n"
                   "To: reply+tok@parley.example\n"
                   "Subject: Re: Factures\n"
                   "MIME-Version: 1.0\n"
                   "Content-Type: multipart/mixed; boundary=\"mixed\"\n"
                   "\n"
                   "This is a multi-part message in MIME format.\n"
                   "--mixed\n"
                   "Content-Type: multipart/alternative; boundary=\"alt\"\n"
                   "\n"
                   "--alt\n"
                   "Content-Type: text/plain; charset=UTF-8\n"
                   "\n"
                   "Voici la facture et la photo.\n"
                   "--alt\n"
                   "Content-Type: text/html; charset=UTF-8\n"
                   "\n"
                   "<p>Voici la facture et la photo.</p>\n"
                   "--alt--\n"
                   "--mixed\n"
                   "Content-Type: application/pdf; name=\"facture.pdf\"\n"
                   "Content-Disposition: attachment;\n"
                   " filename*=UTF-8''facture%20%C3%A9t%C3%A9.pdf\n"
                   "Content-Transfer-Encoding: base64\n"
                   "\n"
                   "JVBERi0xLjQKJeLjz9MKMSAwIG9iaiA8PD4+IGVuZG9iagp0cmFpbGVyIDw8Pj4KJSVFT0YK\n"
                   "--mixed\n"
                   "Content-Type: image/jpeg; name=\"IMG_0042.JPG\"\n"
                   "Content-Disposition: inline; filename=\"IMG_0042.JPG\"\n"
                   "Content-ID: <img1@example.com>\n"
                   "Content-Transfer-Encoding: base64\n"
                   "\n"
                   "/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==\n"
                   "--mixed--\n"));
  EXPECT_EQ(mail.text, "Voici la facture et la photo.");
  ASSERT_EQ(mail.attachments.size(), 2u);
  EXPECT_EQ(mail.attachments[0].name, "facture été.pdf");
  EXPECT_EQ(mail.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(mail.attachments[0].bytes, kPdfBytes);
  EXPECT_EQ(mail.attachments[1].name, "IMG_0042.JPG");
  EXPECT_EQ(mail.attachments[1].content_type, "image/jpeg");
  EXPECT_EQ(mail.attachments[1].bytes, kJpegBytes);
  EXPECT_EQ(mail.from_address, "client@example.com");
}

TEST(InboundMailTest, AttachmentNamesLoseTheirPathAndGetDefaults) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "To: reply+tok@parley.example\n"
      "Subject: scans\n"
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "--b\n"
      "Content-Type: application/pdf; name=\"C:\\\\Users\\\\jean\\\\scan 1.pdf\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "JVBERi0xLjQgb25seQ==\n"
      "--b\n"
      "Content-Type: application/pdf\n"
      "Content-Disposition: attachment\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "JVBERi0xLjQgb25seQ==\n"
      "--b\n"
      "Content-Type: application/x-unknown\n"
      "Content-Disposition: attachment; filename=\"../../etc/passwd\"\n"
      "\n"
      "data\n"
      "--b\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Disposition: attachment\n"
      "\n"
      "notes, not the reply\n"
      "--b\n"
      "Content-Type: application/octet-stream\n"
      "Content-Disposition: attachment\n"
      "\n"
      "xyz\n"
      "--b\n"
      "Content-Type: application/msword; name=\"=?UTF-8?Q?re=C3=A7u.doc?=\"\n"
      "\n"
      "doc\n"
      "--b\n"
      "Content-Type: image/png\n"
      "Content-Disposition: inline\n"
      "\n"
      "no name, inline: not an attachment\n"
      "--b--\n");
  EXPECT_EQ(mail.text, "");
  ASSERT_EQ(mail.attachments.size(), 6u);
  EXPECT_EQ(mail.attachments[0].name, "scan 1.pdf");
  EXPECT_EQ(mail.attachments[0].bytes, "%PDF-1.4 only");
  EXPECT_EQ(mail.attachments[1].name, "attachment-2.pdf");
  EXPECT_EQ(mail.attachments[2].name, "passwd");
  EXPECT_EQ(mail.attachments[3].name, "attachment-4.txt");
  EXPECT_EQ(mail.attachments[3].content_type, "text/plain");
  EXPECT_EQ(mail.attachments[4].name, "attachment-5");
  EXPECT_EQ(mail.attachments[5].name, "reçu.doc");
}

TEST(InboundMailTest, RecipientsComeFromAllHeadersLowerCasedWithoutDuplicates) {
  const InboundMail mail = ParseOk(
      "Delivered-To: Reply+Tok@Parley.Example\n"
      "X-Original-To: reply+tok@parley.example\n"
      "Envelope-To: other@parley.example, Second@Parley.Example\n"
      "From: Sender <Sender@Example.com>\n"
      "To: \"Cabinet Martin\" <Reply+Tok@PARLEY.example>, Paul <PAUL@example.com>\n"
      "Cc: Team: Anna <anna@Example.com>, paul@example.com;, zoe@example.com\n"
      "Delivered-To: bounce@parley.example\n"
      "Message-ID:   <20261203.Abc.1@mx.example.com>  \n"
      "Subject: Re: x\n"
      "\n"
      "ok\n");
  EXPECT_THAT(mail.recipients, ElementsAre("reply+tok@parley.example", "paul@example.com", "anna@example.com",
                                           "zoe@example.com", "bounce@parley.example", "other@parley.example",
                                           "second@parley.example"));
  EXPECT_EQ(mail.message_id, "20261203.Abc.1@mx.example.com");
  EXPECT_EQ(mail.from_address, "sender@example.com");
}

TEST(InboundMailTest, MissingMessageIdIsEmpty) {
  const InboundMail mail = ParseOk("From: a@example.com\nSubject: x\n\nok\n");
  EXPECT_EQ(mail.message_id, "");
  EXPECT_TRUE(mail.recipients.empty());
  EXPECT_EQ(mail.text, "ok");
}

TEST(InboundMailTest, GarbageBytesAreInvalidArgument) {
  std::string garbage;
  std::mt19937 random(42);
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>(random() % 256);
  for (const std::string& raw : {garbage, std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16),
                                 std::string("just some words without any header\nand more\n")}) {
    const Result<InboundMail> mail = ParseInboundMail(raw);
    ASSERT_FALSE(mail.ok());
    EXPECT_EQ(mail.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(mail.error().message, HasSubstr("not an e-mail"));
  }
}

TEST(InboundMailTest, EmptyInputIsInvalidArgument) {
  for (std::string_view raw : {std::string_view(""), std::string_view(" \r\n\r\n")}) {
    const Result<InboundMail> mail = ParseInboundMail(raw);
    ASSERT_FALSE(mail.ok());
    EXPECT_EQ(mail.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(mail.error().message, HasSubstr("empty"));
  }
}

TEST(InboundMailTest, MailWithoutBodyIsInvalidArgument) {
  const Result<InboundMail> mail = ParseInboundMail("From: a@example.com\r\nSubject: nothing\r\n\r\n");
  ASSERT_FALSE(mail.ok());
  EXPECT_EQ(mail.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(mail.error().message, HasSubstr("nothing to post"));
  // Headers only, no blank line either.
  EXPECT_FALSE(ParseInboundMail("From: a@example.com\r\nSubject: nothing").ok());
}

TEST(InboundMailTest, AttachmentOnlyMailHasEmptyText) {
  const InboundMail mail =
      ParseOk(Crlf("From: scanner@example.com\n"
                   "To: reply+tok@parley.example\n"
                   "Subject: Scan\n"
                   "Content-Type: multipart/mixed; boundary=\"x\"\n"
                   "\n"
                   "--x\n"
                   "Content-Type: application/pdf; name=scan.pdf\n"
                   "Content-Transfer-Encoding: base64\n"
                   "\n"
                   "JVBERi0xLjQgb25seQ==\n"
                   "--x--\n"));
  EXPECT_EQ(mail.text, "");
  ASSERT_EQ(mail.attachments.size(), 1u);
  EXPECT_EQ(mail.attachments[0].name, "scan.pdf");
  EXPECT_EQ(mail.attachments[0].bytes, "%PDF-1.4 only");

  // The whole body is one unnamed PDF.
  const InboundMail bare = ParseOk(
      "From: scanner@example.com\n"
      "Subject: Scan\n"
      "Content-Type: application/pdf\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "JVBERi0xLjQgb25seQ==\n");
  EXPECT_EQ(bare.text, "");
  ASSERT_EQ(bare.attachments.size(), 1u);
  EXPECT_EQ(bare.attachments[0].name, "attachment-1.pdf");
  EXPECT_EQ(bare.attachments[0].bytes, "%PDF-1.4 only");
}

TEST(InboundMailTest, ParsesFromManyThreadsAtOnce) {
  const std::string raw = Crlf(
      "From: A <A@example.com>\n"
      "Subject: =?UTF-8?B?w6l0w6k=?=\n"
      "Content-Type: text/plain; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "=E9t=E9\n"
      "> old\n");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const Result<InboundMail> mail = ParseInboundMail(raw);
        if (mail.ok() && mail->text == "été" && mail->subject == "été" &&
            mail->from_address == "a@example.com") {
          ++good;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 200);
}

TEST(InboundMailTest, UnknownCharsetIsReadAsUtf8WithReplacement) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "Subject: x\n"
      "Content-Type: text/plain; charset=x-no-such-charset\n"
      "Content-Transfer-Encoding: 8bit\n"
      "\n"
      "caf\xC3\xA9 ok, \xFF\xFE bad\n");
  EXPECT_EQ(mail.text, "café ok, \xEF\xBF\xBD\xEF\xBF\xBD bad");
  // Bytes invalid in a known charset do not stop the conversion either.
  const InboundMail shift_jis = ParseOk(
      "From: a@example.com\n"
      "Subject: x\n"
      "Content-Type: text/plain; charset=shift_jis\n"
      "\n"
      "ok \x82\xA0 \x82 end\n");
  EXPECT_THAT(shift_jis.text, HasSubstr("ok \xE3\x81\x82"));
  EXPECT_THAT(shift_jis.text, HasSubstr("end"));
}

TEST(InboundMailTest, BrokenBase64DoesNotCrash) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "Subject: x\n"
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "--b\n"
      "Content-Type: text/plain\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "T2s=!!!@@@***\n"
      "--b\n"
      "Content-Type: application/pdf; name=a.pdf\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "JVBER%%%i0x\n"
      "--b\n");  // no closing boundary either
  EXPECT_THAT(mail.text, HasSubstr("Ok"));
  ASSERT_EQ(mail.attachments.size(), 1u);
  EXPECT_THAT(mail.attachments[0].bytes, HasSubstr("%PDF-1"));
}

TEST(InboundMailTest, TenMegabyteAttachmentIsDecoded) {
  std::string raw =
      "From: a@example.com\r\n"
      "Subject: big\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n"
      "\r\n"
      "--b\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "See the film.\r\n"
      "--b\r\n"
      "Content-Type: video/mp4; name=film.mp4\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n";
  // "AAAA" is three zero bytes; 76 characters a line.
  constexpr size_t kLines = 10 * 1024 * 1024 / 57 + 1;
  const std::string line = std::string(76, 'A') + "\r\n";
  raw.reserve(raw.size() + kLines * line.size() + 16);
  for (size_t i = 0; i < kLines; ++i) raw += line;
  raw += "--b--\r\n";
  const InboundMail mail = ParseOk(raw);
  EXPECT_EQ(mail.text, "See the film.");
  ASSERT_EQ(mail.attachments.size(), 1u);
  EXPECT_EQ(mail.attachments[0].bytes.size(), kLines * 57);
  EXPECT_EQ(mail.attachments[0].bytes.find_first_not_of('\0'), std::string::npos);
}

TEST(InboundMailTest, FormatFlowedIsJoinedBeforeCutting) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "Subject: x\n"
      "Content-Type: text/plain; charset=utf-8; format=flowed\n"
      "\n"
      "This answer is long enough that the client wrapped it \n"
      "over two lines.\n"
      "\n"
      "On 02/12/2026 10:14, Cabinet Martin \n"
      "wrote:\n"
      "> old \n"
      "> text\n");
  EXPECT_EQ(mail.text, "This answer is long enough that the client wrapped it over two lines.");
}

TEST(InboundMailTest, MboxFromLineIsSkipped) {
  const InboundMail mail = ParseOk(
      "From a@example.com Tue Dec  3 10:20:00 2026\n"
      "From: A <a@example.com>\n"
      "Subject: x\n"
      "\n"
      "ok\n");
  EXPECT_EQ(mail.from_address, "a@example.com");
  EXPECT_EQ(mail.text, "ok");
}

TEST(InboundMailTest, SignedMailKeepsTextAndDropsTheSignaturePart) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "Subject: x\n"
      "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; "
      "boundary=s\n"
      "\n"
      "--s\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "\n"
      "Signed text\n"
      "--s\n"
      "Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
      "\n"
      "-----BEGIN PGP SIGNATURE-----\n"
      "-----END PGP SIGNATURE-----\n"
      "--s--\n");
  EXPECT_EQ(mail.text, "Signed text");
  EXPECT_TRUE(mail.attachments.empty());
}

TEST(InboundMailTest, AttachedMessageIsKeptWhole) {
  const InboundMail mail = ParseOk(
      "From: a@example.com\n"
      "Subject: Fwd\n"
      "Content-Type: multipart/mixed; boundary=m\n"
      "\n"
      "--m\n"
      "Content-Type: text/plain\n"
      "\n"
      "See the forwarded mail.\n"
      "--m\n"
      "Content-Type: message/rfc822\n"
      "Content-Disposition: attachment\n"
      "\n"
      "From: bank@example.com\n"
      "Subject: Statement\n"
      "\n"
      "Balance: 0\n"
      "--m--\n");
  EXPECT_EQ(mail.text, "See the forwarded mail.");
  ASSERT_EQ(mail.attachments.size(), 1u);
  EXPECT_EQ(mail.attachments[0].name, "attachment-1.eml");
  EXPECT_EQ(mail.attachments[0].content_type, "message/rfc822");
  EXPECT_THAT(mail.attachments[0].bytes, HasSubstr("Subject: Statement"));
  EXPECT_THAT(mail.attachments[0].bytes, HasSubstr("Balance: 0"));
}

// Truncations and byte flips of a real message must never crash, and a
// failure is always InvalidArgument.
TEST(InboundMailTest, MangledMessagesNeverCrash) {
  const std::string base = Crlf(
      "From: Client <client@example.com>\n"
      "To: reply+tok@parley.example\n"
      "Subject: =?UTF-8?B?w6l0w6k=?=\n"
      "Content-Type: multipart/mixed; boundary=\"mixed\"\n"
      "\n"
      "--mixed\n"
      "Content-Type: text/html; charset=UTF-8\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "<div>Bonjour &eacute;<blockquote>x</blockquote></div>=C3=A9=\n"
      "--mixed\n"
      "Content-Type: application/pdf; name=\"facture.pdf\"\n"
      "Content-Disposition: attachment; filename*=UTF-8''facture%20%C3%A9t%C3%A9.pdf\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "JVBERi0xLjQKJeLjz9MKMSAwIG9iaiA8PD4+IGVuZG9iagp0cmFpbGVyIDw8Pj4KJSVFT0YK\n"
      "--mixed--\n");
  std::mt19937 random(7);
  int ok_count = 0;
  for (int round = 0; round < 300; ++round) {
    std::string raw = base.substr(0, random() % (base.size() + 1));
    for (int flips = random() % 8; flips > 0 && !raw.empty(); --flips) {
      raw[random() % raw.size()] = static_cast<char>(random() % 256);
    }
    const Result<InboundMail> mail = ParseInboundMail(raw);
    if (mail.ok()) {
      ++ok_count;
    } else {
      EXPECT_EQ(mail.error().code, ErrorCode::kInvalidArgument);
    }
    (void)HtmlToText(raw);
    (void)StripQuotedReply(raw);
  }
  EXPECT_GT(ok_count, 0);
}

}  // namespace
}  // namespace parley::api
