// The uploads read model: each upload's description under up/<id>, each
// message that holds it under ref/<id>/<conversation>/<message> (removed
// when the message is deleted), and a message's uploads under
// msg/<conversation>/<message>, so that a download is authorised without
// reading the log.
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
  std::uint32_t format() const override { return 2; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

Result<std::optional<domain::AttachmentUploaded>> LoadUpload(ReadModelStore& store,
                                                             const std::string& upload);
// The conversations with a message (not deleted) that holds the upload.
Result<std::vector<std::string>> UploadReferences(ReadModelStore& store, const std::string& upload);

}  // namespace parley::projections
