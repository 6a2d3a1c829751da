// parley-demo then parley-rebuild on a real data directory: the rebuilt
// read models equal the live ones, a changed read model is caught and
// named, and a replacing rebuild repairs it.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "tests/testing/child_process.h"
#include "tests/testing/temp_dir.h"

namespace parley {
namespace {

using testing::ProgramRun;
constexpr auto Execute = testing::RunProgram;

TEST(RebuildTest, RebuiltReadModelsEqualTheLiveOnesAndADifferenceIsNamed) {
  testing::TempDir dir;
  const std::string data = dir.str("data");
  ProgramRun demo =
      Execute({PARLEY_DEMO, "--data", data, "--dossiers", "3", "--jwt-secret", "0123456789abcdef-test"});
  ASSERT_EQ(demo.status, 0) << demo.out;
  ASSERT_NE(demo.out.find("Staff token"), std::string::npos);

  ProgramRun check = Execute({PARLEY_REBUILD, "--data", data, "--check"});
  EXPECT_EQ(check.status, 0) << check.out;
  EXPECT_NE(check.out.find("equal the live ones"), std::string::npos) << check.out;

  // Change one stored conversation behind the projector's back.
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), data + "/projections", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}));
    const std::string prefix = std::string("dconversations\0conv/", 20);
    it->Seek(prefix);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(prefix));
    ASSERT_TRUE(db->Put({}, it->key(), "{\"tampered\":true}").ok());
  }
  ProgramRun caught = Execute({PARLEY_REBUILD, "--data", data, "--check"});
  EXPECT_EQ(caught.status, 1);
  EXPECT_NE(caught.out.find("conversations differs: value of key conv/"), std::string::npos) << caught.out;

  ProgramRun repaired = Execute({PARLEY_REBUILD, "--data", data});
  EXPECT_EQ(repaired.status, 0) << repaired.out;
  EXPECT_EQ(Execute({PARLEY_REBUILD, "--data", data, "--check"}).status, 0);
}

}  // namespace
}  // namespace parley
