// The conversations read model. Per conversation:
//   where/<id>                         "<firm>/<dossier>" (never changes);
//   conv/<firm>/<dossier>/<id>         its record: the domain state, version
//                                      and read marks, so that a dossier's
//                                      lists and counters are one scan;
//   item/<id>/<ordinal>                each message and note, with every
//                                      version of its text.
// Values are FlatBuffers (conversation_record.fbs), verified on read. An
// event rewrites the small record and at most one entry, never the whole
// thread, and no key is ever deleted (deleting and re-adding index keys
// left scans wading through tombstones). Queries filter what a caller may
// see; the model holds all.
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
  // 2: records and entries as FlatBuffers (1 kept a JSON document each).
  std::uint32_t format() const override { return 2; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// A read of one user, for receipts ("read by A.M. at ...").
struct ReadMark {
  std::string user;
  std::uint64_t up_to = 0;  // thread ordinal
  Micros at = 0;
  bool operator==(const ReadMark&) const = default;
};

// What the read model keeps of a conversation besides its entries.
struct ConversationRecord {
  domain::Conversation state;   // folded with domain::Evolve
  std::uint64_t version = 0;    // the stream's version: the ETag
  std::vector<ReadMark> reads;  // every mark, in log order
  int reminders_sent = 0;
};

// One message or note as stored.
struct Entry {
  struct Version {
    std::string body;
    Micros at = 0;
  };
  std::string id, author;
  domain::Side side = domain::Side::kFirm;
  bool note = false;
  std::string body;  // the latest version
  Micros created_at = 0;
  bool edited = false, deleted = false;
  Micros deleted_at = 0;
  std::vector<std::string> mentions;
  std::vector<domain::AttachmentRef> attachments;
  std::vector<Version> versions;  // every version of the text, the first one first
};

// A conversation whole: its record and its entries in thread order.
struct ConversationThread {
  ConversationRecord record;
  std::vector<Entry> entries;
};

// Folds one event of the conversation's stream (version `version`) into a
// thread held in memory: what the projection does to its keys, for "as of".
void FoldThread(ConversationThread& thread, const domain::Event& event, std::uint64_t version);

// Everything held of a conversation as JSON, times in RFC 3339 (what
// parley-audit replay prints).
boost::json::object ThreadJson(const ConversationThread& thread);

Result<std::optional<ConversationRecord>> LoadRecord(ReadModelStore& store, const std::string& id);
// The entries of a conversation in thread order.
Result<std::vector<Entry>> LoadEntries(ReadModelStore& store, const std::string& id);
// One entry by thread ordinal.
Result<std::optional<Entry>> LoadEntry(ReadModelStore& store, const std::string& id, std::uint64_t ordinal);

// Every conversation of a dossier, newest activity first (ties by id).
// Records carry no item ids (lists and counters need none).
Result<std::vector<ConversationRecord>> DossierConversations(ReadModelStore& store, const std::string& firm,
                                                             const std::string& dossier);
// Where a list stopped ("<last activity>.<id>"): passed back, the list
// continues after that conversation, however activity moved since.
struct ListCursor {
  Micros last_activity = 0;
  std::string id;

  static ListCursor Of(const ConversationRecord& record);
  static std::optional<ListCursor> Parse(std::string_view text);
  std::string ToString() const;
  // True if `record` comes after this cursor in the newest-first order.
  bool Precedes(const ConversationRecord& record) const;
};

}  // namespace parley::projections
