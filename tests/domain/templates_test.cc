// Templates: what may be saved, a firm's overrides and own templates as
// given/when/then over its events, and rendering for one dossier.
#include "domain/templates.h"

#include <gtest/gtest.h>

#include "domain/event_codec.h"

namespace parley::domain {
namespace {

std::map<std::string, TemplateText> AllLanguages(const std::string& subject, const std::string& body) {
  return {{"fr", {subject + " (fr)", body}},
          {"nl", {subject + " (nl)", body}},
          {"en", {subject + " (en)", body}},
          {"de", {subject + " (de)", body}}};
}

Template Standard(const std::string& id, TemplateType type, const std::string& body) {
  return {id, type, "Standard " + id, AllLanguages("Sujet", body), TemplateOrigin::kStandard};
}

class TemplatesTest : public ::testing::Test {
 protected:
  Result<std::vector<TemplateEvent>> When(const TemplateCommand& command, const Actor& actor = kManager) {
    return Decide(state_, command, standard_, "f1", actor, now_);
  }
  void Given(const TemplateCommand& command) {
    auto events = When(command);
    ASSERT_TRUE(events.ok()) << events.error().message;
    for (const auto& e : *events) Evolve(state_, e);
  }
  static void ExpectError(const Result<std::vector<TemplateEvent>>& r, ErrorCode code,
                          const std::string& names = "") {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(names), std::string::npos) << r.error().message;
  }
  static SaveTemplate Save(const std::string& id, const std::string& type, const std::string& body,
                           bool create = false) {
    return {id, create, type, "Mon modèle", AllLanguages("Objet", body)};
  }

  static inline const Actor kManager{"u-cmc", UserKind::kStaff, StaffRole::kChefMissionComptable};
  static inline const Actor kCollaborateur{"u-collab", UserKind::kStaff, StaffRole::kCollaborateur};
  static inline const Actor kAdmin{"u-admin", UserKind::kAdmin, StaffRole::kNone};
  static inline const Actor kClient{"u-c1", UserKind::kClient, StaffRole::kNone};

  std::vector<Template> standard_ = {
      Standard("std-vat", TemplateType::kDeadline, "Avant le %deadline% (%period%), %client_name%."),
      Standard("std-hello", TemplateType::kGeneral, "Bonjour %recipient_name%, %sender_name%.")};
  FirmTemplates state_;
  Micros now_ = 1'790'000'000'000'000;
};

TEST_F(TemplatesTest, SavingChecksVariablesAgainstTheTypeAndNamesTheUnknownOne) {
  Template t = Standard("x", TemplateType::kGeneral, "Avant le %deadline%.");
  auto checked = CheckTemplate(t);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(checked.error().message.find("%deadline%"), std::string::npos) << checked.error().message;
  t.type = TemplateType::kDeadline;
  EXPECT_TRUE(CheckTemplate(t).ok());
  t.languages["en"].body = "Dear %client%";
  checked = CheckTemplate(t);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("%client%"), std::string::npos);
  // A percent sign that opens no name is text.
  t.languages["en"].body = "VAT at 21 % and 6 %, 100% sure, 50%/50%.";
  EXPECT_TRUE(CheckTemplate(t).ok());
}

TEST_F(TemplatesTest, SavingNeedsANameAndASubjectInEachOfTheFourLanguagesAndNoOther) {
  Template t = Standard("x", TemplateType::kGeneral, "Bonjour");
  t.languages.erase("de");
  EXPECT_FALSE(CheckTemplate(t).ok()) << "every client must be reachable in their language";
  t = Standard("x", TemplateType::kGeneral, "Bonjour");
  t.languages["es"] = {"Hola", "Hola"};
  auto checked = CheckTemplate(t);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("\"es\""), std::string::npos);
  t = Standard("x", TemplateType::kGeneral, "Bonjour");
  t.languages["nl"].subject = "";
  EXPECT_FALSE(CheckTemplate(t).ok());
  t = Standard("x", TemplateType::kGeneral, "Bonjour");
  t.languages["fr"].subject = std::string(201, 'a');
  EXPECT_FALSE(CheckTemplate(t).ok());
  t = Standard("x", TemplateType::kGeneral, "Bonjour");
  t.name = "";
  EXPECT_FALSE(CheckTemplate(t).ok());
  t = Standard("x", TemplateType::kGeneral, "Bonjour \xff");
  EXPECT_FALSE(CheckTemplate(t).ok()) << "not UTF-8";
}

TEST_F(TemplatesTest, AnOverrideReplacesTheStandardForThisFirmUntilReset) {
  Given(Save("std-vat", "", "Chers clients, avant le %deadline%."));
  auto effective = EffectiveTemplates(standard_, state_);
  ASSERT_EQ(effective.size(), 2u);
  EXPECT_EQ(effective[0].origin, TemplateOrigin::kOverride);
  EXPECT_EQ(effective[0].type, TemplateType::kDeadline) << "the override keeps the standard's type";
  EXPECT_EQ(effective[0].languages.at("fr").body, "Chers clients, avant le %deadline%.");
  ExpectError(When(Save("std-vat", "general", "Bonjour")), ErrorCode::kInvalidArgument, "type");
  // Saving the same override again records nothing.
  auto again = When(Save("std-vat", "", "Chers clients, avant le %deadline%."));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());

  Given(ResetTemplate{"std-vat"});
  effective = EffectiveTemplates(standard_, state_);
  EXPECT_EQ(effective[0], standard_[0]);
  auto reset_again = When(ResetTemplate{"std-vat"});
  ASSERT_TRUE(reset_again.ok());
  EXPECT_TRUE(reset_again->empty()) << "already the standard";
  ExpectError(When(DeleteTemplate{"std-vat"}), ErrorCode::kInvalidArgument, "reset");
}

