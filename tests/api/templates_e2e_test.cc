// Templates over real HTTP (SPEC section 5): the shipped standard set, a
// firm's overrides and own templates, who may see and edit them, and
// starting a conversation from one.
#include <gtest/gtest.h>

#include <set>

#include "api/standard_templates.h"
#include "tests/api/firm_fixture.h"

namespace parley {
namespace {

// A template body with the same text in the four languages.
std::string Definition(const std::string& name, const std::string& type, const std::string& subject,
                       const std::string& text) {
  json::object languages;
  for (const char* l : {"fr", "nl", "en", "de"})
    languages[l] = json::object{{"subject", subject + " " + l}, {"body", text}};
  json::object body{{"name", name}, {"languages", std::move(languages)}};
  if (!type.empty()) body["type"] = type;
  return json::serialize(body);
}

class TemplatesApiTest : public FirmApiTest {
 protected:
  testing::HttpResponse Put(const std::string& path, const std::string& body, const std::string& user,
                            const std::string& firm = "f1") {
    return Call(http::verb::put, path, body, testing::UserToken(user, firm));
  }
  testing::HttpResponse Delete(const std::string& path, const std::string& user) {
    return Call(http::verb::delete_, path, "", testing::UserToken(user, "f1"));
  }
  // id -> the template, as `user` of `firm` lists them.
  std::map<std::string, json::object> Listed(const std::string& user, const std::string& firm = "f1") {
    auto r = Get("/v1/templates", user, firm);
    EXPECT_EQ(r.status, 200u) << r.body;
    std::map<std::string, json::object> out;
    const auto body = r.json();
    for (const auto& item : body.at("items").as_array())
      out[std::string(item.at("id").as_string())] = item.as_object();
    return out;
  }
};

TEST(StandardTemplatesTest, TheShippedSetLoadsAndCoversTheCasesOfTheSpec) {
  auto parsed = api::ParseStandardTemplates(api::StandardTemplatesJson());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_GE(parsed->size(), 10u);
  std::set<std::string> ids;
  for (const auto& t : *parsed) {
    ids.insert(t.id);
    for (const char* language : {"fr", "nl", "en", "de"}) {
      ASSERT_TRUE(t.languages.count(language)) << t.id << " " << language;
      EXPECT_GT(t.languages.at(language).body.size(), 100u) << t.id << " " << language << ": a real body";
    }
  }
  EXPECT_EQ(ids.size(), parsed->size()) << "unique ids";
  // A broken file is refused with the template named.
  auto broken = api::ParseStandardTemplates(
      R"({"templates":[{"id":"std-x","type":"general","name":"X","languages":{"fr":{"subject":"S","body":"%deadline%"}}}]})");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("std-x"), std::string::npos);
}

TEST_F(TemplatesApiTest, StaffSeeTheStandardSetAndClientsSeeNothing) {
  auto listed = Listed("u-collab");
  EXPECT_EQ(listed.size(), api::StandardTemplates().size());
  for (const auto& [id, t] : listed) {
    EXPECT_EQ(t.at("origin").as_string(), "standard") << id;
    EXPECT_EQ(t.at("languages").as_object().size(), 4u) << id;
  }
  auto dutch = Get("/v1/templates?lang=nl", "u-collab").json();
  for (const auto& t : dutch.at("items").as_array()) {
    EXPECT_EQ(t.at("languages").as_object().size(), 1u);
    EXPECT_TRUE(t.at("languages").as_object().contains("nl"));
  }
  EXPECT_EQ(Get("/v1/templates?lang=es", "u-collab").status, 400u);
  for (const char* user : {"u-c1", "u-audit"}) {
    auto r = Get("/v1/templates", user);
    EXPECT_EQ(r.status, 404u) << user;
    EXPECT_EQ(Code(r), "not_found");
    EXPECT_EQ(Post("/v1/templates", Definition("X", "general", "S", "B"), user).status, 404u) << user;
  }
}

TEST_F(TemplatesApiTest, AnOverrideIsTheFirmsOwnUntilReset) {
  const std::string id = api::StandardTemplates().front().id;
  const std::string type = domain::ToString(api::StandardTemplates().front().type);
  auto saved =
      Put("/v1/templates/" + id, Definition("Notre version", "", "Objet", "Bonjour %client_name%"), "u-cmc");
  ASSERT_EQ(saved.status, 200u) << saved.body;
  EXPECT_EQ(saved.json().at("origin").as_string(), "override");
  EXPECT_EQ(saved.json().at("type").as_string(), type) << "kept from the standard";
  EXPECT_EQ(Listed("u-collab").at(id).at("name").as_string(), "Notre version");
  EXPECT_EQ(Listed("u-f2", "f2").at(id).at("origin").as_string(), "standard")
      << "never leaks to another firm";
  EXPECT_EQ(
      Put("/v1/templates/" + id, Definition("X", "", "S", "B"), "u-f2", "f2").json().at("origin").as_string(),
      "override");
  EXPECT_EQ(Listed("u-collab").at(id).at("name").as_string(), "Notre version") << "nor back";

  auto reset = Post("/v1/templates/" + id + "/reset", "", "u-cmc");
  ASSERT_EQ(reset.status, 200u) << reset.body;
  EXPECT_EQ(reset.json().at("origin").as_string(), "standard");
  EXPECT_EQ(Listed("u-collab").at(id).at("origin").as_string(), "standard");
  EXPECT_EQ(Delete("/v1/templates/" + id, "u-cmc").status, 400u)
      << "a standard template is reset, not deleted";
}

TEST_F(TemplatesApiTest, AFirmTemplateIsCreatedEditedAndDeleted) {
  auto created =
      Post("/v1/templates", Definition("Relance", "deadline", "Rappel", "Avant le %deadline%."), "u-cmc");
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string id(created.json().at("id").as_string());
  EXPECT_EQ(created.json().at("origin").as_string(), "firm");
  EXPECT_EQ(Listed("u-collab").at(id).at("type").as_string(), "deadline");
  EXPECT_EQ(Listed("u-f2", "f2").count(id), 0u);
  EXPECT_EQ(Put("/v1/templates/" + id, Definition("Relance 2", "", "Rappel", "Bonjour"), "u-f2", "f2").status,
            404u)
      << "another firm's template does not exist for f2";
  auto edited = Put("/v1/templates/" + id, Definition("Relance 2", "general", "Rappel", "Bonjour"), "u-cmc");
  ASSERT_EQ(edited.status, 200u) << edited.body;
  EXPECT_EQ(edited.json().at("name").as_string(), "Relance 2");
  EXPECT_EQ(Delete("/v1/templates/" + id, "u-cmc").status, 204u);
  EXPECT_EQ(Listed("u-collab").count(id), 0u);
  EXPECT_EQ(Delete("/v1/templates/" + id, "u-cmc").status, 404u);
}

TEST_F(TemplatesApiTest, BadTemplatesAreRefusedAndWriteNothing) {
  auto unknown = Post("/v1/templates", Definition("X", "general", "S", "Avant le %deadline%"), "u-cmc");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(Code(unknown), "invalid_argument");
  EXPECT_NE(unknown.json().at("error").at("message").as_string().find("%deadline%"), std::string::npos)
      << "the error names the variable";
  json::value spanish = json::parse(Definition("X", "general", "S", "B"));
  spanish.at("languages").as_object()["es"] = {{"subject", "S"}, {"body", "B"}};
  EXPECT_EQ(Post("/v1/templates", json::serialize(spanish), "u-cmc").status, 400u) << "unknown language";
  json::value empty = json::parse(Definition("X", "general", "S", "B"));
  empty.at("languages").at("de").as_object()["subject"] = "";
  EXPECT_EQ(Post("/v1/templates", json::serialize(empty), "u-cmc").status, 400u) << "empty subject";
  EXPECT_EQ(Post("/v1/templates", Definition("X", "", "S", "B"), "u-cmc").status, 400u) << "no type";
  EXPECT_EQ(Post("/v1/templates", R"({"name":"X","languages":[]})", "u-cmc").status, 400u);
  auto collaborateur = Post("/v1/templates", Definition("X", "general", "S", "B"), "u-collab");
  EXPECT_EQ(collaborateur.status, 403u) << "collaborateurs read, managers edit";
  EXPECT_EQ(Put("/v1/templates/std-nothing", Definition("X", "general", "S", "B"), "u-cmc").status, 404u);
  for (const auto& [id, t] : Listed("u-collab")) EXPECT_EQ(t.at("origin").as_string(), "standard") << id;
}

TEST_F(TemplatesApiTest, AFirmAdminEditsTemplates) {
  Admin("/v1/admin/firms/f1/users/u-admin", R"({"kind":"admin","name":"Admin","email":"x@d.example"})");
  EXPECT_EQ(Post("/v1/templates", Definition("X", "general", "S", "B"), "u-admin").status, 201u);
}

TEST_F(TemplatesApiTest, StartingFromATemplateRendersItForTheDossier) {
  Admin("/v1/admin/firms/f1/dossiers/d-106",
        R"({"name":"Bakkerij Peeters","language":"nl","clients":[{"user":"u-c1"}],"staff":["u-cmc"]})");
  auto created =
      Post("/v1/templates",
           Definition("Relance", "deadline", "Stukken %period%",
                      "Beste %recipient_name%, %client_name% vóór %deadline% (%period%). %sender_name%, "
                      "%accountant_name%"),
           "u-cmc");
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string id(created.json().at("id").as_string());
  const std::string use =
      R"({"template":{"id":")" + id + R"(","variables":{"deadline":"2026-12-15","period":"T4 2026"}}})";
  auto started = Post("/v1/dossiers/d-106/conversations", use, "u-cmc");
  ASSERT_EQ(started.status, 201u) << started.body;
  auto conversation = started.json();
  EXPECT_EQ(conversation.at("subject").as_string(), "Stukken T4 2026 nl") << "the dossier's language";
  EXPECT_EQ(conversation.at("messages").at(0).at("body").as_string(),
            "Beste Anne Moreau, Bakkerij Peeters vóór 15-12-2026 (T4 2026). Claire Martin, Cabinet Dupont");
  // d-104 has no language: the firm's (fr); both clients are addressed.
  auto fr = Post("/v1/dossiers/d-104/conversations", use, "u-cmc").json();
  EXPECT_EQ(fr.at("subject").as_string(), "Stukken T4 2026 fr");
  EXPECT_EQ(std::string(fr.at("messages").at(0).at("body").as_string()).substr(0, 29),
            "Beste Anne Moreau, Paul Morea");
  // The subject and body may still be edited in the request.
  auto edited = Post("/v1/dossiers/d-104/conversations",
                     R"({"subject":"Mon objet","template":{"id":")" + id +
                         R"(","variables":{"deadline":"2026-12-15","period":"T4"}}})",
                     "u-cmc");
  ASSERT_EQ(edited.status, 201u) << edited.body;
  EXPECT_EQ(edited.json().at("subject").as_string(), "Mon objet");

  auto missing = Post("/v1/dossiers/d-104/conversations", R"({"template":{"id":")" + id + R"("}})", "u-cmc");
  EXPECT_EQ(missing.status, 400u) << "deadline and period not given";
  EXPECT_NE(missing.json().at("error").at("message").as_string().find("%period%"), std::string::npos)
      << "the error names the missing variable";
  auto stray =
      Post("/v1/dossiers/d-104/conversations",
           R"({"template":{"id":")" + id + R"(","variables":{"deadline":"x","period":"y","colour":"z"}}})",
           "u-cmc");
  EXPECT_EQ(stray.status, 400u);
  EXPECT_EQ(Post("/v1/dossiers/d-104/conversations", R"({"template":{"id":"std-nothing"}})", "u-cmc").status,
            404u);
  EXPECT_EQ(
      Post("/v1/dossiers/d-104/conversations", R"({"template":{"id":")" + id + R"("},"subject":""})", "u-cmc")
          .status,
      400u);
  EXPECT_EQ(Post("/v1/dossiers/d-104/conversations", R"({"template":{"id":")" + id + R"("}})", "u-c1").status,
            404u)
      << "clients do not use templates";
  EXPECT_EQ(Get("/v1/dossiers/d-104/counters", "u-cmc").json().at("open").as_int64(), 2)
      << "refusals started nothing";
}

}  // namespace
}  // namespace parley
