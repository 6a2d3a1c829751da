// Notifications, reminders and replies by e-mail (SPEC section 7), end to
// end: the real parleyd with --test-clock writes each e-mail as an .eml
// file under DATA/outbox; the test moves the clock and reads them.
#include <gtest/gtest.h>

#include <set>

#include "common/clock.h"
#include "tests/api/firm_fixture.h"
#include "tests/testing/mail_files.h"

namespace parley {
namespace {

using testing::ReceivedMail;

// The week starts on Monday 2027-01-04 at 08:00 UTC.
class NotificationsE2eTest : public FirmApiTest {
 protected:
  NotificationsE2eTest() : FirmApiTest({"--test-clock", "--reply-domain", "reply.parley.test"}) {}

  // Moves the test clock to `day` days after Monday at `hh:mm` UTC;
  // parleyd decides and writes what is due before it answers.
  void Go(int day, const std::string& hhmm) {
    constexpr Micros kMondayMidnight = 1'799'020'800LL * 1'000'000;  // 2027-01-04T00:00:00Z
    const Micros minutes = std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2));
    now_ = FormatRfc3339(kMondayMidnight + (static_cast<Micros>(day) * 24 * 60 + minutes) * 60'000'000);
    Settle();
  }
  // Runs what is due now (an action's own mails are due at once).
  void Settle() {
    auto r =
        Call(http::verb::post, "/v1/admin/clock", "{\"now\":\"" + now_ + "\"}", testing::PlatformToken());
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  // The mails written since the last call, as "kind address", sorted.
  std::vector<std::string> NewMails() {
    Settle();
    std::vector<std::string> out;
    for (const ReceivedMail& m : testing::ReadEmlDirectory(dir_.str("data") + "/outbox")) {
      if (!seen_.insert(m.message_id()).second) continue;
      out.push_back(m.kind() + " " + m.to());
      all_.push_back(m);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string StartWithReminders() {
    return Start(
        "u-cmc",
        R"({"subject":"Extraits bancaires de décembre","body":"Bonjour, pouvez-vous nous envoyer les extraits ?",)"
        R"("reminders":{"enabled":true,"every_days":2,"count":2}})");
  }

  std::set<std::string> seen_;
  std::vector<ReceivedMail> all_;
  std::string now_;
};

using ScriptedWeekTest = NotificationsE2eTest;

TEST_F(ScriptedWeekTest, AWeekInADossierSendsExactlyTheMailsItCallsFor) {
  Go(0, "08:00");
  const std::string c = StartWithReminders();
  ASSERT_FALSE(c.empty());
  // Both clients of the dossier are told; the author is not.
  EXPECT_EQ(NewMails(),
            (std::vector<std::string>{"new_conversation a@b.example", "new_conversation p@b.example"}));

  // Anne reads at once; Paul does not: 2 hours on, only Paul is nudged.
  Go(0, "08:30");
  ASSERT_EQ(Post("/v1/conversations/" + c + "/read", "", "u-c1").status, 204u);
  Go(0, "09:59");
  EXPECT_TRUE(NewMails().empty());
  Go(0, "10:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"unread_nudge p@b.example"}));

  // Two days after the firm's message, nobody answered: reminder 1.
  Go(2, "07:59");
  EXPECT_TRUE(NewMails().empty());
  Go(2, "08:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"reminder a@b.example", "reminder p@b.example"}));

  // Anne answers: the manager is told at once, and the reminders stop.
  Go(2, "09:00");
  auto answer = Post("/v1/conversations/" + c + "/messages", R"({"body":"Je les dépose ce soir."})", "u-c1");
  ASSERT_EQ(answer.status, 201u) << answer.body;
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"new_message c@d.example"}));
  // The manager reads within 2 hours: no staff nudge.
  Go(2, "10:30");
  ASSERT_EQ(Post("/v1/conversations/" + c + "/read", "", "u-cmc").status, 204u);
  Go(4, "08:00");
  EXPECT_TRUE(NewMails().empty()) << "no staff nudge once read, no reminder once answered";

  // A private note mentioning the assistant: the assistant alone is told.
  auto note = Post("/v1/conversations/" + c + "/notes",
                   std::string(R"({"body":")") + kNoteText + R"(","mentions":["u-collab"]})", "u-cmc");
  ASSERT_EQ(note.status, 201u) << note.body;
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"mention l@d.example"}));

