// The conversations read model: one JSON document per conversation (its
// thread with every message and note, read marks, status) and an index of
// each dossier's conversations by latest activity, newest first. Queries
// filter what a caller may see; the documents hold everything.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>

#include "domain/conversation.h"
#include "projections/projector.h"

namespace parley::projections {

class ConversationProjection final : public Projection {
 public:
  static constexpr const char* kName = "conversations";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// Folds one event into a conversation's document (empty before
// ConversationStarted). The caller sets "version".
void FoldConversation(boost::json::object& doc, const domain::Event& event);

// The stored document of a conversation, if there is one.
Result<std::optional<boost::json::object>> LoadConversation(ReadModelStore& store, const std::string& id);

// One page of a dossier's conversations, newest activity first. `cursor`
// is where the previous page stopped (empty: the start).
struct ConversationPage {
  // Each document with its cursor: pass it back to continue after it.
  std::vector<std::pair<std::string, boost::json::object>> documents;
  std::string next_cursor;  // empty: no more
};
Result<ConversationPage> ListConversations(ReadModelStore& store, const std::string& firm,
                                           const std::string& dossier, const std::string& cursor,
                                           std::size_t limit);

// The rule-relevant state of a document, so that flags and counters come
// from the same domain functions as the decisions.
domain::Conversation ToDomain(const boost::json::object& document);

}  // namespace parley::projections
