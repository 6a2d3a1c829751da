// The directory read model: the latest definition of every firm, user and
// dossier, keyed by firm, so that requests find who is who without reading
// the log.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "domain/directory.h"
#include "projections/projector.h"

namespace parley::projections {

class DirectoryProjection final : public Projection {
 public:
  static constexpr const char* kName = "directory";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
  void Stored() override;

  // Grows once a batch that changed some firm's directory is stored: what
  // was loaded before may be stale.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  bool changed_ = false;  // by the batch being applied (projector thread only)
  std::atomic<std::uint64_t> generation_{0};
};

// The firms' directories in memory for requests, loaded from the read model
// on first use and again after the projection stores a change. Thread-safe.
class DirectoryCache {
 public:
  DirectoryCache(ReadModelStore& store, const DirectoryProjection& projection)
      : store_(store), projection_(projection) {}

  Result<std::shared_ptr<const domain::Directory>> Get(const std::string& firm);

 private:
  struct Entry {
    std::shared_ptr<const domain::Directory> directory;
    std::uint64_t generation;
  };
  ReadModelStore& store_;
  const DirectoryProjection& projection_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> firms_;  // guarded by mu_
};

// The whole directory of `firm` as the read model has it (no firm: empty).
Result<domain::Directory> LoadDirectory(ReadModelStore& store, const std::string& firm);

}  // namespace parley::projections
