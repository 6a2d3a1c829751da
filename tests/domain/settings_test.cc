// A user's settings: notification choices, participation by default, and
// who therefore takes part in a new question. Given settings events, when
// a command, then events or an error.
#include "domain/settings.h"

#include <gtest/gtest.h>

#include "domain/event_codec.h"

namespace parley::domain {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  SettingsTest() {
    const Micros t = now_;
    for (const DirectoryEvent& e : std::vector<DirectoryEvent>{
             FirmDefined{"f1", "Cabinet Dupont", "fr", t},
             UserDefined{"f1", "u-cmc", UserKind::kStaff, "Claire Martin", "c@d.example", "fr",
                         StaffRole::kChefMissionComptable, t},
             UserDefined{"f1", "u-ec", UserKind::kStaff, "Eric Colin", "e@d.example", "fr",
                         StaffRole::kExpertComptable, t},
             UserDefined{"f1", "u-collab", UserKind::kStaff, "Luc Petit", "l@d.example", "nl",
                         StaffRole::kCollaborateur, t},
             UserDefined{"f1", "u-c1", UserKind::kClient, "Anne Moreau", "a@b.example", "fr",
                         StaffRole::kNone, t},
             DossierDefined{"f1",
                            "d-1",
                            "Boulangerie",
                            "fr",
                            {{"u-c1", ClientProfile::kFullAccess}},
                            {"u-cmc", "u-ec"},
                            t},
             DossierDefined{"f1", "d-2", "Garage", "nl", {}, {"u-collab"}, t},
         }) {
      Evolve(directory_, e);
    }
  }
  Result<std::vector<SettingsEvent>> When(const SettingsCommand& command, const std::string& user = "u-cmc") {
    return Decide(settings_[user], command, directory_, *directory_.ActorFor(user), now_);
  }
  void Given(const SettingsCommand& command, const std::string& user = "u-cmc") {
    auto events = When(command, user);
    ASSERT_TRUE(events.ok()) << events.error().message;
    for (const auto& e : *events) Evolve(settings_[user], e);
  }
  static void ExpectError(const Result<std::vector<SettingsEvent>>& r, ErrorCode code) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
  }
  DossierAccess Access(const std::string& dossier) {
    DossierAccess access = *directory_.AccessFor(dossier);
    ApplyParticipation(access, directory_, settings_);
    return access;
  }

  Directory directory_;
  std::map<std::string, UserSettings> settings_;
  Micros now_ = 1'790'000'000'000'000;
};

TEST_F(SettingsTest, NotificationChoicesAreCheckedAndAnUnchangedOneWritesNothing) {
  auto set = When(SetNotifications{"daily", "nl"});
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ(std::get<NotificationsSet>(set->at(0)),
            (NotificationsSet{"f1", "u-cmc", Frequency::kDaily, "nl", now_}));
  Given(SetNotifications{"daily", "nl"});
  EXPECT_TRUE(When(SetNotifications{"daily", "nl"})->empty());
  ExpectError(When(SetNotifications{"weekly", ""}), ErrorCode::kInvalidArgument);
  ExpectError(When(SetNotifications{"never", "es"}), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(When(SetNotifications{"never", ""}, "u-c1").ok()) << "clients choose too";
}

TEST_F(SettingsTest, ByDefaultAssignedStaffAnswerClientsAndNobodyIsAddedToStaffQuestions) {
  DossierAccess d1 = Access("d-1");
  EXPECT_EQ(d1.default_for_client_questions, (std::vector<std::string>{"u-cmc", "u-ec"}));
  EXPECT_TRUE(d1.default_for_staff_questions.empty());
  EXPECT_EQ(Access("d-2").default_for_client_questions, (std::vector<std::string>{"u-collab"}));
}

TEST_F(SettingsTest, OneDossiersChoiceBeatsTheChoiceForAllWhichBeatsTheDefault) {
  Given(SetParticipation{"d-1", false, false, std::nullopt}, "u-ec");  // not for d-1's clients
  Given(SetParticipation{"", true, std::nullopt, true}, "u-collab");   // every staff question
  Given(SetParticipation{"d-2", false, true, std::nullopt}, "u-cmc");  // d-2's clients too
  DossierAccess d1 = Access("d-1");
  EXPECT_EQ(d1.default_for_client_questions, (std::vector<std::string>{"u-cmc"}));
  EXPECT_EQ(d1.default_for_staff_questions, (std::vector<std::string>{"u-collab"}));
  DossierAccess d2 = Access("d-2");
  EXPECT_EQ(d2.default_for_client_questions, (std::vector<std::string>{"u-collab", "u-cmc"}))
      << "assigned first, then the others";
  // Setting all at once gives way to nothing: d-1's earlier "no" is replaced.
  Given(SetParticipation{"", true, true, std::nullopt}, "u-ec");
  EXPECT_EQ(Access("d-1").default_for_client_questions, (std::vector<std::string>{"u-cmc", "u-ec"}));
  EXPECT_EQ(Access("d-2").default_for_client_questions,
            (std::vector<std::string>{"u-collab", "u-cmc", "u-ec"}));
}

TEST_F(SettingsTest, ParticipationRefusals) {
  ExpectError(When(SetParticipation{"d-1", false, true, std::nullopt}, "u-c1"), ErrorCode::kForbidden);
  ExpectError(When(SetParticipation{"d-1", false, std::nullopt, std::nullopt}), ErrorCode::kInvalidArgument);
  ExpectError(When(SetParticipation{"d-9", false, true, std::nullopt}), ErrorCode::kNotFound);
  ExpectError(When(SetParticipation{"d-1", true, true, std::nullopt}), ErrorCode::kInvalidArgument);
  ExpectError(When(SetParticipation{"", false, true, std::nullopt}), ErrorCode::kInvalidArgument);
  Given(SetParticipation{"d-1", false, true, std::nullopt});
  EXPECT_TRUE(When(SetParticipation{"d-1", false, true, std::nullopt})->empty()) << "unchanged";
}

TEST_F(SettingsTest, EventsRoundTripThroughTheirPayloads) {
  for (const SettingsEvent& e : std::vector<SettingsEvent>{
           NotificationsSet{"f1", "u-cmc", Frequency::kNever, "de", now_},
           ParticipationSet{"f1", "u-cmc", "d-1", false, std::nullopt, now_},
           ParticipationSet{"f1", "u-cmc", "", std::nullopt, true, now_},
       }) {
    auto back = DecodeSettingsEvent(TypeName(e), kEventSchemaVersion, EncodeEvent(e));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, e);
  }
  EXPECT_FALSE(DecodeSettingsEvent("ParticipationSet", kEventSchemaVersion, "garbage").ok());
}

}  // namespace
}  // namespace parley::domain
