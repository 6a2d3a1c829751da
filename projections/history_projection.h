// The audit history read model (SPEC section 8): every event of a dossier
// (its definitions in the directory, and each event of its conversations:
// every version of edited and deleted messages, notes, reads, closes and
// reopens), in log order, rendered once as an entry with who, when, what
// and on whose behalf. Managers and compliance service accounts read it;
// clients never do.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"

namespace parley::projections {

class HistoryProjection final : public Projection {
 public:
  static constexpr const char* kName = "history";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// One event of the log as a history entry, and where it belongs.
struct HistoryEntry {
  std::string firm, dossier, conversation;  // conversation: empty for directory events
  boost::json::object json;
};

// The firm and dossier of a conversation started earlier in the log.
using ConversationHome =
    std::function<Result<std::optional<std::pair<std::string, std::string>>>(std::string_view conversation)>;

// Renders `event`; nullopt for events outside every dossier's history
// (firm and user definitions). The projection and parley-audit both use
// it, so the API's export and the tool's are the same lines.
Result<std::optional<HistoryEntry>> RenderHistoryEntry(const eventstore::EventView& event,
                                                       const ConversationHome& home);

struct HistoryPage {
  boost::json::array entries;
  std::string next_cursor;  // empty: no more
};
// A dossier's history in log order, from `cursor`, keeping entries whose
// time is within [from, to]; up to `limit` entries.
Result<HistoryPage> DossierHistory(ReadModelStore& store, const std::string& firm, const std::string& dossier,
                                   const std::string& cursor, std::size_t limit, Micros from = 0,
                                   Micros to = INT64_MAX);
// A conversation's history in log order; the caller checked the firm.
Result<HistoryPage> ConversationHistory(ReadModelStore& store, const std::string& conversation,
                                        const std::string& cursor, std::size_t limit);

}  // namespace parley::projections