  // Paul switches to a daily digest; the manager asks again.
  auto daily = Call(http::verb::put, "/v1/me/settings", R"({"notification_frequency":"daily"})",
                    testing::UserToken("u-c2", "f1"));
  ASSERT_EQ(daily.status, 200u) << daily.body;
  Go(4, "10:00");
  ASSERT_EQ(
      Post("/v1/conversations/" + c + "/messages", R"({"body":"Et ceux de novembre ?"})", "u-cmc").status,
      201u);
  // Anne at once; the assistant, now a participant, too; Paul waits for his digest.
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"new_message a@b.example", "new_message l@d.example"}));
  Go(4, "12:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"unread_nudge a@b.example", "unread_nudge p@b.example"}));
  Go(5, "06:59");
  EXPECT_TRUE(NewMails().empty());
  Go(5, "07:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"digest p@b.example"}));

  // Closed: the reminder due on day 6 at 10:00 never goes.
  Go(5, "12:00");
  ASSERT_EQ(Post("/v1/conversations/" + c + "/close", "", "u-cmc").status, 200u);
  Go(7, "09:00");
  EXPECT_TRUE(NewMails().empty());

  // Reopened: reminders start again as if the message were new.
  ASSERT_EQ(Post("/v1/conversations/" + c + "/reopen", "", "u-cmc").status, 200u);
  EXPECT_TRUE(NewMails().empty());
  Go(9, "09:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"reminder a@b.example", "reminder p@b.example"}));
  Go(11, "09:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"reminder a@b.example", "reminder p@b.example"}));
  Go(13, "09:00");
  EXPECT_TRUE(NewMails().empty()) << "count is 2";
  auto shown = Get("/v1/conversations/" + c, "u-cmc");
  EXPECT_EQ(shown.json().at("reminders").at("sent").as_int64(), 2);

  // By hand: one more, at once.
  auto resend = Post("/v1/conversations/" + c + "/reminders/resend", "", "u-cmc");
  ASSERT_EQ(resend.status, 202u) << resend.body;
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"reminder a@b.example", "reminder p@b.example"}));

  // Anne chooses never: she gets nothing more.
  ASSERT_EQ(Call(http::verb::put, "/v1/me/settings", R"({"notification_frequency":"never"})",
                 testing::UserToken("u-c1", "f1"))
                .status,
            200u);
  ASSERT_EQ(Post("/v1/conversations/" + c + "/messages", R"({"body":"Dernier rappel."})", "u-cmc").status,
            201u);
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"new_message l@d.example"}));

  // Every mail: its own Message-ID, a reply address but for digests, and no
  // client ever reads the note.
  for (const ReceivedMail& m : all_) {
    EXPECT_FALSE(m.message_id().empty());
    if (m.to() != "c@d.example" && m.to() != "l@d.example") {
      EXPECT_EQ(m.body.find(kNoteText), std::string::npos) << m.raw;
      EXPECT_EQ(m.raw.find("ne pas relancer"), std::string::npos) << m.raw;
    }
    if (m.kind() == "digest") {
      EXPECT_TRUE(m.reply_to().empty()) << m.raw;
    } else {
      EXPECT_EQ(m.reply_to().rfind("reply+", 0), 0u) << m.raw;
      EXPECT_NE(m.reply_to().find("@reply.parley.test"), std::string::npos);
    }
    EXPECT_NE(m.body.find("/conversations"), std::string::npos) << "links to the portal";
  }
}

TEST_F(ScriptedWeekTest, RemindersAreSetLaterAndRefusedToClientsAndOnClosedConversations) {
  Go(0, "08:00");
  const std::string c = Start("u-cmc", R"({"subject":"Bilan 2026","body":"Merci de signer le bilan."})");
  NewMails();
  Go(1, "08:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"unread_nudge a@b.example", "unread_nudge p@b.example"}));
  auto set = Call(http::verb::put, "/v1/conversations/" + c + "/reminders",
                  R"({"enabled":true,"every_days":3,"count":1})", testing::UserToken("u-cmc", "f1"));
  ASSERT_EQ(set.status, 200u) << set.body;
  EXPECT_TRUE(set.json().at("reminders").at("enabled").as_bool());
  EXPECT_EQ(set.json().at("reminders").at("every_days").as_int64(), 3);
  // Counted from the awaited message (day 0), so due on day 3.
  Go(2, "23:59");
  EXPECT_TRUE(NewMails().empty());
  Go(3, "08:00");
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"reminder a@b.example", "reminder p@b.example"}));

  auto by_client = Call(http::verb::put, "/v1/conversations/" + c + "/reminders", R"({"enabled":false})",
                        testing::UserToken("u-c1", "f1"));
  EXPECT_EQ(by_client.status, 403u);
  EXPECT_EQ(Code(by_client), "forbidden");
  auto bad = Call(http::verb::put, "/v1/conversations/" + c + "/reminders",
                  R"({"enabled":true,"every_days":0})", testing::UserToken("u-cmc", "f1"));
  EXPECT_EQ(bad.status, 400u);
  auto missing = Call(http::verb::put, "/v1/conversations/" + c + "/reminders", R"({"count":2})",
                      testing::UserToken("u-cmc", "f1"));
  EXPECT_EQ(missing.status, 400u);
  auto other_firm = Post("/v1/conversations/" + c + "/reminders/resend", "", "u-f2", "f2");
  EXPECT_EQ(other_firm.status, 404u);
  ASSERT_EQ(Post("/v1/conversations/" + c + "/close", "", "u-cmc").status, 200u);
  auto closed = Post("/v1/conversations/" + c + "/reminders/resend", "", "u-cmc");
  EXPECT_EQ(closed.status, 409u);
  EXPECT_EQ(Code(closed), "conversation_closed");
  EXPECT_TRUE(NewMails().empty());
}

