// Settings over real HTTP (SPEC section 6): notification choices,
// participation by default, the recipient picker, and the participants a
// new question gets from them.
#include <gtest/gtest.h>

#include "tests/api/firm_fixture.h"

namespace parley {
namespace {

class SettingsApiTest : public FirmApiTest {
 protected:
  testing::HttpResponse Put(const std::string& path, const std::string& body, const std::string& user) {
    return Call(http::verb::put, path, body, testing::UserToken(user, "f1"));
  }
  // user -> participates_by_default, as `caller` sees the picker of d-104.
  std::map<std::string, bool> Picker(const std::string& caller) {
    auto r = Get("/v1/dossiers/d-104/recipients", caller);
    EXPECT_EQ(r.status, 200u) << r.body;
    std::map<std::string, bool> out;
    const auto body = r.json();
    for (const auto& item : body.at("items").as_array())
      out[std::string(item.at("user").as_string())] = item.at("participates_by_default").as_bool();
    return out;
  }
};

TEST_F(SettingsApiTest, NotificationSettingsDefaultToTheProfileAndAreChecked) {
  auto initial = Get("/v1/me/settings", "u-c1").json();
  EXPECT_EQ(initial.at("notification_frequency").as_string(), "immediate");
  EXPECT_EQ(initial.at("notification_language").as_string(), "fr");
  auto set =
      Put("/v1/me/settings", R"({"notification_frequency":"daily","notification_language":"nl"})", "u-c1");
  ASSERT_EQ(set.status, 200u) << set.body;
  EXPECT_EQ(Get("/v1/me/settings", "u-c1").json(), set.json());
  auto partial = Put("/v1/me/settings", R"({"notification_frequency":"never"})", "u-c1").json();
  EXPECT_EQ(partial.at("notification_language").as_string(), "nl") << "left out: kept";
  EXPECT_EQ(Get("/v1/me/settings", "u-c2").json().at("notification_frequency").as_string(), "immediate")
      << "each user their own";
  for (const char* bad : {R"({"notification_frequency":"weekly"})", R"({"notification_language":"es"})",
                          R"({"notification_frequency":3})"}) {
    auto r = Put("/v1/me/settings", bad, "u-c1");
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(Code(r), "invalid_argument");
  }
  EXPECT_EQ(Get("/v1/me/settings", "u-c1").json().at("notification_frequency").as_string(), "never")
      << "refusals change nothing";
}

TEST_F(SettingsApiTest, ParticipationDecidesWhoAnswersAClientsNewQuestion) {
  // By default the staff assigned to d-104 (u-cmc) take part.
  EXPECT_EQ(Picker("u-c1"), (std::map<std::string, bool>{{"u-cmc", true}, {"u-collab", false}}));
  // u-cmc opts out for d-104, u-collab opts in for every dossier.
  ASSERT_EQ(
      Put("/v1/me/participation", R"({"dossier":"d-104","questions_for_accountant":false})", "u-cmc").status,
      200u);
  auto all = Put("/v1/me/participation", R"({"all":true,"questions_for_accountant":true})", "u-collab");
  ASSERT_EQ(all.status, 200u) << all.body;
  const auto chosen = all.json();
  for (const auto& item : chosen.at("items").as_array())
    EXPECT_TRUE(item.at("questions_for_accountant").as_bool());
  EXPECT_EQ(Picker("u-c1"), (std::map<std::string, bool>{{"u-cmc", false}, {"u-collab", true}}));

  std::string id = Start("u-c1", R"({"subject":"Question","body":"Bonjour"})");
  auto conversation = Get("/v1/conversations/" + id, "u-cmc").json();
  EXPECT_EQ(conversation.at("participants"), json::array({"u-collab"})) << "exactly the participating staff";
  // u-cmc is still selectable by hand.
  std::string picked = Start("u-c1", R"({"subject":"Q2","body":"?","staff_participants":["u-cmc"]})");
  auto both = Get("/v1/conversations/" + picked, "u-cmc").json().at("participants").as_array();
  EXPECT_EQ(both.size(), 2u);
}

TEST_F(SettingsApiTest, StaffQuestionsAddThoseWhoChoseThemAndClientsHaveNoParticipation) {
  ASSERT_EQ(
      Put("/v1/me/participation", R"({"dossier":"d-104","questions_for_entrepreneur":true})", "u-collab")
          .status,
      200u);
  EXPECT_TRUE(Picker("u-cmc").at("u-collab")) << "staff's picker: questions for the entrepreneur";
  std::string id = Start("u-cmc");
  auto participants = Get("/v1/conversations/" + id, "u-cmc").json().at("participants");
  EXPECT_EQ(participants, json::array({"u-cmc", "u-collab"}));
  EXPECT_EQ(Get("/v1/me/participation", "u-c1").status, 403u);
  EXPECT_EQ(
      Put("/v1/me/participation", R"({"dossier":"d-104","questions_for_accountant":true})", "u-c1").status,
      403u);
}

TEST_F(SettingsApiTest, ParticipationRefusalsAndVisibility) {
  EXPECT_EQ(
      Put("/v1/me/participation", R"({"dossier":"d-999","questions_for_accountant":true})", "u-cmc").status,
      404u);
  EXPECT_EQ(Put("/v1/me/participation", R"({"dossier":"d-104"})", "u-cmc").status, 400u);
  EXPECT_EQ(
      Put("/v1/me/participation", R"({"dossier":"d-104","questions_for_accountant":"yes"})", "u-cmc").status,
      400u);
  EXPECT_EQ(Put("/v1/me/participation", R"({"dossier":"d-104","all":true,"questions_for_accountant":true})",
                "u-cmc")
                .status,
            400u);
  auto mine = Get("/v1/me/participation", "u-cmc").json().at("items").as_array();
  ASSERT_EQ(mine.size(), 2u) << "every dossier of the firm";
  EXPECT_TRUE(mine.at(0).at("questions_for_accountant").as_bool()) << "d-104: assigned, so on by default";
  EXPECT_FALSE(mine.at(0).at("questions_for_entrepreneur").as_bool());
  EXPECT_EQ(Get("/v1/dossiers/d-104/recipients", "u-f2", "f2").status, 404u);
  EXPECT_EQ(Get("/v1/dossiers/d-105/recipients", "u-c1").status, 404u) << "not the client's dossier";
}

}  // namespace
}  // namespace parley
