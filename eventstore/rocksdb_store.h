// Internal to eventstore/, its tests and benchmarks: RocksDB-specific entry
// points beside the EventStore interface.
#pragma once

#include <rocksdb/env.h>

#include "eventstore/event_store.h"

namespace parley::eventstore {

Result<std::unique_ptr<EventStore>> OpenRocksDbStoreWithEnv(const RocksDbStoreOptions& options,
                                                            rocksdb::Env* env);

// Flushes the memtables and compacts every column family of a closed store
// into its bottom level, as a long-lived log mostly is (benchmarks, upkeep).
Result<void> CompactRocksDbStore(const RocksDbStoreOptions& options);

}  // namespace parley::eventstore
