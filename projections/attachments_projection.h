// The uploads read model: each upload's description under up/<id>, and
// each conversation whose messages hold it under ref/<id>/<conversation>,
// so that a download is authorised without reading the log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/attachments.h"
#include "projections/projector.h"

namespace parley::projections {

class AttachmentsProjection final : public Projection {
 public:
  static constexpr const char* kName = "attachments";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

Result<std::optional<domain::AttachmentUploaded>> LoadUpload(ReadModelStore& store,
                                                             const std::string& upload);
// The conversations with a message that holds the upload.
Result<std::vector<std::string>> UploadReferences(ReadModelStore& store, const std::string& upload);

}  // namespace parley::projections
