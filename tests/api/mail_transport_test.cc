#include "api/mail_transport.h"

#include <arpa/inet.h>
#include <gmime/gmime.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/testing/smtp_server.h"
#include "tests/testing/temp_dir.h"

namespace parley::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr Micros kDate = 1795338843120000;  // 2026-11-22T09:14:03.120Z, a Sunday

OutgoingMail SampleMail() {
  OutgoingMail mail;
  mail.id = "m-0001";
  mail.from = "Cabinet Dupont <no-reply@parley.example>";
  mail.to_name = "Jan Peeters";
  mail.to_address = "jan@client.example";
  mail.reply_to = "reply+tok3n@reply.parley.example";
  mail.subject = "Nouveau message";
  mail.text = "Bonjour,\n\nUn nouveau message vous attend.\n";
  mail.kind = "new_message";
  mail.link = "https://portal.parley.example/conversations/c-42";
  mail.language = "fr";
  mail.date = kDate;
  return mail;
}

// ---- independent decoders, so the tests do not trust the encoder --------

struct Parsed {
  std::vector<std::string> header_lines;       // physical lines, CRLF removed
  std::map<std::string, std::string> headers;  // unfolded values by name
  std::vector<std::string> header_order;
  std::string body;
};

Parsed Split(const std::string& raw) {
  Parsed p;
  const size_t end = raw.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos);
  const std::string head = raw.substr(0, end + 2);
  p.body = raw.substr(end + 4);
  for (size_t pos = 0; pos < head.size();) {
    const size_t eol = head.find("\r\n", pos);
    p.header_lines.push_back(head.substr(pos, eol - pos));
    pos = eol + 2;
  }
  for (const std::string& line : p.header_lines) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      p.headers[p.header_order.back()] += line;  // unfold: drop the CRLF only
    } else {
      const size_t colon = line.find(':');
      const std::string name = line.substr(0, colon);
      p.header_order.push_back(name);
      p.headers[name] = line.substr(colon + 1 + (line.size() > colon + 1 && line[colon + 1] == ' '));
    }
  }
  return p;
}

