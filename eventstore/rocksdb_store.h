// Internal to eventstore/ and its tests: opening the RocksDB store over a
// given RocksDB Env (tests pass one that can drop unsynced writes).
#pragma once

#include <rocksdb/env.h>

#include "eventstore/event_store.h"

namespace parley::eventstore {

Result<std::unique_ptr<EventStore>> OpenRocksDbStoreWithEnv(const RocksDbStoreOptions& options,
                                                            rocksdb::Env* env);

}  // namespace parley::eventstore
