// Every projection Parley runs, in one place, so that the server, the demo
// loader and the rebuild tool always build the same read models.
#pragma once

#include <memory>
#include <vector>

#include "projections/attachments_projection.h"
#include "projections/bulk_projection.h"
#include "projections/conversation_projection.h"
#include "projections/directory_projection.h"
#include "projections/history_projection.h"
#include "projections/outbox_projection.h"
#include "projections/projector.h"
#include "projections/settings_projection.h"
#include "projections/templates_projection.h"

namespace parley::projections {

class AllProjections {
 public:
  // The raw pointers the Projector takes; owned by this object.
  std::vector<Projection*> list() {
    return {&directory_, &conversations_, &history_, &settings_, &templates_, &bulk_, &attachments_, &outbox_};
  }
  const DirectoryProjection& directory() const { return directory_; }
  OutboxProjection& outbox() { return outbox_; }

 private:
  DirectoryProjection directory_;
  ConversationProjection conversations_;
  HistoryProjection history_;
  SettingsProjection settings_;
  TemplatesProjection templates_;
  BulkProjection bulk_;
  AttachmentsProjection attachments_;
  OutboxProjection outbox_;
};

}  // namespace parley::projections