// ---- Replies by e-mail ----

class ReplyByMailTest : public NotificationsE2eTest {
 protected:
  // The reply address of a mail to `to` about `conversation`.
  std::string ReplyAddressFor(const std::string& to, const std::string& conversation) {
    NewMails();
    for (const ReceivedMail& m : all_) {
      if (m.to() == to && m.body.find("/conversations/" + conversation) != std::string::npos)
        return m.reply_to();
    }
    return "";
  }
  static std::string Reply(const std::string& to, const std::string& message_id, const std::string& text,
                           const std::string& extra_parts = "") {
    std::string mail = "From: Anne Moreau <a@b.example>\r\nTo: " + to +
                       "\r\nSubject: Re: Extraits\r\nMessage-ID: <" + message_id +
                       "@mail.b.example>\r\nMIME-Version: 1.0\r\n";
    if (extra_parts.empty()) {
      return mail + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text +
             "\r\n\r\nLe lun. 4 janv. 2027 à 08:00, Cabinet Dupont <noreply@localhost> a écrit :\r\n> ##- "
             "Répondez "
             "au-dessus de cette ligne -##\r\n> Bonjour, pouvez-vous ...\r\n";
    }
    return mail +
           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; "
           "charset=utf-8\r\n\r\n" +
           text + "\r\n--b1\r\n" + extra_parts + "--b1--\r\n";
  }
  testing::HttpResponse HandIn(const std::string& raw, const std::string& user = "u-audit") {
    auto headers = testing::Bearer(testing::UserToken(user, "f1"));
    headers["Content-Type"] = "message/rfc822";
    return client_.Request(http::verb::post, "/v1/inbound/email", raw, headers);
  }
  std::vector<std::string> Bodies(const std::string& c) {
    std::vector<std::string> out;
    auto thread = Get("/v1/conversations/" + c, "u-cmc").json();
    for (const auto& m : thread.at("messages").as_array())
      out.emplace_back(m.as_object().contains("body") ? m.at("body").as_string() : "");
    return out;
  }
};

TEST_F(ReplyByMailTest, AReplyIsPostedOnceAsItsUserWithoutTheQuotedMail) {
  Go(0, "08:00");
  const std::string c = StartWithReminders();
  const std::string address = ReplyAddressFor("a@b.example", c);
  ASSERT_FALSE(address.empty());
  auto posted = HandIn(Reply(address, "r1", "Bonjour,\r\nvoici les extraits.\r\n\r\n-- \r\nAnne"));
  ASSERT_EQ(posted.status, 201u) << posted.body;
  EXPECT_EQ(posted.json().at("author").at("id").as_string(), "u-c1");
  EXPECT_EQ(Bodies(c), (std::vector<std::string>{"Bonjour, pouvez-vous nous envoyer les extraits ?",
                                                 "Bonjour,\nvoici les extraits."}));
  // The same mail handed in again posts nothing more.
  auto again = HandIn(Reply(address, "r1", "Bonjour,\r\nvoici les extraits.\r\n\r\n-- \r\nAnne"));
  EXPECT_TRUE(again.status == 200u || again.status == 201u) << again.body;
  EXPECT_EQ(again.json().at("id"), posted.json().at("id"));
  EXPECT_EQ(Bodies(c).size(), 2u);
  // The manager is told of the answer, like any other.
  EXPECT_EQ(NewMails(), (std::vector<std::string>{"new_message c@d.example"}));
}

