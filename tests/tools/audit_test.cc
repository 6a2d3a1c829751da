// parley-audit on a demo data directory: the chain verifies, a tampered
// event is named, the export equals the API's export byte for byte (run
// beside the live server), and replay shows a past state.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <boost/json.hpp>

#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/parleyd_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tokens.h"

namespace parley {
namespace {

namespace json = boost::json;

using testing::ProgramRun;
constexpr auto Execute = testing::RunProgram;

class AuditToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgramRun demo =
        Execute({PARLEY_DEMO, "--data", data_, "--dossiers", "3", "--jwt-secret", "0123456789abcdef-test"});
    ASSERT_EQ(demo.status, 0) << demo.out;
  }
  testing::TempDir dir_;
  const std::string data_ = dir_.str("data");
};

TEST_F(AuditToolTest, ExportEqualsTheApiExportAndReplayShowsThePast) {
  testing::ParleydProcess server(data_);
  testing::HttpClient client(server.port());
  auto api = client.Get("/v1/dossiers/d-1/export", testing::Bearer(testing::UserToken("u-cmc", "demo")));
  ASSERT_EQ(api.status, 200u) << api.body;
  ASSERT_FALSE(api.body.empty());

  // Beside the running server: the log is opened read-only.
  ProgramRun exported = Execute({PARLEY_AUDIT, "export", "--data", data_, "--dossier", "d-1"});
  ASSERT_EQ(exported.status, 0);
  EXPECT_EQ(exported.out, api.body);

  // The first conversation of d-1, as of its start and as of now.
  auto list = client
                  .Get("/v1/dossiers/d-1/conversations?status=all",
                       testing::Bearer(testing::UserToken("u-cmc", "demo")))
                  .json();
  const auto& first = list.at("items").as_array().back();
  const std::string id(first.at("id").as_string());
  const std::string created(first.at("created_at").as_string());
  ProgramRun now = Execute(
      {PARLEY_AUDIT, "replay", "--data", data_, "--conversation", id, "--as-of", "2100-01-01T00:00:00Z"});
  ASSERT_EQ(now.status, 0);
  EXPECT_EQ(json::parse(now.out).at("version").as_int64(), first.at("version").as_int64());
  ProgramRun before = Execute(
      {PARLEY_AUDIT, "replay", "--data", data_, "--conversation", id, "--as-of", "2000-01-01T00:00:00Z"});
  EXPECT_EQ(before.status, 1) << "it had not started";

  ProgramRun dossier = Execute(
      {PARLEY_AUDIT, "replay", "--data", data_, "--dossier", "d-1", "--as-of", "2100-01-01T00:00:00Z"});
  ASSERT_EQ(dossier.status, 0);
  auto replayed = json::parse(dossier.out);
  auto counters =
      client.Get("/v1/dossiers/d-1/counters", testing::Bearer(testing::UserToken("u-cmc", "demo"))).json();
  for (const char* k : {"staff_action_needed", "client_action_needed", "open", "closed"}) {
    EXPECT_EQ(replayed.at("counters").at(k), counters.at(k)) << k;
  }
  EXPECT_EQ(replayed.at("conversations").as_array().size(), list.at("items").as_array().size());
  EXPECT_EQ(Execute({PARLEY_AUDIT, "export", "--data", data_, "--dossier", "no-such"}).status, 1);
  EXPECT_EQ(Execute({PARLEY_AUDIT, "replay", "--data", data_, "--dossier", "d-1"}).status, 2)
      << "needs --as-of";
}

TEST_F(AuditToolTest, VerifyPassesThenNamesATamperedEvent) {
  ProgramRun ok = Execute({PARLEY_AUDIT, "verify", "--data", data_});
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("chain intact"), std::string::npos) << ok.out;

  // Change one byte of event 10's payload behind the store's back.
  {
    std::vector<std::string> families;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), data_ + "/log", &families).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), data_ + "/log", descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* log = nullptr;
    for (auto* h : handles)
      if (h->GetName() == "log") log = h;
    ASSERT_NE(log, nullptr);
    const std::string key("\0\0\0\0\0\0\0\x0a", 8);
    std::string value;
    ASSERT_TRUE(db->Get({}, log, key, &value).ok());
    const auto at = value.find("Boulangerie");
    const std::size_t index = at == std::string::npos ? value.size() - 1 : at;
    value[index] ^= 0x20;
    ASSERT_TRUE(db->Put({}, log, key, value).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }
  ProgramRun broken = Execute({PARLEY_AUDIT, "verify", "--data", data_});
  EXPECT_EQ(broken.status, 1);
  EXPECT_NE(broken.out.find("event 10"), std::string::npos) << broken.out;
}

}  // namespace
}  // namespace parley
