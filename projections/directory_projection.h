// The directory read model: the latest definition of every firm, user and
// dossier, keyed by firm, so that requests find who is who without reading
// the log.
#pragma once

#include <optional>
#include <string>

#include "domain/directory.h"
#include "projections/projector.h"

namespace parley::projections {

class DirectoryProjection final : public Projection {
 public:
  static constexpr const char* kName = "directory";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// The whole directory of `firm` as the read model has it (no firm: empty).
Result<domain::Directory> LoadDirectory(ReadModelStore& store, const std::string& firm);

}  // namespace parley::projections