TEST_F(ReplyByMailTest, ForgedExpiredMisdirectedAndClosedRepliesPostNothing) {
  Go(0, "08:00");
  const std::string c = StartWithReminders();
  const std::string other = Start("u-cmc", R"({"subject":"Autre","body":"Autre question"})");
  const std::string address = ReplyAddressFor("a@b.example", other);
  ASSERT_FALSE(address.empty());
  std::string forged = address;
  forged[forged.find('@') - 1] = forged[forged.find('@') - 1] == '0' ? '1' : '0';  // one hex digit of the MAC
  auto refused = HandIn(Reply(forged, "f1", "Coucou"));
  EXPECT_EQ(refused.status, 403u) << refused.body;
  EXPECT_EQ(Code(refused), "forbidden");
  auto nowhere = HandIn(Reply("someone@elsewhere.example", "f2", "Coucou"));
  EXPECT_EQ(nowhere.status, 400u) << nowhere.body;
  auto staff = HandIn(Reply(address, "f3", "Coucou"), "u-cmc");
  EXPECT_EQ(staff.status, 403u) << "only service accounts hand in mail";
  auto other_firm = client_.Request(http::verb::post, "/v1/inbound/email", Reply(address, "f4", "Coucou"),
                                    testing::Bearer(testing::UserToken("u-f2", "f2")));
  EXPECT_EQ(other_firm.status, 403u) << other_firm.body;

  // One mail posts to one conversation: handed in again for another one, refused.
  ASSERT_EQ(HandIn(Reply(address, "r-dup", "Réponse")).status, 201u);
  const std::string first_address = ReplyAddressFor("a@b.example", c);
  ASSERT_FALSE(first_address.empty());
  auto misdirected = HandIn(Reply(first_address, "r-dup", "Réponse"));
  EXPECT_EQ(misdirected.status, 409u) << misdirected.body;

  // Closed: refused with conversation_closed.
  ASSERT_EQ(Post("/v1/conversations/" + other + "/close", "", "u-cmc").status, 200u);
  auto closed = HandIn(Reply(address, "r-closed", "Trop tard"));
  EXPECT_EQ(closed.status, 409u);
  EXPECT_EQ(Code(closed), "conversation_closed");

  // Expired: the address works 60 days.
  Go(61, "09:00");
  auto expired = HandIn(Reply(first_address, "r-late", "Bien tard"));
  EXPECT_EQ(expired.status, 403u) << expired.body;
  EXPECT_EQ(Bodies(c).size(), 1u) << "nothing posted to the first conversation";
  EXPECT_EQ(Bodies(other).size(), 2u) << "only the one good reply";
}

TEST_F(ReplyByMailTest, TheMailsAttachmentsAreAttachedAndDownloadable) {
  Go(0, "08:00");
  const std::string c = StartWithReminders();
  const std::string address = ReplyAddressFor("a@b.example", c);
  const std::string pdf = "%PDF-1.4 extraits décembre\n%%EOF\n";
  // base64 of `pdf`, computed by the test.
  static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < pdf.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(pdf[i]) << 16;
    if (i + 1 < pdf.size()) n |= static_cast<unsigned char>(pdf[i + 1]) << 8;
    if (i + 2 < pdf.size()) n |= static_cast<unsigned char>(pdf[i + 2]);
    encoded += kB64[(n >> 18) & 63];
    encoded += kB64[(n >> 12) & 63];
    encoded += i + 1 < pdf.size() ? kB64[(n >> 6) & 63] : '=';
    encoded += i + 2 < pdf.size() ? kB64[n & 63] : '=';
  }
  const std::string part =
      "Content-Type: application/pdf\r\nContent-Disposition: attachment; "
      "filename=\"extraits.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      encoded + "\r\n";
  auto posted = HandIn(Reply(address, "r-att", "Ci-joint.", part));
  ASSERT_EQ(posted.status, 201u) << posted.body;
  const auto message = posted.json();
  const auto& attachments = message.at("attachments").as_array();
  ASSERT_EQ(attachments.size(), 1u);
  EXPECT_EQ(attachments[0].at("name").as_string(), "extraits.pdf");
  const std::string id(attachments[0].at("id").as_string());
  auto file = Get("/v1/attachments/" + id, "u-cmc");
  ASSERT_EQ(file.status, 200u);
  EXPECT_EQ(file.body, pdf);
  EXPECT_EQ(Bodies(c).back(), "Ci-joint.");
}

}  // namespace
}  // namespace parley
