#include "domain/attachments.h"

#include "domain/conversation.h"

namespace parley::domain {

const char* TypeName(const AttachmentEvent&) {
  return "AttachmentUploaded";
}

Micros TimeOf(const AttachmentEvent& event) {
  return std::get<AttachmentUploaded>(event).at;
}

Result<std::vector<AttachmentEvent>> Decide(const Upload& state, const AttachmentUploaded& upload) {
  if (state.exists()) return std::vector<AttachmentEvent>{};
  std::size_t length = 0;
  if (upload.name.empty() || !Utf8Length(upload.name, length) || length > kMaxAttachmentNameChars ||
      upload.name.find_first_of("/\\") != std::string::npos || upload.name.find('\0') != std::string::npos)
    return Error::InvalidArgument("X-Filename is a file name of at most 255 characters, without a path.");
  if (upload.size == 0) return Error::InvalidArgument("The file is empty.");
  return std::vector<AttachmentEvent>{upload};
}

void Evolve(Upload& state, const AttachmentEvent& event) {
  state.uploaded = std::get<AttachmentUploaded>(event);
}

}  // namespace parley::domain
