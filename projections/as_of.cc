#include "projections/as_of.h"

#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {
namespace {

// Calls `fold` with each decoded event of `stream` that happened at or
// before `as_of`, in order. Events are appended in time order per stream,
// so the first later one ends the walk.
template <class Decode, class Fold>
Result<void> FoldStream(eventstore::EventStore& log, const std::string& stream, Micros as_of, Decode decode,
                        Fold fold) {
  constexpr std::size_t kPage = 512;
  for (std::uint64_t from = 1;;) {
    auto events = log.ReadStream(stream, from, eventstore::Direction::kForward, kPage);
    if (!events.ok()) return events.error();
    for (const auto& recorded : *events) {
      auto event = decode(recorded);
      if (!event.ok()) return event.error();
      if (domain::TimeOf(*event) > as_of) return {};
      fold(*event, recorded.stream_version());
    }
    if (events->size() < kPage) return {};
    from = events->back().stream_version() + 1;
  }
}

}  // namespace

Result<std::optional<ConversationThread>> ConversationAsOf(eventstore::EventStore& log,
                                                           std::string_view conversation, Micros as_of) {
  ConversationThread thread;
  auto folded = FoldStream(
      log, domain::ConversationStream(conversation), as_of,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::Event& event, std::uint64_t version) { FoldThread(thread, event, version); });
  if (!folded.ok()) return folded.error();
  if (!thread.record.state.exists) return std::optional<ConversationThread>();
  return std::optional(std::move(thread));
}

Result<domain::Directory> DirectoryAsOf(eventstore::EventStore& log, std::string_view firm, Micros as_of) {
  domain::Directory directory;
  auto folded = FoldStream(
      log, domain::DirectoryStream(firm), as_of,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeDirectoryEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::DirectoryEvent& event, std::uint64_t) { domain::Evolve(directory, event); });
  if (!folded.ok()) return folded.error();
  return directory;
}

}  // namespace parley::projections
