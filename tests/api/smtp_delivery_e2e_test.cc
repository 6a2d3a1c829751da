// E-mail over real SMTP (SPEC section 7): parleyd delivers to an aiosmtpd
// server the test starts on 127.0.0.1, retries after an outage, and loses
// nothing when it is killed in the middle of delivering.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <thread>

#include "tests/api/firm_fixture.h"
#include "tests/testing/mail_files.h"
#include "tests/testing/smtp_server.h"

namespace parley {
namespace {

using testing::ReceivedMail;

// The SMTP server must exist before parleyd, which is given its URL.
struct WithSmtpServer {
  testing::SmtpServer smtp;
};

class SmtpDeliveryTest : public WithSmtpServer, public FirmApiTest {
 protected:
  explicit SmtpDeliveryTest(std::vector<std::string> extra = {"--test-clock"})
      : FirmApiTest(Flags(smtp.url(), std::move(extra))) {}

  static std::vector<std::string> Flags(const std::string& url, std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--smtp", url, "--mail-from", "noreply@cabinet-dupont.test"});
    return extra;
  }

  std::vector<ReceivedMail> Received() {
    std::vector<ReceivedMail> out;
    for (const std::string& raw : smtp.Messages()) out.push_back(testing::ParseMail(raw));
    return out;
  }
  void Clock(const std::string& now) {
    auto r = Call(http::verb::post, "/v1/admin/clock", "{\"now\":\"" + now + "\"}", testing::PlatformToken());
    ASSERT_EQ(r.status, 200u) << r.body;
  }
};

TEST_F(SmtpDeliveryTest, MailsGoOutOverSmtpAndFailedOnesAreRetriedAfterABackOff) {
  Clock("2027-01-04T08:00:00Z");
  const std::string c =
      Start("u-cmc", R"({"subject":"Déclaration TVA","body":"Bonjour, où sont les achats ?"})");
  ASSERT_TRUE(smtp.WaitForMessages(2, std::chrono::seconds(20)));
  auto mails = Received();
  ASSERT_EQ(mails.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : mails) {
    to.insert(m.to());
    EXPECT_EQ(m.kind(), "new_conversation");
    EXPECT_NE(m.Header("from").find("noreply@cabinet-dupont.test"), std::string::npos) << m.raw;
    EXPECT_NE(m.Header("message-id").find("@cabinet-dupont.test"), std::string::npos) << m.raw;
    EXPECT_EQ(m.reply_to().rfind("reply+", 0), 0u) << m.raw;
    EXPECT_NE(m.body.find("/conversations/" + c), std::string::npos) << m.body;
  }
  EXPECT_EQ(to, (std::set<std::string>{"a@b.example", "p@b.example"}));

  // The server goes away: the next mails fail and wait for a retry.
  smtp.Stop();
  ASSERT_EQ(Post("/v1/conversations/" + c + "/messages", R"({"body":"Une relance."})", "u-cmc").status, 201u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  smtp.Start();
  // Back, but the retry is due a minute later by the clock, not before.
  Clock("2027-01-04T08:00:30Z");
  EXPECT_EQ(smtp.Messages().size(), 2u);
  Clock("2027-01-04T08:01:01Z");
  ASSERT_TRUE(smtp.WaitForMessages(4, std::chrono::seconds(10)));
  mails = Received();
  ASSERT_EQ(mails.size(), 4u);
  std::set<std::string> ids;
  for (const auto& m : mails) ids.insert(m.message_id());
  EXPECT_EQ(ids.size(), 4u) << "each mail once";
  EXPECT_EQ(mails[2].kind(), "new_message");
}

TEST_F(SmtpDeliveryTest, ARecipientTheServerRefusesForGoodIsNotRetried) {
  Admin("/v1/admin/firms/f1/users/u-c3", R"({"kind":"client","name":"Refusé","email":"refuse@b.example"})");
  Admin("/v1/admin/firms/f1/dossiers/d-105",
        R"({"name":"Garage Lambert","clients":[{"user":"u-c3"}],"staff":["u-cmc"]})");
  Clock("2027-01-04T08:00:00Z");
  Start("u-cmc", R"({"subject":"Bilan","body":"Bonjour"})", "d-105");
  Start("u-cmc", R"({"subject":"TVA","body":"Bonjour"})", "d-104");
  ASSERT_TRUE(smtp.WaitForMessages(2, std::chrono::seconds(20)));
  // A day later, with every retry long due, the refused ones never came;
  // the others got their new conversation and their unread nudge.
  Clock("2027-01-05T08:00:00Z");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::multiset<std::string> got;
  for (const auto& m : Received()) got.insert(m.kind() + " " + m.to());
  EXPECT_EQ(got, (std::multiset<std::string>{"new_conversation a@b.example", "new_conversation p@b.example",
                                             "unread_nudge a@b.example", "unread_nudge p@b.example"}));
}

// Without the test clock: mails go out as soon as they are decided.
class SmtpCrashTest : public SmtpDeliveryTest {
 protected:
  SmtpCrashTest() : SmtpDeliveryTest({}) {}
};

TEST_F(SmtpCrashTest, KilledWhileDeliveringItLosesNone) {
  constexpr int kConversations = 60;  // two clients each: 120 mails
  constexpr std::size_t kMails = 2 * kConversations;
  const std::string data = dir_.str("data");
  for (int i = 0; i < kConversations; ++i) {
    Start("u-cmc", R"({"subject":"Pièces )" + std::to_string(i) + R"(","body":"Bonjour"})");
  }
  std::unique_ptr<testing::ParleydProcess> restarted;
  int kills = 0;
  for (std::size_t at : {10u, 40u, 80u}) {
    if (!smtp.WaitForMessages(at, std::chrono::seconds(60))) break;
    if (restarted) {
      restarted->Kill();
    } else {
      server_.Kill();
    }
    ++kills;
    restarted = std::make_unique<testing::ParleydProcess>(data, Flags(smtp.url(), {}));
  }
  ASSERT_EQ(kills, 3);
  // Every mail arrives, once per Message-ID but for the instant of a kill.
  std::map<std::string, int> copies;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    copies.clear();
    for (const auto& m : Received()) ++copies[m.message_id()];
    if (copies.size() >= kMails) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(copies.size(), kMails) << "lost " << kMails - copies.size();
  int twice = 0;
  for (const auto& [id, n] : copies) twice += n - 1;
  // A kill between the server's 250 and parleyd's durable record of it is
  // the only way to send one again: at most one per kill.
  EXPECT_LE(twice, kills);
  std::cout << "[ measured ] " << kMails << " mails, " << kills << " kills: lost " << kMails - copies.size()
            << ", sent twice " << twice << std::endl;
}

}  // namespace
}  // namespace parley
