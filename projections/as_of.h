// The state of an aggregate at a past instant (SPEC section 8, "as of"),
// folded from the aggregate's own stream up to that time. Audit queries
// only: one stream is read, never the whole log, and the same folds as the
// read models are used, so "as of now" equals the live read model.
#pragma once

#include <optional>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "domain/directory.h"
#include "eventstore/event_store.h"
#include "projections/conversation_projection.h"

namespace parley::projections {

// The conversation as it was at `as_of`; nullopt if it had not started.
Result<std::optional<ConversationThread>> ConversationAsOf(eventstore::EventStore& log,
                                                           std::string_view conversation, Micros as_of);

// The firm's directory as it was at `as_of`.
Result<domain::Directory> DirectoryAsOf(eventstore::EventStore& log, std::string_view firm, Micros as_of);

}  // namespace parley::projections
