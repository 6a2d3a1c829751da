// The conversations read model. Per conversation:
//   sum/<id>                 its record: the domain state, version, read
//                            marks (FlatBuffers, conversation_record.fbs);
//   item/<id>/<ordinal>      each message and note as JSON, with every
//                            version of its text;
//   list/<firm>/<dossier>/<newest first>/<id>   the same record, so that
//                            a dossier's lists and counters are one scan.
// An event rewrites the small record and at most one item, never the
// whole thread. Queries filter what a caller may see; the model holds all.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "domain/conversation.h"
#include "projections/projector.h"

namespace parley::projections {

class ConversationProjection final : public Projection {
 public:
  static constexpr const char* kName = "conversations";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// A read of one client user, for receipts ("read by A.M. at ...").
struct ReadMark {
  std::string user;
  std::uint64_t up_to = 0;  // thread ordinal
  Micros at = 0;
  bool operator==(const ReadMark&) const = default;
};

// What the read model keeps of a conversation besides its items.
struct ConversationRecord {
  domain::Conversation state;   // folded with domain::Evolve
  std::uint64_t version = 0;    // the stream's version: the ETag
  std::vector<ReadMark> reads;  // every mark, in log order
  int reminders_sent = 0;
};

// A conversation whole: its record and its items in thread order.
struct ConversationThread {
  ConversationRecord record;
  std::vector<boost::json::object> items;
};

// Folds one event of the conversation's stream (version `version`) into a
// thread held in memory: what the projection does to its keys, for "as of".
void FoldThread(ConversationThread& thread, const domain::Event& event, std::uint64_t version);

// Everything held of a conversation as JSON, times in RFC 3339 (what
// parley-audit replay prints): the record's fields, every item with each
// version of its text, and every read mark.
boost::json::object ThreadJson(const ConversationThread& thread);

Result<std::optional<ConversationRecord>> LoadRecord(ReadModelStore& store, const std::string& id);
// The items of a conversation in thread order, allocated from `sp`.
Result<std::vector<boost::json::object>> LoadItems(ReadModelStore& store, const std::string& id,
                                                   const boost::json::storage_ptr& sp = {});
// One item by thread ordinal.
Result<std::optional<boost::json::object>> LoadItem(ReadModelStore& store, const std::string& id,
                                                    std::uint64_t ordinal);

// One page of a dossier's conversations, newest activity first. `cursor`
// is where the previous page stopped (empty: the start).
struct ConversationPage {
  // Each record with its cursor: pass it back to continue after it.
  std::vector<std::pair<std::string, ConversationRecord>> records;
  std::string next_cursor;  // empty: no more
};
Result<ConversationPage> ListConversations(ReadModelStore& store, const std::string& firm,
                                           const std::string& dossier, const std::string& cursor,
                                           std::size_t limit);

}  // namespace parley::projections
