// Domain events as JSON: the "what" of an audit history entry, and the
// pieces the read models share. Pure functions.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "domain/conversation.h"
#include "domain/directory.h"

namespace parley::projections {

boost::json::array StringsJson(const std::vector<std::string>& list);
// Uploads as {id}, dossier documents as {external_id, name, source}.
boost::json::array AttachmentsJson(const std::vector<domain::AttachmentRef>& list);
// "dossier" or {"user": id}, as SPEC writes an audience.
boost::json::value AudienceJson(const domain::Audience& audience);

// Every field of the event but its time, which the entry holds.
boost::json::object EventFields(const domain::Event& event);
boost::json::object EventFields(const domain::DirectoryEvent& event);

}  // namespace parley::projections
