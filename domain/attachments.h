// Uploaded files (SPEC section 3): an upload is recorded as an event on its
// own stream, so that who uploaded what, where, is in the log; the bytes
// live in a content-addressed store beside it. Pure decide/evolve.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace parley::domain {

inline constexpr std::size_t kMaxAttachmentNameChars = 255;

struct AttachmentUploaded {
  std::string firm, dossier, upload, uploader;
  std::string name, content_type, sha256;
  std::uint64_t size = 0;
  Micros at = 0;
  bool operator==(const AttachmentUploaded&) const = default;
};
using AttachmentEvent = std::variant<AttachmentUploaded>;
const char* TypeName(const AttachmentEvent& event);
Micros TimeOf(const AttachmentEvent& event);

struct Upload {
  AttachmentUploaded uploaded;  // empty upload id: none yet
  bool exists() const { return !uploaded.upload.empty(); }
};

// Records an upload once (a retry of the same upload id records nothing);
// the name must be a plain file name.
Result<std::vector<AttachmentEvent>> Decide(const Upload& state, const AttachmentUploaded& upload);
void Evolve(Upload& state, const AttachmentEvent& event);

}  // namespace parley::domain
