// Which e-mails a due trigger calls for (SPEC section 7): given a
// conversation, the directory and everyone's settings, when a trigger
// fires, then these mails (or items held for digests).
#include "domain/notifications.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace parley::domain {
namespace {

constexpr Micros kT0 = 1'790'000'000'000'000;  // 2026-09-21T...Z
constexpr Micros kMinute = 60'000'000;

class NotificationsTest : public ::testing::Test {
 protected:
  NotificationsTest() {
    directory_.firm = FirmDefined{"f1", "Cabinet Dupont", "fr", 0};
    auto user = [&](const std::string& id, UserKind kind, const std::string& name,
                    const std::string& language) {
      directory_.users[id] =
          UserDefined{"f1",
                      id,
                      kind,
                      name,
                      id + "@example.test",
                      language,
                      kind == UserKind::kStaff ? StaffRole::kChefMissionComptable : StaffRole::kNone,
                      0};
    };
    user("u-cmc", UserKind::kStaff, "Claire Martin", "fr");
    user("u-collab", UserKind::kStaff, "Luc Peeters", "nl");
    user("u-c1", UserKind::kClient, "Anne Mertens", "fr");
    user("u-c2", UserKind::kClient, "Bart Claes", "nl");
    user("u-lim", UserKind::kClient, "Lea Limited", "de");
    directory_.dossiers["d-1"] = DossierDefined{"f1",
                                                "d-1",
                                                "Boulangerie Mertens",
                                                "fr",
                                                {{"u-c1", ClientProfile::kFullAccess},
                                                 {"u-c2", ClientProfile::kFullAccess},
                                                 {"u-lim", ClientProfile::kLimited}},
                                                {"u-cmc", "u-collab"},
                                                0};
    conversation_.exists = true;
    conversation_.id = "c-1";
    conversation_.firm = "f1";
    conversation_.dossier = "d-1";
    conversation_.subject = "TVA T3 : pièces manquantes";
    conversation_.participants = {"u-cmc", "u-collab"};
    conversation_.status = Status::kInProgress;
  }

  // The thread so far: one more item.
  void Item(const std::string& author, Side side, const std::string& body, bool note = false,
            std::vector<std::string> mentions = {}) {
    const std::uint64_t ordinal = items_.size() + 1;
    items_.push_back({"i-" + std::to_string(ordinal), author, side, note, false, body, mentions,
                      kT0 + static_cast<Micros>(ordinal) * kMinute});
    conversation_.items.push_back({"i-" + std::to_string(ordinal), author, side, note, false, ordinal});
  }

  NotificationsDecided Fire(TriggerKind kind, std::uint64_t ordinal, Micros now = kT0 + kDay) {
    Trigger t{kind, "f1", "c-1", ordinal};
    t.due = now;
    if (kind == TriggerKind::kReminder) t.reminder = 1;
    NotificationFacts facts;
    facts.directory = &directory_;
    facts.settings = &settings_;
    facts.conversation = &conversation_;
    facts.items = items_;
    facts.public_url = "https://portal.example.test";
    return DecideNotifications(t, facts, now);
  }

  static std::vector<std::string> To(const NotificationsDecided& d) {
    std::vector<std::string> out;
    for (const auto& m : d.mails) out.push_back(m.user);
    std::sort(out.begin(), out.end());
    return out;
  }
  static const QueuedMail& MailTo(const NotificationsDecided& d, const std::string& user) {
    for (const auto& m : d.mails)
      if (m.user == user) return m;
    throw std::runtime_error("no mail to " + user);
  }

