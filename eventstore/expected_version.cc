#include <charconv>

#include "eventstore/event_store.h"

namespace parley::eventstore {

Result<ExpectedVersion> ExpectedVersion::Parse(std::string_view text) {
  if (text == "any") return Any();
  if (text == "no_stream") return NoStream();
  std::uint64_t version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error::InvalidArgument("expected version must be \"any\", \"no_stream\" or a number, not \"" +
                                  std::string(text.substr(0, 40)) + "\"");
  }
  return Exactly(version);
}

bool ExpectedVersion::Matches(std::uint64_t current) const {
  switch (kind_) {
    case Kind::kAny:
      return true;
    case Kind::kNoStream:
      return current == 0;
    case Kind::kExact:
      return current == version_;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any";
    case Kind::kNoStream:
      return "no_stream";
    case Kind::kExact:
      return std::to_string(version_);
  }
  return "?";
}

}  // namespace parley::eventstore
