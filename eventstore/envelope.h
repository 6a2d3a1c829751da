// Encoding and verification of stored envelopes (internal to eventstore/,
// shared with its tests and tools).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/sha256.h"
#include "eventstore/event_store.h"

namespace parley::eventstore {

struct EnvelopeHeader {
  std::string_view stream;
  std::uint64_t stream_version;
  std::uint64_t position;
  Micros timestamp;
  const Sha256Digest* prev_hash;
};

// Serializes `event` with its place in the log into a FlatBuffer.
std::string EncodeEnvelope(const EventData& event, const EnvelopeHeader& header);

// The event an envelope holds, without its place in the log.
EventData ToEventData(const EventView& view);

// Runs the FlatBuffers Verifier over `bytes` (any alignment). True if the
// bytes are a well-formed envelope with every required field.
bool VerifyEnvelope(std::string_view bytes);

// The bytes of an event as much as they count toward kMaxEventBytes.
std::size_t EventSize(const EventData& event);

// The checks every backend makes before anything is written.
Result<void> ValidateStreamId(std::string_view stream);
Result<void> ValidateAppend(std::string_view stream, std::span<const EventData> events);

// Where an event id is stored.
struct StoredAt {
  std::string stream;
  std::uint64_t stream_version = 0;
  std::uint64_t position = 0;

  static StoredAt Of(const EventView& e) {
    return {std::string(e.stream()), e.stream_version(), e.position()};
  }
};

// The first append's result (deduplicated) if every event of `events` was
// stored by one earlier append to `stream`: a retry. nullopt if none was;
// kInvalidArgument if some were, or elsewhere. `locate` finds where an id is
// stored (nullopt: nowhere). The rule both backends apply before writing.
Result<std::optional<AppendResult>> FindRetry(
    std::string_view stream, std::span<const EventData> events,
    const std::function<Result<std::optional<StoredAt>>(const std::string& id)>& locate);

// The view of `bytes` if they are a well-formed envelope stored at
// `position` (`bytes` suitably aligned); otherwise kCorruption.
Result<EventView> CheckedEnvelope(std::string_view bytes, std::uint64_t position);

}  // namespace parley::eventstore
