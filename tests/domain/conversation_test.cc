// The conversation rules of SPEC sections 2-4, as given (events) / when
// (command by an actor) / then (events or error).
#include "domain/conversation.h"

#include <gtest/gtest.h>

namespace parley::domain {
namespace {

const Actor kExpert{"u-ec", UserKind::kStaff, StaffRole::kExpertComptable};
const Actor kManager{"u-cmc", UserKind::kStaff, StaffRole::kChefMissionComptable};
const Actor kAssistant{"u-collab", UserKind::kStaff, StaffRole::kCollaborateur};
const Actor kAssistant2{"u-collab2", UserKind::kStaff, StaffRole::kCollaborateur};
const Actor kClient{"u-c1", UserKind::kClient};
const Actor kClient2{"u-c2", UserKind::kClient};
const Actor kLimited{"u-lim", UserKind::kClient};
const Actor kOutsider{"u-other-dossier", UserKind::kClient};
const Actor kAdmin{"u-admin", UserKind::kAdmin};

class ConversationTest : public ::testing::Test {
 protected:
  ConversationTest() {
    dossier_.firm = "f1";
    dossier_.dossier = "d-104";
    dossier_.clients = {{kClient.id, ClientProfile::kFullAccess},
                        {kClient2.id, ClientProfile::kFullAccess},
                        {kLimited.id, ClientProfile::kLimited}};
    dossier_.firm_staff = {kExpert.id, kManager.id, kAssistant.id, kAssistant2.id};
    dossier_.default_for_client_questions = {kManager.id};
  }

  // when: `actor` sends `command` against the state so far.
  Result<std::vector<Event>> When(const Actor& actor, const Command& command) {
    return Decide(state_, command, {actor, dossier_, now_});
  }

  // given: `command` succeeded and its events are part of the history.
  std::vector<Event> Given(const Actor& actor, const Command& command) {
    auto events = When(actor, command);
    EXPECT_TRUE(events.ok()) << events.error().message;
    if (!events.ok()) return {};
    for (const Event& e : *events) Evolve(state_, e);
    now_ += 1'000'000;
    return *events;
  }

  void GivenStarted(const Actor& by, Audience audience = {}) {
    StartConversation start;
    start.conversation = "c-1";
    start.message = "m-1";
    start.subject = "TVA T3 : pièces manquantes";
    start.body = "Bonjour, il manque les pièces de septembre.";
    start.audience = audience;
    Given(by, start);
  }

  static void ExpectError(const Result<std::vector<Event>>& r, ErrorCode code) {
    ASSERT_FALSE(r.ok()) << "expected " << ToString(code);
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }

  static PostMessage Post(std::string id, std::string body = "Voici le justificatif.") {
    PostMessage p;
    p.message = std::move(id);
    p.body = std::move(body);
    return p;
  }

