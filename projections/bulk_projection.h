// The jobs of sending to many dossiers (SPEC section 5) under
// <firm>/<job>, as JSON: what GET /v1/bulk/conversations/{id} shows, and
// which jobs a restarted server must resume.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/bulk.h"
#include "projections/projector.h"

namespace parley::projections {

class BulkProjection final : public Projection {
 public:
  static constexpr const char* kName = "bulk";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// The job as stored (without its request), if it exists.
Result<std::optional<domain::BulkJob>> LoadBulkJob(ReadModelStore& store, const std::string& firm,
                                                   const std::string& job);
// (firm, job) of every job not completed yet.
Result<std::vector<std::pair<std::string, std::string>>> RunningBulkJobs(ReadModelStore& store);

// {id, status: running|done, total, succeeded, failed, requested_by,
// requested_at, completed_at, results: [{dossier, conversation?, error?:
// {code, message}}]} with results in the requested order.
boost::json::object BulkJobJson(const domain::BulkJob& job);

}  // namespace parley::projections