TEST_F(TemplatesTest, AFirmCreatesEditsAndDeletesItsOwnTemplates) {
  Given(Save("tpl_1", "general", "Bonjour %client_name%", true));
  ExpectError(When(Save("tpl_1", "general", "Encore", true)), ErrorCode::kConflict);
  auto effective = EffectiveTemplates(standard_, state_);
  ASSERT_EQ(effective.size(), 3u);
  EXPECT_EQ(effective[2].origin, TemplateOrigin::kFirm);
  Given(Save("tpl_1", "deadline", "Avant le %deadline%"));
  EXPECT_EQ(FindTemplate(standard_, state_, "tpl_1")->type, TemplateType::kDeadline);
  ExpectError(When(ResetTemplate{"tpl_1"}), ErrorCode::kInvalidArgument);
  Given(DeleteTemplate{"tpl_1"});
  EXPECT_EQ(FindTemplate(standard_, state_, "tpl_1"), nullptr);
  ExpectError(When(DeleteTemplate{"tpl_1"}), ErrorCode::kNotFound);
  ExpectError(When(Save("tpl_unknown", "general", "x")), ErrorCode::kNotFound);
  ExpectError(When(Save("tpl_2", "weekly", "x", true)), ErrorCode::kInvalidArgument, "general or deadline");
}

TEST_F(TemplatesTest, OnlyManagersAndAdminsEditTemplates) {
  ExpectError(When(Save("tpl_1", "general", "x", true), kCollaborateur), ErrorCode::kForbidden);
  ExpectError(When(ResetTemplate{"std-vat"}, kClient), ErrorCode::kForbidden);
  EXPECT_TRUE(When(Save("tpl_1", "general", "x", true), kAdmin).ok());
  EXPECT_TRUE(When(Save("tpl_1", "general", "x", true), kManager).ok());
}

TEST_F(TemplatesTest, RenderingSubstitutesEveryVariableInTheChosenLanguage) {
  RenderValues values{"Cabinet Dupont",
                      "Boulangerie Moreau",
                      "Anne Moreau",
                      "Claire Martin",
                      {{"deadline", "2026-12-15"}, {"period", "T4 2026"}}};
  auto fr = Render(standard_[0], "fr", values);
  ASSERT_TRUE(fr.ok()) << fr.error().message;
  EXPECT_EQ(fr->subject, "Sujet (fr)");
  EXPECT_EQ(fr->body, "Avant le 15/12/2026 (T4 2026), Boulangerie Moreau.");
  EXPECT_EQ(Render(standard_[0], "nl", values)->body, "Avant le 15-12-2026 (T4 2026), Boulangerie Moreau.");
  EXPECT_EQ(Render(standard_[0], "de", values)->body, "Avant le 15.12.2026 (T4 2026), Boulangerie Moreau.");
  values.provided["deadline"] = "fin du mois";
  EXPECT_EQ(Render(standard_[0], "fr", values)->body, "Avant le fin du mois (T4 2026), Boulangerie Moreau.");
  values.provided["deadline"] = "2026-02-30";
  EXPECT_EQ(Render(standard_[0], "fr", values)->body.substr(9, 10), "2026-02-30") << "not a date: as given";
  auto hello =
      Render(standard_[1], "en", {"Cabinet Dupont", "Boulangerie", "Anne Moreau", "Claire Martin", {}});
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->body, "Bonjour Anne Moreau, Claire Martin.");
}

TEST_F(TemplatesTest, RenderingRefusesMissingAndUnknownVariables) {
  RenderValues values{"Cabinet", "Dossier", "Anne", "Claire", {{"period", "T4"}}};
  auto missing = Render(standard_[0], "fr", values);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("deadline"), std::string::npos) << "never sent as %deadline%";
  values.provided = {{"deadline", "2026-12-15"}};
  EXPECT_FALSE(Render(standard_[1], "fr", values).ok()) << "a general template takes no deadline";
  values.provided = {{"client_name", "Someone else"}};
  auto overridden = Render(standard_[1], "fr", values);
  ASSERT_FALSE(overridden.ok());
  EXPECT_NE(overridden.error().message.find("client_name"), std::string::npos);
}

TEST_F(TemplatesTest, TheDossiersLanguageElseTheFirmsElseFrench) {
  EXPECT_EQ(RenderLanguage("nl", "fr"), "nl");
  EXPECT_EQ(RenderLanguage("", "de"), "de");
  EXPECT_EQ(RenderLanguage("", ""), "fr");
}

TEST_F(TemplatesTest, EventsRoundTripThroughTheirPayloads) {
  Template t = Standard("std-vat", TemplateType::kDeadline, "Avant le %deadline% — « merci »");
  t.origin = TemplateOrigin::kOverride;
  for (const TemplateEvent& e :
       std::vector<TemplateEvent>{TemplateSaved{"f1", t, now_}, TemplateReset{"f1", "std-vat", now_},
                                  TemplateDeleted{"f1", "tpl_9", now_}}) {
    auto decoded = DecodeTemplateEvent(TypeName(e), kEventSchemaVersion, EncodeEvent(e));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, e);
  }
  EXPECT_FALSE(DecodeTemplateEvent("TemplateSaved", kEventSchemaVersion, "garbage").ok());
}

}  // namespace
}  // namespace parley::domain