// One Q-encoded word's text (RFC 2047 4.2): "_" is a space, =XX a byte.
std::string DecodeQ(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '_') {
      out += ' ';
    } else if (in[i] == '=' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// An unstructured header value: Q-encoded words (whitespace between two of
// them ignored, RFC 2047 6.2) and plain text.
std::string DecodeHeaderText(const std::string& value) {
  std::string out, pending_space;
  bool after_word = false;
  size_t pos = 0;
  while (pos < value.size()) {
    if (value[pos] == ' ' || value[pos] == '\t') {
      pending_space += value[pos++];
      continue;
    }
    const size_t end = std::min(value.find(' ', pos), value.size());
    const std::string token = value.substr(pos, end - pos);
    const bool word = token.rfind("=?utf-8?Q?", 0) == 0 && token.size() > 12 &&
                      token.compare(token.size() - 2, 2, "?=") == 0;
    if (!(word && after_word)) out += pending_space;
    pending_space.clear();
    out += word ? DecodeQ(token.substr(10, token.size() - 12)) : token;
    after_word = word;
    pos = end;
  }
  return out + pending_space;
}

// No character cut short at either end.
bool IsCompleteUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Quoted-printable to text with LF line endings.
std::string DecodeQuotedPrintable(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '=' && body.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (body[i] == '=') {
      out += static_cast<char>(std::stoi(body.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (body.compare(i, 2, "\r\n") == 0) {
      out += '\n';
      ++i;
    } else {
      out += body[i];
    }
  }
  return out;
}

void ExpectCrlfOnly(const std::string& raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') {
      ASSERT_TRUE(i > 0 && raw[i - 1] == '\r') << "bare LF at " << i;
    }
    if (raw[i] == '\r') {
      ASSERT_TRUE(i + 1 < raw.size() && raw[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  EXPECT_EQ(raw.substr(raw.size() - 2), "\r\n");
}

void ExpectSevenBitAndShortLines(const Parsed& p) {
  for (const std::string& line : p.header_lines) {
    EXPECT_LE(line.size(), 78u) << line;
    for (char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << line;
  }
  for (size_t pos = 0; pos < p.body.size();) {
    const size_t eol = p.body.find("\r\n", pos);
    const std::string line = p.body.substr(pos, eol - pos);
    EXPECT_LE(line.size(), 76u) << line;
    if (!line.empty()) {
      EXPECT_NE(line.back(), ' ') << "trailing space in " << line;
    }
    for (char c : line) EXPECT_TRUE(c == '\t' || (c >= 0x20 && c < 0x7f)) << line;
    pos = eol + 2;
  }
}

// GMime (a real mail library) reading what we render.
struct GMimeView {
  std::string subject, message_id, to_name, to_address, from_name, body;
};

GMimeView ParseWithGMime(const std::string& raw) {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
  GMimeView view;
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
  if (message != nullptr) {
    if (const char* s = g_mime_message_get_subject(message)) view.subject = s;
    if (const char* s = g_mime_message_get_message_id(message)) view.message_id = s;
    auto mailbox = [](InternetAddressList* list, std::string& name, std::string* address) {
      if (list == nullptr || internet_address_list_length(list) < 1) return;
      InternetAddress* a = internet_address_list_get_address(list, 0);
      if (const char* n = internet_address_get_name(a)) name = n;
      if (address != nullptr && INTERNET_ADDRESS_IS_MAILBOX(a)) {
        *address = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      }
    };
    mailbox(g_mime_message_get_to(message), view.to_name, &view.to_address);
    mailbox(g_mime_message_get_from(message), view.from_name, nullptr);
    GMimeObject* part = g_mime_message_get_body(message);
    if (part != nullptr && GMIME_IS_PART(part)) {
      GMimeStream* out = g_mime_stream_mem_new();
      g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), out);
      GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
      view.body.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
      g_object_unref(out);
    }
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
  return view;
}

std::string Crlf(const std::string& lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const std::string kFrenchGerman =
    "Bonjour Jérôme,\n"
    "\n"
    "Votre comptable a déposé la déclaration TVA du deuxième trimestre ; merci de la vérifier et de "
    "la signer avant le 20 août, sinon des intérêts de retard (≈ 0,8 % par mois) s'appliqueront.\n"
    "Grüße aus München: Die Umsatzsteuervoranmeldung für Oktober ist fällig, bitte prüfen Sie die "
    "Belege über Bewirtungskosten und Fahrtkosten = 1.234,56 € noch einmal sorgfältig.\n"
    "   indented line with trailing spaces   \n"
    ".\n"
    ".a line starting with a dot\n"
    "tab\tseparated\t\n"
    "x=y and =41 are not escapes\n"
    "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé\n"
    "Cordialement,\nCabinet Dupont\n";

// ---------------------------------------------------------------- render --

TEST(RenderRfc5322Test, HeadersInOrderWithCrlfLineEndings) {
  const std::string raw = RenderRfc5322(SampleMail());
  ExpectCrlfOnly(raw);
  const Parsed p = Split(raw);
  EXPECT_THAT(
      p.header_lines,
      ElementsAre("Date: Sun, 22 Nov 2026 09:14:03 +0000",
                  "From: \"Cabinet Dupont\" <no-reply@parley.example>",
                  "To: \"Jan Peeters\" <jan@client.example>", "Reply-To: reply+tok3n@reply.parley.example",
                  "Subject: Nouveau message", "Message-ID: <m-0001@parley.example>", "MIME-Version: 1.0",
                  "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable",
                  "Content-Language: fr", "Auto-Submitted: auto-generated", "X-Parley-Kind: new_message",
                  "X-Parley-Link: https://portal.parley.example/conversations/c-42"));
  EXPECT_EQ(p.body, "Bonjour,\r\n\r\nUn nouveau message vous attend.\r\n");
}

TEST(RenderRfc5322Test, OptionalHeadersLeftOutWhenEmpty) {
  OutgoingMail mail = SampleMail();
  mail.from = "no-reply@parley.example";
  mail.to_name.clear();
  mail.reply_to.clear();
  mail.link.clear();
  mail.language.clear();
  mail.date = -1;  // just before the epoch: the second rounds down
  const Parsed p = Split(RenderRfc5322(mail));
  EXPECT_THAT(p.header_order,
              ElementsAre("Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
                          "Content-Transfer-Encoding", "Auto-Submitted", "X-Parley-Kind"));
  EXPECT_EQ(p.headers.at("Date"), "Wed, 31 Dec 1969 23:59:59 +0000");
  EXPECT_EQ(p.headers.at("From"), "no-reply@parley.example");
  EXPECT_EQ(p.headers.at("To"), "jan@client.example");
}

TEST(RenderRfc5322Test, Utf8SubjectIsEncodedFoldedAndDecodesBack) {
  // The second one is dense in 2- and 3-byte characters, so that a naive
  // byte cut would fall inside one.
  for (const std::string subject :
       {"Réunion trimestrielle : vos pièces comptables pour l'année 2026 — merci d'avance, "
        "Müller & Söhne GmbH, Straße 12, 1000 Bruxelles ✓",
        "Ä€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€ Überweisung ééééééééééééééééééééééé"}) {
    SCOPED_TRACE(subject);
    OutgoingMail mail = SampleMail();
    mail.subject = subject;
    const std::string raw = RenderRfc5322(mail);
    const Parsed p = Split(raw);
    ExpectSevenBitAndShortLines(p);
    const std::string& value = p.headers.at("Subject");
    EXPECT_THAT(value, StartsWith("=?utf-8?Q?"));
    int subject_lines = 0;
    bool in_subject = false;
    for (const std::string& line : p.header_lines) {
      if (line.rfind("Subject:", 0) == 0) {
        in_subject = true;
      } else if (line[0] != ' ') {
        in_subject = false;
      }
      subject_lines += in_subject;
    }
    EXPECT_GT(subject_lines, 1) << "a subject this long must be folded";
    // RFC 2047 5: each encoded-word holds whole characters.
    for (size_t pos = 0; (pos = value.find("=?utf-8?Q?", pos)) != std::string::npos;) {
      const size_t end = value.find("?=", pos + 10);
      const std::string bytes = DecodeQ(value.substr(pos + 10, end - pos - 10));
      EXPECT_TRUE(IsCompleteUtf8(bytes)) << value.substr(pos, end + 2 - pos);
      pos = end;
    }
    EXPECT_EQ(DecodeHeaderText(value), subject);
    EXPECT_EQ(ParseWithGMime(raw).subject, subject);
  }
}

TEST(RenderRfc5322Test, LongAsciiSubjectIsFoldedAtSpacesNotEncoded) {
  OutgoingMail mail = SampleMail();
  mail.subject =
      "Reminder: please upload the bank statements for January, February and March, and sign the "
      "engagement letter for the new financial year before Friday";
  const Parsed p = Split(RenderRfc5322(mail));
  ExpectSevenBitAndShortLines(p);
  EXPECT_THAT(p.headers.at("Subject"), Not(HasSubstr("=?")));
  EXPECT_EQ(p.headers.at("Subject"), mail.subject);  // unfolding gives back the exact text
  EXPECT_GT(p.header_lines.size(), 13u);             // one more line than without folding
}

TEST(RenderRfc5322Test, NonAsciiNamesAreEncodedWords) {
  OutgoingMail mail = SampleMail();
  mail.from = "\"Cabinet Müller\" <no-reply@parley.example>";
  mail.to_name = "Jérôme \"Jé\" Dubois";
  const std::string raw = RenderRfc5322(mail);
  const Parsed p = Split(raw);
  ExpectSevenBitAndShortLines(p);
  EXPECT_THAT(p.headers.at("To"), StartsWith("=?utf-8?Q?"));
  EXPECT_THAT(p.headers.at("To"), ::testing::EndsWith(" <jan@client.example>"));
  EXPECT_THAT(p.headers.at("From"), ::testing::EndsWith(" <no-reply@parley.example>"));
  const GMimeView view = ParseWithGMime(raw);
  EXPECT_EQ(view.to_name, mail.to_name);
  EXPECT_EQ(view.to_address, "jan@client.example");
  EXPECT_EQ(view.from_name, "Cabinet Müller");
}

TEST(RenderRfc5322Test, AsciiNameWithQuotesIsEscaped) {
  OutgoingMail mail = SampleMail();
  mail.to_name = "Jan \"JP\" Peeters";
  const std::string raw = RenderRfc5322(mail);
  EXPECT_THAT(raw, HasSubstr("\r\nTo: \"Jan \\\"JP\\\" Peeters\" <jan@client.example>\r\n"));
  EXPECT_EQ(ParseWithGMime(raw).to_name, mail.to_name);
}

TEST(RenderRfc5322Test, QuotedPrintableBodyRoundTrips) {
  OutgoingMail mail = SampleMail();
  mail.text = kFrenchGerman;
  const std::string raw = RenderRfc5322(mail);
  ExpectCrlfOnly(raw);
  const Parsed p = Split(raw);
  ExpectSevenBitAndShortLines(p);
  EXPECT_THAT(p.body, HasSubstr("=\r\n")) << "long lines need soft breaks";
  EXPECT_THAT(p.body, HasSubstr("x=3Dy"));
  EXPECT_THAT(p.body, HasSubstr("Gr=C3=BC=C3=9Fe"));
  EXPECT_EQ(DecodeQuotedPrintable(p.body), kFrenchGerman);
  EXPECT_EQ(ParseWithGMime(raw).body, Crlf(kFrenchGerman));
}

TEST(RenderRfc5322Test, GMimeReadsEveryField) {
  OutgoingMail mail = SampleMail();
  mail.subject = "Ihre Unterlagen für März";
  const GMimeView view = ParseWithGMime(RenderRfc5322(mail));
  EXPECT_EQ(view.subject, mail.subject);
  EXPECT_EQ(view.message_id, "m-0001@parley.example");
  EXPECT_EQ(view.to_name, "Jan Peeters");
  EXPECT_EQ(view.to_address, "jan@client.example");
  EXPECT_EQ(view.from_name, "Cabinet Dupont");
  EXPECT_EQ(view.body, Crlf(mail.text));
}

TEST(RenderRfc5322Test, SameInputSameBytes) {
  OutgoingMail mail = SampleMail();
  mail.text = kFrenchGerman;
  mail.subject = "Déclaration à signer";
  const std::string first = RenderRfc5322(mail);
  EXPECT_EQ(RenderRfc5322(mail), first);
  OutgoingMail copy = mail;
  EXPECT_EQ(RenderRfc5322(copy), first);
  copy.date += 1000000;
  EXPECT_NE(RenderRfc5322(copy), first) << "the date must be part of the bytes";
}

TEST(RenderRfc5322Test, MessageIdIsIdAtDomainOfFrom) {
  OutgoingMail mail = SampleMail();
  EXPECT_EQ(MessageIdOf(mail), "m-0001@parley.example");
  mail.from = "notify@mail.cabinet-dupont.be";
  EXPECT_EQ(MessageIdOf(mail), "m-0001@mail.cabinet-dupont.be");
  mail.from = "Parley";
  EXPECT_EQ(MessageIdOf(mail), "m-0001@parley.invalid");
  EXPECT_THAT(RenderRfc5322(mail), HasSubstr("\r\nMessage-ID: <m-0001@parley.invalid>\r\n"));
}

TEST(RenderRfc5322Test, CrLfInFieldsNeverAddsAHeader) {
  OutgoingMail mail = SampleMail();
  mail.subject = "Hello\r\nBcc: victim@evil.example";
  mail.to_name = "Jan\nX-Injected: 1";
  mail.to_address = "jan@client.example\r\nCc: cc@evil.example";
  mail.reply_to = "r@x.example\r\nBcc: b@evil.example";
  mail.link = "https://x.example/\r\n\r\nfake body";
  mail.from = "Dupont\r\nSender: s@evil.example <no-reply@parley.example>";
  const Parsed p = Split(RenderRfc5322(mail));
  EXPECT_EQ(p.header_order.size(), 13u);
  for (const std::string& name : p.header_order) {
    EXPECT_THAT(name, Not(::testing::AnyOf("Bcc", "Cc", "X-Injected", "Sender"))) << name;
  }
  EXPECT_EQ(p.body, "Bonjour,\r\n\r\nUn nouveau message vous attend.\r\n");
}

// --------------------------------------------------------- .eml folder --

std::vector<std::string> FileNames(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(MailTransportTest, EmlFileHoldsExactlyTheRenderedBytes) {
  testing::TempDir tmp;
  const std::string dir = tmp.str("data/outbox");
  auto transport = OpenEmlDirectory(dir);
  ASSERT_TRUE(transport.ok()) << transport.error().message;
  EXPECT_EQ((*transport)->Describe(), dir);
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  OutgoingMail mail = SampleMail();
  mail.text = kFrenchGerman;
  ASSERT_TRUE((*transport)->Send(mail).ok());
  EXPECT_THAT(FileNames(dir), ElementsAre("m-0001.eml"));
  EXPECT_EQ(ReadFile(dir + "/m-0001.eml"), RenderRfc5322(mail));
}

TEST(MailTransportTest, EmlSameIdTwiceLeavesOneFileAndNoTemporaries) {
  testing::TempDir tmp;
  auto transport = OpenEmlDirectory(tmp.str());
  ASSERT_TRUE(transport.ok());
  OutgoingMail a = SampleMail();
  OutgoingMail b = SampleMail();
  b.id = "m-0002";
  b.to_address = "other@client.example";
  ASSERT_TRUE((*transport)->Send(a).ok());
  ASSERT_TRUE((*transport)->Send(b).ok());
  ASSERT_TRUE((*transport)->Send(a).ok());  // a retry of a
  EXPECT_THAT(FileNames(tmp.path()), ElementsAre("m-0001.eml", "m-0002.eml"));
  EXPECT_EQ(ReadFile(tmp.str("m-0001.eml")), RenderRfc5322(a));
  EXPECT_EQ(ReadFile(tmp.str("m-0002.eml")), RenderRfc5322(b));
}

TEST(MailTransportTest, EmlRefusesUnsafeMailsAndWritesNothing) {
  testing::TempDir tmp;
  auto transport = OpenEmlDirectory(tmp.str());
  ASSERT_TRUE(transport.ok());
  for (const std::string id : {"../escape", "a/b", ".", "", "x..y", "with space"}) {
    OutgoingMail mail = SampleMail();
    mail.id = id;
    const Result<void> sent = (*transport)->Send(mail);
    ASSERT_FALSE(sent.ok()) << id;
    EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument) << id;
  }
  OutgoingMail mail = SampleMail();
  mail.subject = "Hi\r\nBcc: evil@x.example";
  EXPECT_EQ((*transport)->Send(mail).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(FileNames(tmp.path()).empty());
  EXPECT_FALSE(std::filesystem::exists(tmp.path().parent_path() / "escape.eml"));
}

TEST(MailTransportTest, EmlFolderThatIsAFileIsAnError) {
  testing::TempDir tmp;
  std::ofstream(tmp.str("file")) << "x";
  EXPECT_FALSE(OpenEmlDirectory(tmp.str("file")).ok());
  EXPECT_FALSE(OpenEmlDirectory("").ok());
}

// ------------------------------------------------------------------ SMTP --

std::unique_ptr<MailTransport> Smtp(const std::string& url,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto transport = OpenSmtpTransport(url, timeout);
  EXPECT_TRUE(transport.ok()) << transport.error().message;
  return transport.ok() ? std::move(*transport) : nullptr;
}

TEST(MailTransportTest, SendsThreeMailsToARealSmtpServer) {
  testing::SmtpServer server;
  auto transport = Smtp(server.url());
  ASSERT_NE(transport, nullptr);
  EXPECT_EQ(transport->Describe(), server.url());
  std::vector<OutgoingMail> mails;
  const std::vector<std::string> subjects = {"Nouveau message", "Herinnering: uw documenten",
                                             "Erinnerung: Ihre Unterlagen für März"};
  for (int i = 0; i < 3; ++i) {
    OutgoingMail mail = SampleMail();
    mail.id = "m-" + std::to_string(100 + i);
    mail.to_name = i == 2 ? "Jürgen Groß" : "Client " + std::to_string(i);
    mail.to_address = "client" + std::to_string(i) + "@client.example";
    mail.subject = subjects[i];
    mail.text = kFrenchGerman;  // has lines that are "." and start with "."
    mail.kind = i == 0 ? "new_message" : "reminder";
    const Result<void> sent = transport->Send(mail);
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    mails.push_back(mail);
  }
  ASSERT_TRUE(server.WaitForMessages(3, std::chrono::seconds(10)));
  const auto deliveries = server.Deliveries();
  ASSERT_EQ(deliveries.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const auto& d = deliveries[i];
    EXPECT_EQ(d.mail_from, "no-reply@parley.example");
    EXPECT_THAT(d.rcpt_tos, ElementsAre(mails[i].to_address));
    EXPECT_EQ(d.data, RenderRfc5322(mails[i])) << "the server must receive the rendered bytes exactly";
    const Parsed p = Split(d.data);
    EXPECT_EQ(p.headers.at("Message-ID"), "<m-" + std::to_string(100 + i) + "@parley.example>");
    EXPECT_EQ(DecodeHeaderText(p.headers.at("Subject")), subjects[i]);
    EXPECT_EQ(DecodeQuotedPrintable(p.body), kFrenchGerman);
    const GMimeView view = ParseWithGMime(d.data);
    EXPECT_EQ(view.to_name, mails[i].to_name);
    EXPECT_EQ(view.to_address, mails[i].to_address);
  }
  EXPECT_EQ(server.Messages()[1], deliveries[1].data);
}

TEST(MailTransportTest, ServerDownIsTemporaryAndARetrySucceeds) {
  testing::SmtpServer server;
  auto transport = Smtp(server.url());
  ASSERT_NE(transport, nullptr);
  server.Stop();
  const Result<void> down = transport->Send(SampleMail());
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable) << down.error().message;
  server.Start();
  const Result<void> retry = transport->Send(SampleMail());
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  ASSERT_TRUE(server.WaitForMessages(1, std::chrono::seconds(5)));
  EXPECT_EQ(server.Messages().size(), 1u);
}

TEST(MailTransportTest, RefusedRecipientIsPermanentAndNamesTheReply) {
  testing::SmtpServer server;
  auto transport = Smtp(server.url());
  ASSERT_NE(transport, nullptr);
  OutgoingMail mail = SampleMail();
  mail.to_address = "refuse-me@client.example";
  const Result<void> sent = transport->Send(mail);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(sent.error().message, HasSubstr("550"));
  EXPECT_THAT(sent.error().message, HasSubstr("recipient address rejected"));
  EXPECT_TRUE(server.Messages().empty());
}

TEST(MailTransportTest, TemporaryRefusalIsUnavailable) {
  testing::SmtpServer server;
  auto transport = Smtp(server.url());
  ASSERT_NE(transport, nullptr);
  OutgoingMail mail = SampleMail();
  mail.to_address = "tempfail@client.example";
  const Result<void> sent = transport->Send(mail);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(sent.error().message, HasSubstr("451"));
}

TEST(MailTransportTest, RefusalAfterDataIsPermanent) {
  testing::SmtpServer server;
  auto transport = Smtp(server.url());
  ASSERT_NE(transport, nullptr);
  OutgoingMail mail = SampleMail();
  mail.to_address = "baddata@client.example";
  const Result<void> sent = transport->Send(mail);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(sent.error().message, HasSubstr("554"));
  EXPECT_TRUE(server.Messages().empty());
}

TEST(MailTransportTest, InvalidMailIsRefusedBeforeConnecting) {
  // No server: a connection attempt would give kUnavailable.
  const int port = [] {
    testing::SmtpServer s;
    return s.port();
  }();
  auto transport = Smtp("smtp://127.0.0.1:" + std::to_string(port));
  ASSERT_NE(transport, nullptr);
  std::vector<std::pair<std::string, OutgoingMail>> cases;
  auto add = [&](const std::string& what, auto change) {
    OutgoingMail mail = SampleMail();
    change(mail);
    cases.emplace_back(what, mail);
  };
  add("to without @", [](OutgoingMail& m) { m.to_address = "jan.client.example"; });
  add("to with CRLF",
      [](OutgoingMail& m) { m.to_address = "jan@client.example\r\nRCPT TO:<x@evil.example>"; });
  add("to with LF", [](OutgoingMail& m) { m.to_address = "jan@client.example\n"; });
  add("empty to", [](OutgoingMail& m) { m.to_address.clear(); });
  add("from without @", [](OutgoingMail& m) { m.from = "Cabinet Dupont <no-reply>"; });
  add("from with CRLF", [](OutgoingMail& m) { m.from = "Dupont\r\nBcc: x@evil.example <a@b.example>"; });
  add("to name with CR", [](OutgoingMail& m) { m.to_name = "Jan\rPeeters"; });
  add("subject with CRLF", [](OutgoingMail& m) { m.subject = "Hi\r\nBcc: x@evil.example"; });
  add("reply-to with CRLF", [](OutgoingMail& m) { m.reply_to = "r@x.example\r\nBcc: x@evil.example"; });
  add("reply-to without @", [](OutgoingMail& m) { m.reply_to = "reply"; });
  add("link with LF", [](OutgoingMail& m) { m.link = "https://x.example/\nBcc: x@evil.example"; });
  add("unknown kind", [](OutgoingMail& m) { m.kind = "spam"; });
  add("bad id", [](OutgoingMail& m) { m.id = "a b"; });
  for (const auto& [what, mail] : cases) {
    const Result<void> sent = transport->Send(mail);
    ASSERT_FALSE(sent.ok()) << what;
    EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument) << what << ": " << sent.error().message;
  }
  // The same transport does reach for the server with a valid mail.
  const Result<void> valid = transport->Send(SampleMail());
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error().code, ErrorCode::kUnavailable);
}

TEST(MailTransportTest, PercentDecodedCredentialsAuthenticate) {
  testing::SmtpServer server({.user = "parley@firm", .password = "p@ss:w/rd%"});
  const std::string base = "127.0.0.1:" + std::to_string(server.port());
  auto good = Smtp("smtp://parley%40firm:p%40ss%3Aw%2Frd%25@" + base);
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->Describe(), "smtp://" + base) << "no credentials in Describe";
  const Result<void> sent = good->Send(SampleMail());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  ASSERT_TRUE(server.WaitForMessages(1, std::chrono::seconds(5)));
  EXPECT_EQ(server.Deliveries()[0].login, "parley@firm");

  // A refused login, or none where the server requires one, is the
  // configuration's fault: the mail stays for a retry.
  const std::vector<std::pair<std::string, std::string>> refusals = {
      {"smtp://parley%40firm:wrong@" + base, "535"}, {"smtp://" + base, "530"}};
  for (const auto& [url, reply] : refusals) {
    auto bad = Smtp(url, std::chrono::seconds(5));
    ASSERT_NE(bad, nullptr);
    const Result<void> refused = bad->Send(SampleMail());
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << url << ": " << refused.error().message;
    EXPECT_THAT(refused.error().message, HasSubstr(reply));
    EXPECT_THAT(refused.error().message, Not(HasSubstr("p@ss")));
  }
  EXPECT_EQ(server.Messages().size(), 1u);
}

TEST(MailTransportTest, SilentServerTimesOut) {
  // Accepts the TCP connection (backlog) but never greets.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto transport =
      Smtp("smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), std::chrono::milliseconds(500));
  ASSERT_NE(transport, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const Result<void> sent = transport->Send(SampleMail());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_GE(elapsed, std::chrono::milliseconds(450));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(MailTransportTest, SmtpUrls) {
  struct Good {
    std::string url, describe;
  };
  for (const Good& g : std::vector<Good>{
           {"smtp://mail.example", "smtp://mail.example:25"},
           {"smtps://mail.example", "smtps://mail.example:465"},
           {"SMTP://mail.example:2525/", "smtp://mail.example:2525"},
           {"smtp://user:p%40ss@mail.example:587?tls=required", "smtp://mail.example:587"},
           {"smtp://user@mail.example:587", "smtp://mail.example:587"},
           {"smtp://[::1]:2525", "smtp://[::1]:2525"},
       }) {
    auto transport = OpenSmtpTransport(g.url);
    ASSERT_TRUE(transport.ok()) << g.url << ": " << transport.error().message;
    EXPECT_EQ((*transport)->Describe(), g.describe);
  }
  for (const std::string url : {"",
                                "mail.example",
                                "http://mail.example",
                                "smtp:mail.example",
                                "smtp://",
                                "smtp://:25",
                                "smtp://mail.example:0",
                                "smtp://mail.example:65536",
                                "smtp://mail.example:2x5",
                                "smtp://mail.example:",
                                "smtp://mail.example/path",
                                "smtp://mail.example?tls=maybe",
                                "smtp://mail.example?foo=bar",
                                "smtp://u:%zz@mail.example",
                                "smtp://u:%4@mail.example",
                                "smtp://@mail.example",
                                "smtp://mail .example",
                                "smtp://mail.example#x",
                                "smtp://mail_example",
                                "smtp://[::1",
                                "smtp://mail.example\r\n"}) {
    auto transport = OpenSmtpTransport(url);
    ASSERT_FALSE(transport.ok()) << url;
    EXPECT_EQ(transport.error().code, ErrorCode::kInvalidArgument) << url;
  }
  auto secret = OpenSmtpTransport("smtp://u:topsecret@mail.example:bad");
  ASSERT_FALSE(secret.ok());
  EXPECT_THAT(secret.error().message, Not(HasSubstr("topsecret")));
}

}  // namespace
}  // namespace parley::api
