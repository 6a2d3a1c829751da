#include "eventstore/envelope.h"

#include <cstring>
#include <unordered_set>

#include "eventstore/envelope_generated.h"

namespace parley::eventstore {
namespace {

const fb::Envelope* Root(std::string_view bytes) {
  return fb::GetEnvelope(bytes.data());
}

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

std::string_view View(const flatbuffers::Vector<std::uint8_t>* v) {
  return v == nullptr ? std::string_view()
                      : std::string_view(reinterpret_cast<const char*>(v->data()), v->size());
}

}  // namespace

std::string EncodeEnvelope(const EventData& event, const EnvelopeHeader& header) {
  flatbuffers::FlatBufferBuilder fbb(EventSize(event) + 256);
  // The payload goes first and 8-byte aligned, so that a nested FlatBuffer
  // can be read in place.
  fbb.ForceVectorAlignment(event.payload.size(), 1, 8);
  auto payload =
      fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(event.payload.data()), event.payload.size());
  auto prev_hash = fbb.CreateVector(header.prev_hash->data(), header.prev_hash->size());
  auto id = fbb.CreateString(event.id);
  auto stream = fbb.CreateString(header.stream.data(), header.stream.size());
  auto actor = fbb.CreateString(event.actor);
  auto on_behalf_of = event.on_behalf_of.empty() ? 0 : fbb.CreateString(event.on_behalf_of);
  auto correlation = event.correlation_id.empty() ? 0 : fbb.CreateString(event.correlation_id);
  auto causation = event.causation_id.empty() ? 0 : fbb.CreateString(event.causation_id);
  auto type = fbb.CreateString(event.type);

  fb::EnvelopeBuilder b(fbb);
  b.add_event_id(id);
  b.add_stream(stream);
  b.add_stream_version(header.stream_version);
  b.add_global_position(header.position);
  b.add_timestamp_us(header.timestamp);
  b.add_actor(actor);
  if (!on_behalf_of.IsNull()) b.add_on_behalf_of(on_behalf_of);
  if (!correlation.IsNull()) b.add_correlation_id(correlation);
  if (!causation.IsNull()) b.add_causation_id(causation);
  b.add_event_type(type);
  b.add_schema_version(event.schema_version);
  b.add_prev_hash(prev_hash);
  b.add_payload(payload);
  fb::FinishEnvelopeBuffer(fbb, b.Finish());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

EventData ToEventData(const EventView& view) {
  EventData e;
  e.id = view.id();
  e.type = view.type();
  e.schema_version = view.schema_version();
  e.payload = view.payload();
  e.actor = view.actor();
  e.on_behalf_of = view.on_behalf_of();
  e.correlation_id = view.correlation_id();
  e.causation_id = view.causation_id();
  return e;
}

bool VerifyEnvelope(std::string_view bytes) {
  if (bytes.size() < 8 || bytes.size() > kMaxEventBytes + 4096) return false;
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyEnvelopeBuffer(verifier)) return false;
  return Root(bytes)->prev_hash()->size() == sizeof(Sha256Digest);
}

std::size_t EventSize(const EventData& event) {
  return event.id.size() + event.type.size() + event.payload.size() + event.actor.size() +
         event.on_behalf_of.size() + event.correlation_id.size() + event.causation_id.size();
}

std::string_view EventView::id() const {
  return View(Root(bytes_)->event_id());
}
std::string_view EventView::stream() const {
  return View(Root(bytes_)->stream());
}
std::uint64_t EventView::stream_version() const {
  return Root(bytes_)->stream_version();
}
std::uint64_t EventView::position() const {
  return Root(bytes_)->global_position();
}
Micros EventView::timestamp() const {
  return Root(bytes_)->timestamp_us();
}
std::string_view EventView::actor() const {
  return View(Root(bytes_)->actor());
}
std::string_view EventView::on_behalf_of() const {
  return View(Root(bytes_)->on_behalf_of());
}
std::string_view EventView::correlation_id() const {
  return View(Root(bytes_)->correlation_id());
}
std::string_view EventView::causation_id() const {
  return View(Root(bytes_)->causation_id());
}
std::string_view EventView::type() const {
  return View(Root(bytes_)->event_type());
}
std::uint32_t EventView::schema_version() const {
  return Root(bytes_)->schema_version();
}
std::string_view EventView::prev_hash() const {
  return View(Root(bytes_)->prev_hash());
}
std::string_view EventView::payload() const {
  return View(Root(bytes_)->payload());
}

Result<void> ValidateStreamId(std::string_view stream) {
  if (stream.empty()) return Error::InvalidArgument("stream id is empty");
  if (stream.size() > kMaxStreamIdBytes) return Error::InvalidArgument("stream id is longer than 512 bytes");
  if (stream.find('\0') != std::string_view::npos)
    return Error::InvalidArgument("stream id holds a NUL byte");
  return {};
}

Result<void> ValidateAppend(std::string_view stream, std::span<const EventData> events) {
  if (auto valid = ValidateStreamId(stream); !valid.ok()) return valid;
  if (events.empty()) return Error::InvalidArgument("an append needs at least one event");
  if (events.size() > kMaxEventsPerAppend) return Error::TooLarge("more than 10000 events in one append");
  std::unordered_set<std::string_view> ids;  // only filled for several events
  for (const EventData& e : events) {
    if (e.id.empty()) return Error::InvalidArgument("an event has an empty id");
    if (e.id.size() > kMaxEventIdBytes) return Error::InvalidArgument("an event id is longer than 256 bytes");
    if (e.type.empty()) return Error::InvalidArgument("event " + e.id + " has no type");
    if (EventSize(e) > kMaxEventBytes) return Error::TooLarge("event " + e.id + " is larger than 1 MiB");
    if (events.size() > 1 && !ids.insert(e.id).second)
      return Error::InvalidArgument("event id " + e.id + " appears twice in one append");
  }
  return {};
}

Result<std::optional<AppendResult>> FindRetry(
    std::string_view stream, std::span<const EventData> events,
    const std::function<Result<std::optional<StoredAt>>(const std::string& id)>& locate) {
  std::size_t found = 0;
  std::optional<AppendResult> last;
  for (const EventData& event : events) {
    auto where = locate(event.id);
    if (!where.ok()) return where.error();
    if (!where->has_value()) continue;
    const StoredAt& at = **where;
    if (at.stream != stream) {
      return Error::InvalidArgument("event id " + event.id + " is already used in another stream");
    }
    if (last && at.position != last->position + 1) {
      return Error::InvalidArgument("event id " + event.id + " was stored by a different append");
    }
    ++found;
    last = AppendResult{at.stream_version, at.position, true};
  }
  if (found == 0) return std::optional<AppendResult>();
  if (found != events.size()) {
    return Error::InvalidArgument("some of these event ids are already stored and some are not");
  }
  return last;
}

// The view of `bytes` if they are a well-formed envelope stored at `position`.
Result<EventView> CheckedEnvelope(std::string_view bytes, std::uint64_t position) {
  if (!VerifyEnvelope(bytes)) {
    return Error::Corruption("event " + std::to_string(position) + " is not a valid envelope", position);
  }
  EventView view(bytes);
  if (view.position() != position) {
    return Error::Corruption("event " + std::to_string(position) + " records another position", position);
  }
  return view;
}

}  // namespace parley::eventstore
