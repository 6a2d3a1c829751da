// The bytes of uploaded files, content-addressed under DATA/attachments:
// <sha256[0:2]>/<sha256>. An upload is streamed to a temporary file, then
// hashed, synced and renamed into place, so the same bytes are kept once
// and a 201 means they are on disk.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace parley::api {

struct StoredBlob {
  std::string sha256;  // hex
  std::uint64_t size = 0;
};

class AttachmentStore {
 public:
  // Creates `dir` and its tmp/ folder if needed.
  static Result<std::unique_ptr<AttachmentStore>> Open(const std::string& dir);

  // A fresh path under tmp/ for one upload's body.
  std::string NewTempPath();
  // Hashes the file at `temp`, syncs it and moves it to its address (or
  // drops it if those bytes are already kept).
  Result<StoredBlob> Keep(const std::string& temp);
  std::string PathOf(const std::string& sha256) const;

 private:
  explicit AttachmentStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  std::atomic<std::uint64_t> next_{0};
};

}  // namespace parley::api
