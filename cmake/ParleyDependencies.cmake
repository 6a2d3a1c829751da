# Finds the Debian 12 packages Parley builds on (see scripts/packages.txt).
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost 1.81.0 EXACT REQUIRED COMPONENTS json CONFIG)
find_package(FlatBuffers REQUIRED CONFIG)
find_program(FLATC flatc REQUIRED)

# Debian's RocksDBConfig.cmake pulls in optional compression packages'
# CMake files; the plain library and header are all we need.
find_library(ROCKSDB_LIBRARY rocksdb REQUIRED)
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
add_library(parley_rocksdb INTERFACE)
target_link_libraries(parley_rocksdb INTERFACE ${ROCKSDB_LIBRARY})
target_include_directories(parley_rocksdb SYSTEM INTERFACE ${ROCKSDB_INCLUDE_DIR})

if(PARLEY_TESTS)
  find_package(GTest REQUIRED)
endif()
if(PARLEY_BENCH)
  find_package(benchmark REQUIRED)
endif()

# E-mail: libcurl speaks SMTP out, GMime parses the mail that comes in.
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(GMIME REQUIRED IMPORTED_TARGET gmime-3.0)
# The NATS C client (libnats-dev) for the JetStream backend. Through
# pkg-config: Debian's CMake package names a static library it does not ship.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
# jemalloc for the server outside sanitizer builds (ASan brings its own
# allocator): the read path allocates much, and glibc's malloc costs about
# 10% of throughput under the HTTP load (bench/http_load.sh).
if(NOT PARLEY_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
