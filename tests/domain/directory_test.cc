// The directory aggregate: firms, users and dossiers defined by admins.
#include "domain/directory.h"

#include <gtest/gtest.h>

namespace parley::domain {
namespace {

class DirectoryTest : public ::testing::Test {
 protected:
  Result<std::vector<DirectoryEvent>> When(const DirectoryCommand& command) {
    return Decide(state_, command, "f1", now_);
  }
  std::vector<DirectoryEvent> Given(const DirectoryCommand& command) {
    auto events = When(command);
    EXPECT_TRUE(events.ok()) << events.error().message;
    if (!events.ok()) return {};
    for (const auto& e : *events) Evolve(state_, e);
    return *events;
  }
  void GivenAFirmWithPeople() {
    Given(DefineFirm{"f1", "Cabinet Dupont", "fr"});
    Given(
        DefineUser{"u-cmc", "staff", "Claire Martin", "claire@dupont.example", "", "chef_mission_comptable"});
    Given(DefineUser{"u-collab", "staff", "Luc Petit", "luc@dupont.example", "nl", "collaborateur"});
    Given(DefineUser{"u-c1", "client", "Anne Moreau", "anne@boulangerie.example", "", ""});
    Given(DefineUser{"u-c2", "client", "Paul Moreau", "paul@boulangerie.example", "", ""});
  }
  static void ExpectError(const Result<std::vector<DirectoryEvent>>& r, ErrorCode code) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
  }

  Directory state_;
  Micros now_ = 1'790'000'000'000'000;
};

TEST_F(DirectoryTest, DefinesAFirmAndRedefiningItUnchangedWritesNothing) {
  EXPECT_EQ(Given(DefineFirm{"f1", "Cabinet Dupont", "fr"}).size(), 1u);
  EXPECT_TRUE(When(DefineFirm{"f1", "Cabinet Dupont", "fr"})->empty());
  EXPECT_EQ(Given(DefineFirm{"f1", "Cabinet Dupont & Associés", "fr"}).size(), 1u);
  EXPECT_EQ(state_.firm->name, "Cabinet Dupont & Associés");
}

TEST_F(DirectoryTest, RefusesBadFirms) {
  ExpectError(When(DefineFirm{"f1", "", "fr"}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineFirm{"f1", "X", "es"}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineFirm{"f2", "X", "fr"}), ErrorCode::kInvalidArgument);
  ExpectError(Decide(state_, DefineFirm{"f/1", "X", "fr"}, "f/1", now_), ErrorCode::kInvalidArgument);
}

TEST_F(DirectoryTest, UsersNeedAFirmAValidKindAndStaffARole) {
  ExpectError(When(DefineUser{"u-1", "staff", "A", "a@x.example", "", "collaborateur"}),
              ErrorCode::kNotFound);
  Given(DefineFirm{"f1", "Cabinet Dupont", "fr"});
  ExpectError(When(DefineUser{"u-1", "boss", "A", "a@x.example", "", ""}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineUser{"u-1", "staff", "A", "a@x.example", "", ""}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineUser{"u-1", "client", "A", "a@x.example", "", "collaborateur"}),
              ErrorCode::kInvalidArgument);
  ExpectError(When(DefineUser{"u-1", "client", "A", "not-an-address", "", ""}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineUser{"u-1", "client", "A", "a@x.example", "it", ""}), ErrorCode::kInvalidArgument);
  auto events = Given(DefineUser{"u-1", "client", "A", "a@x.example", "", ""});
  EXPECT_EQ(std::get<UserDefined>(events.at(0)).language, "fr") << "the firm's language by default";
}

TEST_F(DirectoryTest, AUsersKindNeverChanges) {
  GivenAFirmWithPeople();
  ExpectError(When(DefineUser{"u-c1", "staff", "Anne", "anne@x.example", "", "collaborateur"}),
              ErrorCode::kConflict);
}

TEST_F(DirectoryTest, DossiersListTheFirmsClientsAndStaff) {
  GivenAFirmWithPeople();
  Given(DefineDossier{
      "d-104", "Boulangerie Moreau", "", {{"u-c1", "full_access"}, {"u-c2", "limited"}}, {"u-cmc"}});
  auto access = state_.AccessFor("d-104");
  ASSERT_TRUE(access.has_value());
  EXPECT_TRUE(access->IsFullAccessClient("u-c1"));
  EXPECT_TRUE(access->HasClient("u-c2"));
  EXPECT_FALSE(access->IsFullAccessClient("u-c2"));
  EXPECT_EQ(access->firm_staff, (std::set<std::string>{"u-cmc", "u-collab"}));
  EXPECT_EQ(access->default_for_client_questions, std::vector<std::string>{"u-cmc"});
  EXPECT_FALSE(state_.AccessFor("d-nope").has_value());
  auto actor = state_.ActorFor("u-cmc");
  ASSERT_TRUE(actor.has_value());
  EXPECT_TRUE(IsManager(actor->role));
}

TEST_F(DirectoryTest, RefusesDossiersWithStrangersOrWrongSides) {
  GivenAFirmWithPeople();
  ExpectError(When(DefineDossier{"d-1", "D", "", {{"u-cmc", "full_access"}}, {}}),
              ErrorCode::kInvalidArgument);
  ExpectError(When(DefineDossier{"d-1", "D", "", {}, {"u-c1"}}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineDossier{"d-1", "D", "", {{"u-ghost", "full_access"}}, {}}),
              ErrorCode::kInvalidArgument);
  ExpectError(When(DefineDossier{"d-1", "D", "", {{"u-c1", "owner"}}, {}}), ErrorCode::kInvalidArgument);
  ExpectError(When(DefineDossier{"d-1", "D", "", {{"u-c1", ""}, {"u-c1", ""}}, {}}),
              ErrorCode::kInvalidArgument);
  ExpectError(When(DefineDossier{"d-1", "", "", {}, {}}), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::domain
