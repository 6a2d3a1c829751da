// parley-demo: loads a demo firm into a data directory (of a stopped
// server) through the same service the HTTP API uses, and prints bearer
// tokens for a staff user and a client user.
//
//   parley-demo --data DIR [--dossiers N] [--events N] [--jwt-secret S]
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "api/jwt.h"
#include "api/service.h"
#include "projections/all_projections.h"
#include "projections/directory_projection.h"
#include "tools/flags.h"

namespace {

using namespace parley;
namespace json = boost::json;

constexpr const char* kFirm = "demo";

const char* const kCompanies[] = {"Boulangerie Moreau", "Garage Lambert",  "Cabinet dentaire Peeters",
                                  "Brasserie De Smet",  "Atelier Dubois",  "Pharmacie Janssens",
                                  "Librairie Martin",   "Fleuriste Claes", "Menuiserie Lejeune",
                                  "Hôtel Willems",      "Transports Maes", "Studio Graphique Mertens"};
const char* const kLanguages[] = {"fr", "nl", "en", "de"};

// Fails loudly: the demo is for people looking at the product.
template <class T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) {
    std::cerr << "parley-demo: " << what << ": " << r.error().message << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

void Must(Result<void> r, const std::string& what) {
  if (!r.ok()) {
    std::cerr << "parley-demo: " << what << ": " << r.error().message << "\n";
    std::exit(1);
  }
}

api::Caller User(const std::string& id) {
  api::Caller caller;
  caller.subject = id;
  caller.firm = kFirm;
  return caller;
}

std::string Token(const std::string& user, const std::string& secret) {
  using namespace std::chrono;
  const auto exp = duration_cast<seconds>(system_clock::now().time_since_epoch()).count() + 30 * 24 * 3600;
  return api::SignJwt({{"sub", user}, {"firm", kFirm}, {"aud", "parley"}, {"exp", exp}}, secret);
}

}  // namespace

