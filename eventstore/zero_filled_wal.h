// Write-ahead log files written full of zeros before RocksDB uses them.
//
// A sync of a file that grows must also write the file's new size and
// block map: on this project's machines fdatasync took about 210 us for an
// append to a growing file and 145 us for the same write over blocks
// already written (bench/: BM_Append's sync_us). PostgreSQL zero-fills its
// WAL segments for the same reason. So each new WAL starts as a file of
// zeros that RocksDB overwrites from its start.
//
// The zeros are written ahead of need: the first WAL's before the store
// opens; then, once a WAL has used half of its zeros, a background thread
// fills a spare file, which becomes the next WAL (a rename). When no spare
// is ready, RocksDB gets a plain new file and nothing waits.
//
// After a crash the live WAL ends in zeros past its last record; RocksDB's
// log reader takes a zero header as the end of the log (tests/eventstore:
// the crash and power-cut tests).
#pragma once

#include <rocksdb/file_system.h>

#include <cstdint>
#include <memory>
#include <string>

namespace parley::eventstore {

// `base` with zero-filled WAL files of `bytes` for the database in `dir`.
std::shared_ptr<rocksdb::FileSystem> ZeroFilledWalFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                             std::string dir, std::uint64_t bytes);

// The spare's name in the database directory (RocksDB ignores names it
// does not know).
inline constexpr const char* kWalSpareName = "PARLEY-WAL-SPARE";

}  // namespace parley::eventstore
