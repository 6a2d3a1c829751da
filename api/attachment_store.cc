#include "api/attachment_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "common/sha256.h"

namespace parley::api {

namespace fs = std::filesystem;

namespace {

Result<void> SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Error::Unavailable("cannot open " + path + " to sync it");
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Error::Unavailable("cannot sync " + path);
  return {};
}

}  // namespace

Result<std::unique_ptr<AttachmentStore>> AttachmentStore::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "tmp", ec);
  if (ec) return Error::Unavailable("cannot create " + dir + ": " + ec.message());
  // Bodies of uploads a crash interrupted are of no use.
  for (const auto& leftover : fs::directory_iterator(fs::path(dir) / "tmp", ec))
    fs::remove(leftover.path(), ec);
  return std::unique_ptr<AttachmentStore>(new AttachmentStore(dir));
}

std::string AttachmentStore::NewTempPath() {
  return dir_ + "/tmp/" + std::to_string(::getpid()) + "-" + std::to_string(next_++);
}

std::string AttachmentStore::PathOf(const std::string& sha256) const {
  return dir_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

Result<StoredBlob> AttachmentStore::Keep(const std::string& temp) {
  int fd = ::open(temp.c_str(), O_RDONLY);
  if (fd < 0) return Error::Unavailable("the upload's body is gone");
  Sha256Hasher hasher;
  StoredBlob blob;
  std::vector<char> chunk(256 << 10);
  for (ssize_t n; (n = ::read(fd, chunk.data(), chunk.size())) > 0;) {
    hasher.Update(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    blob.size += static_cast<std::uint64_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Error::Unavailable("cannot sync an upload");
  blob.sha256 = ToHex(hasher.Final());
  const std::string target = PathOf(blob.sha256);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    fs::remove(temp, ec);
    return blob;
  }
  const std::string folder = fs::path(target).parent_path().string();
  fs::create_directories(folder, ec);
  fs::rename(temp, target, ec);
  if (ec) return Error::Unavailable("cannot keep an upload: " + ec.message());
  // The rename is durable once the folder is synced.
  if (auto synced_dir = SyncPath(folder, O_RDONLY | O_DIRECTORY); !synced_dir.ok()) return synced_dir.error();
  return blob;
}

}  // namespace parley::api
