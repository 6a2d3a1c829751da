// parley-rebuild: rebuilds the read models from the log, from position 0,
// into a fresh place, with a progress bar.
//
//   parley-rebuild --data DIR [--only NAME] [--check]
//
// Without --check, the rebuilt read models replace DATA/projections (the
// server must be stopped). With --check, they are built in a scratch
// directory and compared with the live ones, which are only read (the
// server may run): the tool prints each projection's digest and exits 1
// naming the first key that differs.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "projections/all_projections.h"
#include "tools/flags.h"

namespace {

using namespace parley;
namespace fs = std::filesystem;

void Progress(std::uint64_t done, std::uint64_t total, std::chrono::steady_clock::time_point start) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int width = 40;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r[%s%s] %3d%%  %llu/%llu events  %.0f events/s", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), total ? static_cast<int>(100 * done / total) : 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               seconds > 0 ? done / seconds : 0.0);
}

// The first key (or checkpoint) where two read models of `projection` differ.
Result<std::string> FirstDifference(projections::ReadModelStore& a, projections::ReadModelStore& b,
                                    const std::string& projection) {
  auto ca = a.Checkpoint(projection), cb = b.Checkpoint(projection);
  if (!ca.ok()) return ca.error();
  if (!cb.ok()) return cb.error();
  if (*ca != *cb) {
    return "checkpoint: live " + std::to_string(*ca) + ", rebuilt " + std::to_string(*cb);
  }
  std::string start;
  for (;;) {
    auto pa = a.Scan(projection, "", start, 1000), pb = b.Scan(projection, "", start, 1000);
    if (!pa.ok()) return pa.error();
    if (!pb.ok()) return pb.error();
    for (std::size_t i = 0; i < std::max(pa->size(), pb->size()); ++i) {
      if (i >= pa->size()) return "key " + (*pb)[i].first + " only in the rebuilt read model";
      if (i >= pb->size()) return "key " + (*pa)[i].first + " only in the live read model";
      if ((*pa)[i].first != (*pb)[i].first) return "keys " + (*pa)[i].first + " / " + (*pb)[i].first;
      if ((*pa)[i].second != (*pb)[i].second) return "value of key " + (*pa)[i].first;
    }
    if (pa->size() < 1000) return std::string();
    start = pa->back().first + '\0';
  }
}

}  // namespace

int main(int argc, char** argv) {
  tools::Flags flags(argc, argv, {"check"});
  const std::string data = flags.Get("data", "./data");
  const std::string only = flags.Get("only", "");
  const bool check = flags.Has("check");
  if (!flags.ok() || !flags.Unknown({"data", "only", "check"}).empty()) {
    std::cerr << "usage: parley-rebuild --data DIR [--only NAME] [--check]\n";
    return 2;
  }
  auto log = tools::OpenDataLog(data);
  if (!log.ok()) {
    std::cerr << "parley-rebuild: " << log.error().message << "\n";
    return 1;
  }
  projections::AllProjections all;
  std::vector<projections::Projection*> chosen;
  for (auto* p : all.list()) {
    if (only.empty() || p->name() == only) chosen.push_back(p);
  }
  if (chosen.empty()) {
    std::cerr << "parley-rebuild: no projection named " << only << "\n";
    return 2;
  }

  const fs::path live = fs::path(data) / "projections";
  if (!check) {
    // Replacing needs the server stopped: a running one holds the lock.
    auto probe = projections::ReadModelStore::Open(live.string());
    if (!probe.ok()) {
      std::cerr << "parley-rebuild: " << probe.error().message << " (stop the server, or use --check)\n";
      return 1;
    }
  }
  const fs::path fresh = fs::path(data) / ("projections.rebuild-" + std::to_string(std::random_device{}()));
  auto rebuilt = projections::ReadModelStore::Open(fresh.string());
  if (!rebuilt.ok()) {
    std::cerr << "parley-rebuild: " << rebuilt.error().message << "\n";
    return 1;
  }
  const std::uint64_t total = (*log)->TotalEvents();
  const auto start = std::chrono::steady_clock::now();
  projections::Projector projector(**log, **rebuilt, chosen);
  auto done = projector.CatchUp([&](std::uint64_t position) { Progress(position, total, start); });
  Progress(total, total, start);
  std::fprintf(stderr, "\n");
  if (!done.ok()) {
    std::cerr << "parley-rebuild: " << done.error().message << "\n";
    fs::remove_all(fresh);
    return 1;
  }

  int status = 0;
  if (check) {
    auto current = projections::ReadModelStore::Open(live.string(), /*read_only=*/true);
    if (!current.ok()) {
      std::cerr << "parley-rebuild: " << current.error().message << "\n";
      status = 1;
    }
    for (auto* p : chosen) {
      if (status) break;
      auto a = (*current)->Digest(p->name()), b = (*rebuilt)->Digest(p->name());
      if (!a.ok() || !b.ok()) {
        std::cerr << "parley-rebuild: cannot digest " << p->name() << "\n";
        status = 1;
        break;
      }
      std::cout << p->name() << "  live " << ToHex(*a) << "  rebuilt " << ToHex(*b) << "\n";
      if (*a != *b) {
        auto diff = FirstDifference(**current, **rebuilt, p->name());
        std::cout << p->name() << " differs: " << (diff.ok() ? *diff : diff.error().message) << "\n";
        status = 1;
      }
    }
    rebuilt->reset();
    fs::remove_all(fresh);
    if (status == 0) std::cout << "the rebuilt read models equal the live ones\n";
    return status;
  }
  // Replace the live read models. Partial rebuilds (--only) copy nothing
  // else over, so they are refused here rather than losing the others.
  if (!only.empty()) {
    std::cerr << "parley-rebuild: --only works with --check; a replacing rebuild rebuilds everything\n";
    rebuilt->reset();
    fs::remove_all(fresh);
    return 2;
  }
  rebuilt->reset();
  std::error_code ec;
  const fs::path old = fs::path(data) / "projections.old";
  fs::remove_all(old, ec);
  if (fs::exists(live)) fs::rename(live, old, ec);
  if (!ec) fs::rename(fresh, live, ec);
  if (ec) {
    std::cerr << "parley-rebuild: cannot swap in the rebuilt read models: " << ec.message() << "\n";
    return 1;
  }
  fs::remove_all(old, ec);
  std::cout << "rebuilt " << chosen.size() << " projections from " << total << " events\n";
  return 0;
}