  Directory directory_;
  std::map<std::string, UserSettings> settings_;
  Conversation conversation_;
  std::vector<NotifiedItem> items_;
};

TEST_F(NotificationsTest, AStaffMessageGoesToTheClientsWhoSeeItAndTheOtherParticipants) {
  Item("u-cmc", Side::kFirm, "Bonjour, il manque les pièces de septembre.");
  auto d = Fire(TriggerKind::kActivity, 1);
  // Not the author, not the limited client (the audience is the dossier).
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-c1", "u-c2", "u-collab"}));
  const QueuedMail& m = MailTo(d, "u-c1");
  EXPECT_EQ(m.kind, MailKind::kNewConversation);
  EXPECT_EQ(m.to_address, "u-c1@example.test");
  EXPECT_EQ(m.language, "fr");
  EXPECT_EQ(MailTo(d, "u-c2").language, "nl");
  EXPECT_EQ(m.link, "https://portal.example.test/conversations/c-1");
  EXPECT_NE(m.body.find("il manque les pièces"), std::string::npos);
  EXPECT_EQ(m.from_name, "Cabinet Dupont");
  EXPECT_TRUE(m.accepts_reply);
}

TEST_F(NotificationsTest, LaterMessagesAreNewMessagesAndAClientMessageGoesToStaffOnly) {
  Item("u-cmc", Side::kFirm, "Question ?");
  Item("u-c1", Side::kClient, "Voici la réponse.");
  auto d = Fire(TriggerKind::kActivity, 2);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-cmc", "u-collab"}));
  EXPECT_EQ(MailTo(d, "u-cmc").kind, MailKind::kNewMessage);
}

TEST_F(NotificationsTest, APrivateConversationTellsOnlyItsClient) {
  conversation_.audience.user = "u-lim";
  Item("u-cmc", Side::kFirm, "Pour vous seulement.");
  auto d = Fire(TriggerKind::kActivity, 1);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-collab", "u-lim"}));
  EXPECT_EQ(MailTo(d, "u-lim").language, "de");
}

TEST_F(NotificationsTest, ANoteGoesToOtherStaffOnlyAndNeverToAClient) {
  Item("u-cmc", Side::kFirm, "Question ?");
  Item("u-cmc", Side::kFirm, "Note interne : client en retard de paiement.", true);
  auto d = Fire(TriggerKind::kActivity, 2);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-collab"}));
  EXPECT_EQ(d.mails[0].kind, MailKind::kNote);
  for (const auto& m : d.mails) EXPECT_EQ(directory_.User(m.user)->kind, UserKind::kStaff);
}

TEST_F(NotificationsTest, AMentionedUserGetsAMention) {
  Item("u-c1", Side::kClient, "@Luc pouvez-vous regarder ?", false, {"u-collab"});
  auto d = Fire(TriggerKind::kActivity, 1);
  EXPECT_EQ(MailTo(d, "u-collab").kind, MailKind::kMention);
  EXPECT_EQ(MailTo(d, "u-cmc").kind, MailKind::kNewConversation);
}

TEST_F(NotificationsTest, NeverMeansNoMailAndDigestUsersHaveTheItemHeld) {
  settings_["u-c1"].frequency = Frequency::kNever;
  settings_["u-c2"].frequency = Frequency::kHourly;
  settings_["u-collab"].frequency = Frequency::kDaily;
  Item("u-cmc", Side::kFirm, "Question ?");
  const Micros now = items_[0].at + 5 * kMinute;
  auto d = Fire(TriggerKind::kActivity, 1, now);
  EXPECT_TRUE(d.mails.empty());
  ASSERT_EQ(d.held.size(), 2u);
  for (const HeldItem& h : d.held) {
    const Micros at = now;  // the window after the decision
    if (h.user == "u-c2") {
      EXPECT_EQ(h.window_end, DigestWindowEnd(Frequency::kHourly, at));
    } else {
      EXPECT_EQ(h.user, "u-collab");
      EXPECT_EQ(h.window_end, DigestWindowEnd(Frequency::kDaily, at));
    }
    EXPECT_EQ(h.ordinal, 1u);
    EXPECT_EQ(h.kind, MailKind::kNewConversation);
  }
}

TEST_F(NotificationsTest, WhatARecipientHasReadIsNotMailed) {
  Item("u-cmc", Side::kFirm, "Question ?");
  conversation_.read_up_to["u-c1"] = 1;
  auto d = Fire(TriggerKind::kActivity, 1);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-c2", "u-collab"}));
}

TEST_F(NotificationsTest, ADeletedMessageIsNotMailed) {
  Item("u-cmc", Side::kFirm, "Oups");
  items_[0].deleted = true;
  EXPECT_TRUE(Fire(TriggerKind::kActivity, 1).mails.empty());
}

TEST_F(NotificationsTest, TheNudgeGoesToWhoeverHasNotReadWithoutTheTextForClients) {
  Item("u-cmc", Side::kFirm, "Texte confidentiel du message");
  conversation_.read_up_to["u-c2"] = 1;
  auto d = Fire(TriggerKind::kNudge, 1);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-c1"}));
  EXPECT_EQ(d.mails[0].kind, MailKind::kUnreadNudge);
  EXPECT_EQ(d.mails[0].body.find("Texte confidentiel"), std::string::npos);
}

TEST_F(NotificationsTest, AClientMessageNudgesTheStaffParticipants) {
  Item("u-c1", Side::kClient, "Ma question");
  conversation_.read_up_to["u-cmc"] = 1;
  auto d = Fire(TriggerKind::kNudge, 1);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-collab"}));
}

TEST_F(NotificationsTest, ALaterMessageOfTheSameSideBringsTheOnlyNudge) {
  Item("u-cmc", Side::kFirm, "Un");
  Item("u-cmc", Side::kFirm, "Deux");
  EXPECT_TRUE(Fire(TriggerKind::kNudge, 1).mails.empty());
  EXPECT_EQ(To(Fire(TriggerKind::kNudge, 2)), (std::vector<std::string>{"u-c1", "u-c2"}));
}

TEST_F(NotificationsTest, NoNudgeOnAClosedConversation) {
  Item("u-cmc", Side::kFirm, "Un");
  conversation_.status = Status::kClosed;
  EXPECT_TRUE(Fire(TriggerKind::kNudge, 1).mails.empty());
}

TEST_F(NotificationsTest, ARemindersGoToTheClientsWhileTheyOweAnAnswer) {
  conversation_.reminders = {true, 3, 2};
  Item("u-cmc", Side::kFirm, "Pouvez-vous envoyer les extraits ?");
  auto d = Fire(TriggerKind::kReminder, 1);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-c1", "u-c2"}));
  EXPECT_EQ(d.mails[0].kind, MailKind::kReminder);

  conversation_.reminders.enabled = false;
  EXPECT_TRUE(Fire(TriggerKind::kReminder, 1).mails.empty()) << "switched off";
  conversation_.reminders.enabled = true;
  conversation_.status = Status::kClosed;
  EXPECT_TRUE(Fire(TriggerKind::kReminder, 1).mails.empty()) << "closed";
  conversation_.status = Status::kInProgress;
  Item("u-c1", Side::kClient, "Les voici.");
  EXPECT_TRUE(Fire(TriggerKind::kReminder, 1).mails.empty()) << "answered";
}

TEST_F(NotificationsTest, AResendGoesOutWhateverTheSchedule) {
  Item("u-c1", Side::kClient, "Merci");
  conversation_.reminders.enabled = false;
  auto d = Fire(TriggerKind::kResend, 0);
  EXPECT_EQ(To(d), (std::vector<std::string>{"u-c1", "u-c2"}));
  EXPECT_EQ(d.mails[0].kind, MailKind::kReminder);
}

TEST_F(NotificationsTest, MailIdsAreTheSameEachTimeATriggerIsDecided) {
  Item("u-cmc", Side::kFirm, "Question ?");
  auto first = Fire(TriggerKind::kActivity, 1), again = Fire(TriggerKind::kActivity, 1);
  ASSERT_EQ(first.mails.size(), again.mails.size());
  for (std::size_t i = 0; i < first.mails.size(); ++i) EXPECT_EQ(first.mails[i].id, again.mails[i].id);
  auto nudge = Fire(TriggerKind::kNudge, 1);
  EXPECT_NE(nudge.mails[0].id, MailTo(first, nudge.mails[0].user).id);
}

TEST_F(NotificationsTest, ADigestSumsUpWhatIsStillUnreadAndAbsorbsEverything) {
  settings_["u-c1"].frequency = Frequency::kDaily;
  Item("u-cmc", Side::kFirm, "Un");
  Item("u-cmc", Side::kFirm, "Deux");
  Item("u-cmc", Side::kFirm, "Note", true);
  Item("u-cmc", Side::kFirm, "Trois");
  const Micros window = DigestWindowEnd(Frequency::kDaily, items_[0].at);
  Trigger t{TriggerKind::kDigest, "f1"};
  t.user = "u-c1";
  t.due = window;
  NotificationFacts facts;
  facts.directory = &directory_;
  facts.settings = &settings_;
  facts.public_url = "https://portal.example.test";
  for (std::uint64_t k : {1, 2, 3, 4})
    facts.held.push_back({"u-c1", "c-1", k, MailKind::kNewMessage, window});
  facts.held_conversations["c-1"] = {&conversation_, items_};
  conversation_.read_up_to["u-c1"] = 1;
  auto d = DecideNotifications(t, facts, window);
  ASSERT_EQ(d.mails.size(), 1u);
  EXPECT_EQ(d.mails[0].kind, MailKind::kDigest);
  EXPECT_FALSE(d.mails[0].accepts_reply);
  EXPECT_EQ(d.absorbed.size(), 4u);
  // Everything read by then: absorbed, and no mail.
  conversation_.read_up_to["u-c1"] = 4;
  auto quiet = DecideNotifications(t, facts, window);
  EXPECT_TRUE(quiet.mails.empty());
  EXPECT_EQ(quiet.absorbed.size(), 4u);
}

TEST_F(NotificationsTest, AClientDigestNeverTellsOfANote) {
  settings_["u-c1"].frequency = Frequency::kHourly;
  Item("u-cmc", Side::kFirm, "Note interne", true);
  const Micros window = DigestWindowEnd(Frequency::kHourly, items_[0].at);
  Trigger t{TriggerKind::kDigest, "f1"};
  t.user = "u-c1";
  t.due = window;
  NotificationFacts facts;
  facts.directory = &directory_;
  facts.settings = &settings_;
  facts.held.push_back({"u-c1", "c-1", 1, MailKind::kNote, window});
  facts.held_conversations["c-1"] = {&conversation_, items_};
  auto d = DecideNotifications(t, facts, window);
  EXPECT_TRUE(d.mails.empty());
  EXPECT_EQ(d.absorbed.size(), 1u);
  // The same item held for staff is told.
  settings_["u-collab"].frequency = Frequency::kHourly;
  t.user = "u-collab";
  facts.held[0].user = "u-collab";
  EXPECT_EQ(DecideNotifications(t, facts, window).mails.size(), 1u);
}

TEST(NotificationTimesTest, DigestWindowsAndRetriesFollowTheClock) {
  const Micros at = 20 * kDay + 10 * kHour + 5 * kMinute;  // 10:05 UTC
  EXPECT_EQ(DigestWindowEnd(Frequency::kHourly, at), 20 * kDay + 11 * kHour);
  EXPECT_EQ(DigestWindowEnd(Frequency::kDaily, at), 21 * kDay + 7 * kHour);
  EXPECT_EQ(DigestWindowEnd(Frequency::kDaily, 20 * kDay + 6 * kHour), 20 * kDay + 7 * kHour);
  EXPECT_EQ(DigestWindowEnd(Frequency::kHourly, 20 * kDay + 11 * kHour), 20 * kDay + 12 * kHour);
  EXPECT_EQ(RetryDelay(1), kMinute);
  EXPECT_EQ(RetryDelay(2), 2 * kMinute);
  EXPECT_EQ(RetryDelay(4), 8 * kMinute);
  EXPECT_EQ(RetryDelay(30), 6 * kHour);
}

TEST(TriggerTest, IdsTellFiringsApart) {
  Trigger a{TriggerKind::kActivity, "f1", "c-1", 3};
  Trigger n = a;
  n.kind = TriggerKind::kNudge;
  Trigger r{TriggerKind::kReminder, "f1", "c-1"};
  r.serial = 2;
  r.reminder = 1;
  Trigger r2 = r;
  r2.reminder = 2;
  EXPECT_NE(a.Id(), n.Id());
  EXPECT_NE(r.Id(), r2.Id());
  EXPECT_EQ(a.Id(), (Trigger{TriggerKind::kActivity, "f1", "c-1", 3}).Id());
}

}  // namespace
}  // namespace parley::domain