int main(int argc, char** argv) {
  tools::Flags flags(argc, argv, {});
  const std::string data = flags.Get("data", "./data");
  const int dossiers = static_cast<int>(flags.GetInt("dossiers", 24, 1, 10'000));
  const long long min_events = flags.GetInt("events", 0, 0, 100'000'000);
  const char* env_secret = std::getenv("PARLEY_JWT_SECRET");
  const std::string secret = flags.Get("jwt-secret", env_secret ? env_secret : "");
  if (!flags.ok() || secret.size() < 16) {
    std::cerr << "usage: parley-demo --data DIR [--dossiers N] [--events N] --jwt-secret S (16+ bytes, or "
                 "PARLEY_JWT_SECRET)\n"
              << flags.error() << "\n";
    return 2;
  }

  eventstore::RocksDbStoreOptions options;
  options.path = data + "/log";
  auto log = Must(eventstore::OpenRocksDbStore(options), "cannot open the log");
  auto models = Must(projections::ReadModelStore::Open(data + "/projections"), "cannot open the read models");
  projections::AllProjections all;
  projections::Projector projector(*log, *models, all.list());
  if (auto started = projector.Start(); !started.ok()) {
    std::cerr << "parley-demo: " << started.error().message << "\n";
    return 1;
  }
  const eventstore::PartitionedLog partitions(*log);  // the demo runs on the embedded log
  api::Service service(partitions, *models, projector, all.directory(), SystemClock::Instance());
  const api::Claims platform{"parley-demo", "", true, 0};

  const bool fresh = !Must(projections::LoadDirectory(*models, kFirm), "cannot read the directory").firm;
  if (fresh) {
    Must(service.PutFirm(platform, kFirm, {{"name", "Cabinet Demo & Associés"}, {"default_language", "fr"}}),
         "firm");
    const json::object staff[] = {
        {{"id", "u-ec"}, {"name", "Sophie Lambert"}, {"role", "expert_comptable"}},
        {{"id", "u-cmc"}, {"name", "Claire Martin"}, {"role", "chef_mission_comptable"}},
        {{"id", "u-cms"}, {"name", "Marc Dubois"}, {"role", "chef_mission_social"}},
        {{"id", "u-collab"}, {"name", "Luc Petit"}, {"role", "collaborateur"}},
        {{"id", "u-collab2"}, {"name", "Inès Claes"}, {"role", "collaborateur"}},
    };
    for (const auto& s : staff) {
      const std::string id(s.at("id").as_string());
      Must(service.PutUser(platform, kFirm, id,
                           {{"kind", "staff"},
                            {"name", s.at("name")},
                            {"email", id + "@demo.example"},
                            {"role", s.at("role")}}),
           "staff " + id);
    }
    Must(service.PutUser(platform, kFirm, "u-admin",
                         {{"kind", "admin"}, {"name", "Admin Demo"}, {"email", "admin@demo.example"}}),
         "admin");
    for (int d = 1; d <= dossiers; ++d) {
      const std::string n = std::to_string(d);
      const std::string language = kLanguages[d % 4];
      for (const char* suffix : {"a", "b"}) {
        const std::string id = "c-" + n + suffix;
        Must(service.PutUser(platform, kFirm, id,
                             {{"kind", "client"},
                              {"name", std::string(suffix) == "a" ? "Anne Client " + n : "Paul Client " + n},
                              {"email", id + "@client.example"},
                              {"language", language}}),
             "client " + id);
      }
      const std::string name = std::string(kCompanies[(d - 1) % 12]) + (d > 12 ? " " + n : "");
      Must(service.PutDossier(platform, kFirm, "d-" + n,
                              {{"name", name},
                               {"language", language},
                               {"clients", json::array{{{"user", "c-" + n + "a"}, {"profile", "full_access"}},
                                                       {{"user", "c-" + n + "b"}, {"profile", "limited"}}}},
                               {"staff", json::array{d % 2 ? "u-cmc" : "u-collab", "u-ec"}}}),
           "dossier " + n);
      const std::string dossier = "d-" + n;
      // A client's question, still waiting for the firm.
      Must(service.StartConversation(User("c-" + n + "a"), dossier,
                                     {{"subject", "Dépense professionnelle ?"},
                                      {"body", "Bonjour, ce repas d'affaires est-il déductible ?"}}),
           "question");
      // A request the client answered, with a private note.
      auto request = Must(
          service.StartConversation(User("u-cmc"), dossier,
                                    {{"subject", "TVA T3 : pièces manquantes"},
                                     {"body", "Bonjour, il nous manque les factures d'achat de septembre."},
                                     {"reminders", {{"enabled", true}, {"every_days", 3}, {"count", 2}}}}),
          "request");
      const std::string rid(request.resource.at("id").as_string());
      Must(service.PostMessage(User("c-" + n + "a"), rid, {{"body", "Les voici, en pièce jointe."}}),
           "answer");
      Must(service.AddNote(User("u-cmc"), rid, {{"body", "Vérifier la facture du fournisseur."}}), "note");
      // A closed one.
      auto done = Must(service.StartConversation(User("u-collab"), dossier,
                                                 {{"subject", "Bilan 2025"}, {"body", "Le bilan est prêt."}}),
                       "closed one");
      const std::string did(done.resource.at("id").as_string());
      Must(service.PostMessage(User("c-" + n + "a"), did, {{"body", "Merci !"}}), "thanks");
      Must(service.CloseOrReopen(User("u-collab"), did, false), "close");
    }
  }
  // More traffic until the log holds at least --events events.
  for (int i = 0; static_cast<long long>(log->LastPosition()) < min_events; ++i) {
    const std::string n = std::to_string(1 + i % dossiers);
    auto started = Must(service.StartConversation(User("u-cmc"), "d-" + n,
                                                  {{"subject", "Relevés bancaires " + std::to_string(i)},
                                                   {"body", "Pouvez-vous nous transmettre vos relevés ?"}}),
                        "traffic");
    const std::string id(started.resource.at("id").as_string());
    Must(service.PostMessage(User("c-" + n + "a"), id, {{"body", "Oui, demain."}}), "traffic answer");
    Must(service.MarkRead(User("u-cmc"), id, {}), "traffic read");
  }
  projector.Stop();
  std::cout << (fresh ? "Loaded" : "Found") << " the demo firm \"" << kFirm << "\" in " << data << " ("
            << log->LastPosition() << " events).\n\n"
            << "Staff token (u-cmc, chef de mission comptable):\n"
            << Token("u-cmc", secret) << "\n\n"
            << "Client token (c-1a, Boulangerie Moreau):\n"
            << Token("c-1a", secret) << "\n";
  log->Close();
  return 0;
}