  DossierAccess dossier_;
  Conversation state_;
  Micros now_ = 1'790'000'000'000'000;
};

// ---- Starting ----

TEST_F(ConversationTest, StaffStartIsNewWithTheStarterAsParticipantAndNeedsClientAction) {
  auto events =
      Given(kAssistant, StartConversation{"c-1", "m-1", "Relevés bancaires", "Pouvez-vous les envoyer ?"});
  ASSERT_EQ(events.size(), 2u);
  auto& started = std::get<ConversationStarted>(events[0]);
  EXPECT_EQ(started.participants, std::vector<std::string>{kAssistant.id});
  EXPECT_EQ(started.starter_side, Side::kFirm);
  EXPECT_EQ(std::get<MessagePosted>(events[1]).side, Side::kFirm);
  EXPECT_EQ(state_.status, Status::kNew);
  EXPECT_TRUE(state_.NeedsClientAction());
  EXPECT_FALSE(state_.NeedsStaffAction());
}

TEST_F(ConversationTest, ClientStartGetsTheDefaultParticipantsAndNeedsStaffAction) {
  StartConversation start{"c-1", "m-1", "Dépense professionnelle ?", "Ce restaurant est-il déductible ?"};
  start.staff_participants = {kAssistant.id};
  auto events = Given(kClient, start);
  auto& started = std::get<ConversationStarted>(events[0]);
  EXPECT_EQ(started.participants, (std::vector<std::string>{kManager.id, kAssistant.id}));
  EXPECT_TRUE(state_.NeedsStaffAction());
  EXPECT_EQ(state_.status, Status::kNew);
}

TEST_F(ConversationTest, StartRefusesABlankOrTooLongSubject) {
  ExpectError(When(kManager, StartConversation{"c-1", "m-1", "   ", "x"}), ErrorCode::kInvalidArgument);
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "é";  // 200 characters, 400 bytes
  EXPECT_TRUE(When(kManager, StartConversation{"c-1", "m-1", accents, "x"}).ok());
  ExpectError(When(kManager, StartConversation{"c-1", "m-1", accents + "e", "x"}),
              ErrorCode::kInvalidArgument);
}

TEST_F(ConversationTest, StartRefusesBadBodies) {
  ExpectError(When(kManager, StartConversation{"c-1", "m-1", "S", std::string(kMaxBodyBytes + 1, 'x')}),
              ErrorCode::kTooLarge);
  EXPECT_TRUE(When(kManager, StartConversation{"c-1", "m-1", "S", std::string(kMaxBodyBytes, 'x')}).ok());
  ExpectError(When(kManager, StartConversation{"c-1", "m-1", "S", "bad \xC3\x28 utf-8"}),
              ErrorCode::kInvalidArgument);
  ExpectError(When(kManager, StartConversation{"c-1", "m-1", "S", ""}), ErrorCode::kInvalidArgument);
  StartConversation files_only{"c-1", "m-1", "S", ""};
  files_only.attachments = {AttachmentRef{"", "doc-9", "Facture.pdf"}};
  EXPECT_TRUE(When(kClient, files_only).ok()) << "attachments without text still make a message";
  files_only.attachments = {AttachmentRef{"up-1", "doc-9", "both"}};
  ExpectError(When(kClient, files_only), ErrorCode::kInvalidArgument);
}

TEST_F(ConversationTest, StartChecksTheAudience) {
  StartConversation start{"c-1", "m-1", "S", "B"};
  start.audience = {kLimited.id};
  EXPECT_TRUE(When(kLimited, start).ok()) << "a limited client may write privately";
  start.audience = {};
  ExpectError(When(kLimited, start), ErrorCode::kForbidden);
  start.audience = {kClient2.id};
  ExpectError(When(kClient, start), ErrorCode::kForbidden);
  EXPECT_TRUE(When(kManager, start).ok()) << "staff may write to one client privately";
  start.audience = {"u-stranger"};
  ExpectError(When(kManager, start), ErrorCode::kInvalidArgument);
}

TEST_F(ConversationTest, StartRefusesOutsidersAdminsAndUnknownParticipants) {
  StartConversation start{"c-1", "m-1", "S", "B"};
  ExpectError(When(kOutsider, start), ErrorCode::kNotFound);
  ExpectError(When(Actor{"u-other-firm", UserKind::kStaff, StaffRole::kExpertComptable}, start),
              ErrorCode::kNotFound);
  ExpectError(When(kAdmin, start), ErrorCode::kForbidden);
  start.staff_participants = {kClient.id};
  ExpectError(When(kManager, start), ErrorCode::kInvalidArgument);
  GivenStarted(kManager);
  ExpectError(When(kManager, StartConversation{"c-1", "m-9", "S", "B"}), ErrorCode::kConflict);
}

TEST_F(ConversationTest, OnlyStaffSetReminders) {
  StartConversation start{"c-1", "m-1", "S", "B"};
  start.reminders = {true, 3, 1};
  ExpectError(When(kClient, start), ErrorCode::kForbidden);
  EXPECT_TRUE(When(kManager, start).ok());
  start.reminders = {true, 0, 1};
  ExpectError(When(kManager, start), ErrorCode::kInvalidArgument);
}

// ---- Status and action needed ----

TEST_F(ConversationTest, AnAnswerFromTheOtherSideMakesItInProgress) {
  GivenStarted(kManager);
  Given(kManager, Post("m-2", "Et aussi octobre."));
  EXPECT_EQ(state_.status, Status::kNew) << "the same side writing again is not an answer";
  Given(kClient, Post("m-3"));
  EXPECT_EQ(state_.status, Status::kInProgress);
  EXPECT_TRUE(state_.NeedsStaffAction());
  EXPECT_FALSE(state_.NeedsClientAction());
}

TEST_F(ConversationTest, ADeletedLastMessageNoLongerDecidesWhoMustAct) {
  GivenStarted(kManager);
  Given(kClient, Post("m-2"));
  EXPECT_TRUE(state_.NeedsStaffAction());
  Given(kClient, DeleteMessage{"m-2"});
  EXPECT_TRUE(state_.NeedsClientAction());
}

// ---- Who sees what ----

TEST_F(ConversationTest, APrivateConversationIsInvisibleToOtherClients) {
  GivenStarted(kManager, Audience{kClient.id});
  ExpectError(When(kClient2, Post("m-2")), ErrorCode::kNotFound);
  ExpectError(When(kClient2, MarkRead{}), ErrorCode::kNotFound);
  ExpectError(When(kOutsider, Post("m-2")), ErrorCode::kNotFound);
  EXPECT_TRUE(When(kClient, Post("m-2")).ok());
  EXPECT_TRUE(When(kAssistant2, Post("m-2")).ok()) << "staff of the firm always see it";
}

TEST_F(ConversationTest, ALimitedClientDoesNotSeeDossierConversations) {
  GivenStarted(kManager);
  ExpectError(When(kLimited, Post("m-2")), ErrorCode::kNotFound);
  EXPECT_TRUE(When(kClient2, Post("m-2")).ok());
}

TEST_F(ConversationTest, StaffWhoAnswerBecomeParticipants) {
  GivenStarted(kClient);
  auto events = Given(kAssistant2, Post("m-2"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<ParticipantAdded>(events[0]).user, kAssistant2.id);
  EXPECT_TRUE(state_.participants.count(kAssistant2.id));
}

// ---- Mentions ----

TEST_F(ConversationTest, MentioningStaffMakesThemParticipants) {
  GivenStarted(kManager);
  PostMessage post = Post("m-2", "@Expert pouvez-vous valider ?");
  post.mentions = {kExpert.id};
  auto events = Given(kManager, post);
  ASSERT_EQ(events.size(), 2u);
  auto& added = std::get<ParticipantAdded>(events[0]);
  EXPECT_EQ(added.user, kExpert.id);
  EXPECT_TRUE(added.by_mention);
  EXPECT_EQ(std::get<MessagePosted>(events[1]).mentions, std::vector<std::string>{kExpert.id});
}

TEST_F(ConversationTest, AClientMentionsOnlyPeopleTheyCanSee) {
  GivenStarted(kManager);
  PostMessage post = Post("m-2");
  post.mentions = {kManager.id};
  EXPECT_TRUE(When(kClient, post).ok());
  post.mentions = {kClient2.id};
  EXPECT_TRUE(When(kClient, post).ok()) << "another full-access client of the dossier sees it too";
  post.mentions = {kExpert.id};
  ExpectError(When(kClient, post), ErrorCode::kInvalidArgument);
  post.mentions = {kLimited.id};
  ExpectError(When(kClient, post), ErrorCode::kInvalidArgument);
  post.mentions = {"u-nobody"};
  ExpectError(When(kManager, post), ErrorCode::kInvalidArgument);
}

// ---- Notes ----

TEST_F(ConversationTest, NotesAreStaffOnlyAndChangeNothingClientsSee) {
  GivenStarted(kClient);
  const Micros activity = state_.last_activity_at;
  ExpectError(When(kClient, AddNote{"n-1", "?"}), ErrorCode::kForbidden);
  Given(kManager, AddNote{"n-1", "Client à relancer en janvier."});
  EXPECT_EQ(state_.status, Status::kNew);
  EXPECT_TRUE(state_.NeedsStaffAction());
  EXPECT_EQ(state_.last_activity_at, activity);
  EXPECT_EQ(state_.UnreadFor(kClient.id, Side::kClient), 0u);
  EXPECT_EQ(state_.UnreadFor(kAssistant.id, Side::kFirm), 2u) << "the client's message and the note";
}

TEST_F(ConversationTest, ANoteMentionsStaffOnly) {
  GivenStarted(kManager);
  AddNote note{"n-1", "À voir"};
  note.mentions = {kClient.id};
  ExpectError(When(kManager, note), ErrorCode::kInvalidArgument);
  note.mentions = {kExpert.id};
  auto events = Given(kManager, note);
  EXPECT_EQ(std::get<ParticipantAdded>(events[0]).user, kExpert.id);
}

// ---- Edit and delete ----

TEST_F(ConversationTest, OnlyTheAuthorEditsOrDeletesALiveMessage) {
  GivenStarted(kManager);
  ExpectError(When(kAssistant, EditMessage{"m-1", "autre"}), ErrorCode::kForbidden);
  ExpectError(When(kManager, EditMessage{"m-404", "autre"}), ErrorCode::kNotFound);
  EXPECT_TRUE(When(kManager, EditMessage{"m-1", "Bonjour, corrigé."}).ok());
  ExpectError(When(kManager, EditMessage{"m-1", ""}), ErrorCode::kInvalidArgument);
  Given(kManager, DeleteMessage{"m-1"});
  ExpectError(When(kManager, EditMessage{"m-1", "trop tard"}), ErrorCode::kNotFound);
  ExpectError(When(kManager, DeleteMessage{"m-1"}), ErrorCode::kNotFound);
}

// ---- Close and reopen ----

TEST_F(ConversationTest, AManagerClosesAndReopensAnyConversation) {
  GivenStarted(kAssistant);
  Given(kExpert, Close{});
  EXPECT_EQ(state_.status, Status::kClosed);
  EXPECT_EQ(state_.closed_by, kExpert.id);
  EXPECT_FALSE(state_.NeedsClientAction());
  ExpectError(When(kManager, Close{}), ErrorCode::kConversationClosed);
  Given(kManager, Reopen{});
  EXPECT_EQ(state_.status, Status::kInProgress);
  EXPECT_TRUE(state_.closed_by.empty());
  ExpectError(When(kManager, Reopen{}), ErrorCode::kConflict);
}

TEST_F(ConversationTest, AnAssistantClosesOnlyWhatTheyStarted) {
  GivenStarted(kManager);
  ExpectError(When(kAssistant, Close{}), ErrorCode::kForbidden);
  state_ = {};
  GivenStarted(kAssistant);
  EXPECT_TRUE(When(kAssistant, Close{}).ok());
}

TEST_F(ConversationTest, AClientClosesOnlyClientStartedConversationsAndNeverReopens) {
  GivenStarted(kManager);
  ExpectError(When(kClient, Close{}), ErrorCode::kForbidden);
  state_ = {};
  GivenStarted(kClient);
  Given(kClient2, Close{});
  ExpectError(When(kClient, Reopen{}), ErrorCode::kForbidden);
  // An admin is no party to conversations.
  ExpectError(When(kAdmin, Close{}), ErrorCode::kNotFound);
}

TEST_F(ConversationTest, AClosedConversationIsReadOnly) {
  GivenStarted(kManager);
  Given(kManager, Close{});
  ExpectError(When(kClient, Post("m-2")), ErrorCode::kConversationClosed);
  ExpectError(When(kManager, AddNote{"n-1", "x"}), ErrorCode::kConversationClosed);
  ExpectError(When(kManager, EditMessage{"m-1", "x"}), ErrorCode::kConversationClosed);
  ExpectError(When(kManager, DeleteMessage{"m-1"}), ErrorCode::kConversationClosed);
  EXPECT_TRUE(When(kClient, MarkRead{}).ok()) << "it can still be read";
}

// ---- Read state ----

TEST_F(ConversationTest, ReadStateNeverGoesBackwards) {
  GivenStarted(kManager);
  Given(kManager, Post("m-2"));
  Given(kManager, Post("m-3"));
  EXPECT_EQ(state_.UnreadFor(kClient.id, Side::kClient), 3u);
  auto events = Given(kClient, MarkRead{});
  EXPECT_EQ(std::get<ReadMarked>(events.at(0)).up_to, 3u);
  EXPECT_EQ(state_.UnreadFor(kClient.id, Side::kClient), 0u);
  auto backwards = When(kClient, MarkRead{"m-1"});
  ASSERT_TRUE(backwards.ok());
  EXPECT_TRUE(backwards->empty());
}

TEST_F(ConversationTest, AClientCannotMarkANoteRead) {
  GivenStarted(kManager);
  Given(kManager, AddNote{"n-1", "interne"});
  ExpectError(When(kClient, MarkRead{"n-1"}), ErrorCode::kNotFound);
  auto events = Given(kClient, MarkRead{});
  EXPECT_EQ(std::get<ReadMarked>(events.at(0)).up_to, 1u) << "up to the last message the client sees";
  EXPECT_EQ(std::get<ReadMarked>(Given(kAssistant, MarkRead{"n-1"}).at(0)).up_to, 2u);
}

// ---- Participants ----

TEST_F(ConversationTest, OnlyStaffAddStaffParticipants) {
  GivenStarted(kManager);
  ExpectError(When(kClient, AddParticipant{kExpert.id}), ErrorCode::kForbidden);
  ExpectError(When(kManager, AddParticipant{kClient.id}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Given(kManager, AddParticipant{kExpert.id}).size(), 1u);
  auto again = When(kManager, AddParticipant{kExpert.id});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(Utf8Test, CountsCodePointsAndRefusesMalformedText) {
  std::size_t n = 0;
  EXPECT_TRUE(Utf8Length("déjà vu €𝄞", n));
  EXPECT_EQ(n, 10u);  // d é j à, space, v u, space, €, 𝄞
  EXPECT_FALSE(Utf8Length("\xC0\xAF", n)) << "overlong";
  EXPECT_FALSE(Utf8Length("\xED\xA0\x80", n)) << "surrogate";
  EXPECT_FALSE(Utf8Length("\xE2\x82", n)) << "truncated";
  EXPECT_FALSE(Utf8Length("\xFF", n));
}

// ---- Reminders (SPEC section 7) ----

TEST_F(ConversationTest, StaffSetRemindersAndTheStateHoldsThem) {
  GivenStarted(kAssistant);
  auto events = Given(kAssistant, SetReminders{true, 2, 3});
  ASSERT_EQ(events.size(), 1u);
  const auto& set = std::get<RemindersSet>(events[0]);
  EXPECT_EQ(set.reminders, (Reminders{true, 2, 3}));
  EXPECT_EQ(set.by, kAssistant.id);
  EXPECT_EQ(state_.reminders, (Reminders{true, 2, 3}));
}

TEST_F(ConversationTest, SettingTheSameRemindersChangesNothing) {
  GivenStarted(kAssistant);
  Given(kAssistant, SetReminders{true, 2, 3});
  auto events = When(kAssistant, SetReminders{true, 2, 3});
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

TEST_F(ConversationTest, ClientsNeitherSetNorResendReminders) {
  GivenStarted(kAssistant);
  ExpectError(When(kClient, SetReminders{true, 3, 1}), ErrorCode::kForbidden);
  ExpectError(When(kClient, ResendReminder{}), ErrorCode::kForbidden);
}

TEST_F(ConversationTest, RemindersOutOfRangeAreRefused) {
  GivenStarted(kAssistant);
  ExpectError(When(kAssistant, SetReminders{true, 0, 1}), ErrorCode::kInvalidArgument);
  ExpectError(When(kAssistant, SetReminders{true, 3, 21}), ErrorCode::kInvalidArgument);
}

TEST_F(ConversationTest, AClosedConversationTakesNoReminderChangeNorResend) {
  GivenStarted(kManager);
  Given(kManager, Close{});
  ExpectError(When(kManager, SetReminders{true, 3, 1}), ErrorCode::kConversationClosed);
  ExpectError(When(kManager, ResendReminder{}), ErrorCode::kConversationClosed);
}

TEST_F(ConversationTest, StaffResendAReminderByHand) {
  GivenStarted(kAssistant);
  auto events = Given(kExpert, ResendReminder{});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<ReminderRequested>(events[0]).by, kExpert.id);
}

TEST_F(ConversationTest, AClientWhoCannotSeeItGetsNotFoundForReminders) {
  GivenStarted(kAssistant, Audience{kClient2.id});
  ExpectError(When(kClient, ResendReminder{}), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace parley::domain
