#include "tools/flags.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "eventstore/event_store.h"

namespace parley::tools {

Flags::Flags(int argc, char** argv, std::set<std::string> switches) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      values_[name.substr(0, eq)] = name.substr(eq + 1);
    } else if (switches.count(name)) {
      values_[name] = "true";
    } else if (i + 1 < argc) {
      values_[name] = argv[++i];
    } else {
      error_ = "--" + name + " needs a value";
    }
  }
}

std::string Flags::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

long long Flags::GetInt(const std::string& name, long long fallback, long long min, long long max) {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  long long value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    error_ =
        "--" + name + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    return fallback;
  }
  return value;
}

std::string Flags::Unknown(const std::set<std::string>& known) const {
  for (const auto& [name, value] : values_) {
    if (!known.count(name)) return "--" + name;
  }
  return {};
}

Result<std::unique_ptr<eventstore::PartitionedLog>> OpenDataLog(const std::string& data) {
  namespace fs = std::filesystem;
  std::vector<fs::path> paths;
  const fs::path log = fs::path(data) / "log";
  const fs::path copies = fs::path(data) / "jetstream";
  std::error_code ec;
  if (!fs::exists(log) && fs::is_directory(copies, ec)) {
    // Partition names sort in index order: P00, P01, ...
    for (const auto& entry : fs::directory_iterator(copies, ec)) {
      if (fs::exists(entry.path() / "CURRENT")) paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
  }
  if (paths.empty()) paths.push_back(log);
  std::vector<std::unique_ptr<eventstore::EventStore>> partitions;
  for (const fs::path& path : paths) {
    eventstore::RocksDbStoreOptions options;
    options.path = path.string();
    options.read_only = true;
    options.create_if_missing = false;
    auto store = eventstore::OpenRocksDbStore(options);
    if (!store.ok()) return store.error();
    partitions.push_back(std::move(*store));
  }
  return std::make_unique<eventstore::PartitionedLog>(std::move(partitions));
}

}  // namespace parley::tools
