// The application service: turns authenticated requests into commands
// (load the aggregate from its stream, decide, append with its version,
// wait for the projections) and queries of the read models. The router
// maps HTTP onto it; it knows nothing of HTTP itself.
#pragma once

#include <boost/json.hpp>

#include <string>

#include "api/jwt.h"
#include "common/clock.h"
#include "common/result.h"
#include "domain/directory.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"

namespace parley::api {

// A successful write: the resource as JSON and whether it was created.
struct Written {
  boost::json::object resource;
  bool created = false;
};

class Service {
 public:
  Service(eventstore::EventStore& log, projections::ReadModelStore& models, projections::Projector& projector,
          const Clock& clock);

  // PUT /v1/admin/firms/{firm}[/users/{user} | /dossiers/{dossier}]
  Result<Written> PutFirm(const Claims& caller, const std::string& firm, const boost::json::object& body);
  Result<Written> PutUser(const Claims& caller, const std::string& firm, const std::string& user,
                          const boost::json::object& body);
  Result<Written> PutDossier(const Claims& caller, const std::string& firm, const std::string& dossier,
                             const boost::json::object& body);

  eventstore::EventStore& log() { return log_; }

 private:
  // Platform tokens may administer every firm; a user of kind admin only
  // their own. Others' firms answer 404, as if they did not exist.
  // Returns the firm's directory as the read models have it.
  Result<domain::Directory> AuthorizeAdmin(const Claims& caller, const std::string& firm);

  eventstore::EventStore& log_;
  projections::ReadModelStore& models_;
  projections::Projector& projector_;
  const Clock& clock_;
};

}  // namespace parley::api
