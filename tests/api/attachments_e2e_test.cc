// Attachments over real HTTP (SPEC section 3): a 20 MiB upload and
// download with its hash checked, ranges, the 413, the same bytes kept
// once, and who may fetch a file (its uploader; then whoever sees a message
// that holds it).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "common/sha256.h"
#include "tests/api/firm_fixture.h"

namespace parley {
namespace {

std::string RandomBytes(std::size_t n, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = random();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, n - i));
  }
  return out;
}

class AttachmentsApiTest : public FirmApiTest {
 protected:
  testing::HttpResponse Upload(const std::string& bytes, const std::string& name, const std::string& user,
                               const std::string& dossier = "d-104") {
    auto headers = testing::Bearer(testing::UserToken(user, "f1"));
    headers["Content-Type"] = "image/jpeg";
    if (!name.empty()) headers["X-Filename"] = name;
    return client_.Request(http::verb::post, "/v1/dossiers/" + dossier + "/attachments", bytes, headers);
  }
  testing::HttpResponse Download(const std::string& id, const std::string& user,
                                 const std::string& range = "", const std::string& firm = "f1") {
    auto headers = testing::Bearer(testing::UserToken(user, firm));
    if (!range.empty()) headers["Range"] = range;
    return client_.Request(http::verb::get, "/v1/attachments/" + id, "", headers);
  }
  std::size_t StoredFiles() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.str("data") + "/attachments"))
      n += e.is_regular_file();
    return n;
  }
};

TEST_F(AttachmentsApiTest, ATwentyMebibyteFileGoesUpAndComesBackWithItsHash) {
  const std::string bytes = RandomBytes(20 << 20, 1);
  auto up = Upload(bytes, "reçu d'été.jpg", "u-c1");
  ASSERT_EQ(up.status, 201u) << up.body;
  const auto file = up.json();
  EXPECT_EQ(file.at("sha256").as_string(), ToHex(Sha256(bytes)));
  EXPECT_EQ(file.at("size").as_int64(), 20 << 20);
  EXPECT_EQ(file.at("name").as_string(), "reçu d'été.jpg");
  EXPECT_EQ(file.at("content_type").as_string(), "image/jpeg");
  const std::string id(file.at("id").as_string());

  auto down = Download(id, "u-c1");
  ASSERT_EQ(down.status, 200u);
  EXPECT_EQ(down.body.size(), bytes.size());
  EXPECT_EQ(ToHex(Sha256(down.body)), ToHex(Sha256(bytes)));
  EXPECT_EQ(down.headers["Content-Type"], "image/jpeg");
  EXPECT_NE(down.headers["Content-Disposition"].find("filename*=UTF-8''re%C3%A7u%20d%27%C3%A9t%C3%A9.jpg"),
            std::string::npos)
      << down.headers["Content-Disposition"];

  auto head = Download(id, "u-c1", "bytes=0-99");
  ASSERT_EQ(head.status, 206u);
  EXPECT_EQ(head.body, bytes.substr(0, 100));
  EXPECT_EQ(head.headers["Content-Range"], "bytes 0-99/20971520");
  auto tail = Download(id, "u-c1", "bytes=-10");
  ASSERT_EQ(tail.status, 206u);
  EXPECT_EQ(tail.body, bytes.substr(bytes.size() - 10));
  auto middle = Download(id, "u-c1", "bytes=1048576-");
  ASSERT_EQ(middle.status, 206u);
  EXPECT_EQ(middle.body.size(), bytes.size() - (1 << 20));
  EXPECT_EQ(Download(id, "u-c1", "bytes=30000000-").status, 416u);
}

TEST_F(AttachmentsApiTest, AFileIsSeenByItsUploaderThenByWhoeverSeesAMessageHoldingIt) {
  auto up = Upload(RandomBytes(4096, 2), "facture.pdf", "u-c1");
  ASSERT_EQ(up.status, 201u) << up.body;
  const std::string id(up.json().at("id").as_string());
  EXPECT_EQ(Download(id, "u-cmc").status, 404u) << "not referenced yet";
  EXPECT_EQ(Download(id, "u-c2").status, 404u);
  // Someone else's upload cannot be attached.
  auto stolen = Post("/v1/dossiers/d-104/conversations",
                     R"({"subject":"Facture","body":"Voici","attachments":[")" + id + R"("]})", "u-c2");
  EXPECT_EQ(stolen.status, 400u) << stolen.body;
  EXPECT_EQ(Download(id, "u-c2").status, 404u);

  auto started = Post("/v1/dossiers/d-104/conversations",
                      R"({"subject":"Facture","body":"Voici","attachments":[")" + id + R"("]})", "u-c1");
  ASSERT_EQ(started.status, 201u) << started.body;
  const auto shown = started.json().at("messages").at(0).at("attachments").at(0);
  EXPECT_EQ(shown.at("id").as_string(), id);
  EXPECT_EQ(shown.at("name").as_string(), "facture.pdf");
  EXPECT_EQ(Download(id, "u-cmc").status, 200u) << "staff see the conversation";
  EXPECT_EQ(Download(id, "u-c2").status, 200u) << "so does the dossier's other full-access client";
  EXPECT_EQ(Download(id, "u-f2", "", "f2").status, 404u) << "never another firm";
  EXPECT_EQ(Download("a_nothing", "u-cmc").status, 404u);

  // A file whose only message is deleted is no longer shown to others.
  auto later = Upload(RandomBytes(2000, 5), "brouillon.pdf", "u-c1");
  const std::string later_id(later.json().at("id").as_string());
  const std::string conversation(started.json().at("id").as_string());
  auto message = Post("/v1/conversations/" + conversation + "/messages",
                      R"({"body":"Oups","attachments":[")" + later_id + R"("]})", "u-c1");
  ASSERT_EQ(message.status, 201u) << message.body;
  EXPECT_EQ(Download(later_id, "u-cmc").status, 200u);
  const std::string message_id(message.json().at("id").as_string());
  ASSERT_EQ(Call(http::verb::delete_, "/v1/conversations/" + conversation + "/messages/" + message_id, "",
                 testing::UserToken("u-c1", "f1"))
                .status,
            200u);
  EXPECT_EQ(Download(later_id, "u-cmc").status, 404u) << "its message is deleted";
  EXPECT_EQ(Download(later_id, "u-c1").status, 200u) << "its uploader still has it";
  EXPECT_EQ(Download(id, "u-cmc").status, 200u) << "the other file is still held by a message";

  // A private conversation's file stays private.
  auto mine = Upload(RandomBytes(1000, 3), "privé.txt", "u-c1");
  const std::string private_id(mine.json().at("id").as_string());
  auto hidden =
      Post("/v1/dossiers/d-104/conversations",
           R"({"subject":"Privé","body":"Pour le cabinet","audience":{"user":"u-c1"},"attachments":[")" +
               private_id + R"("]})",
           "u-c1");
  ASSERT_EQ(hidden.status, 201u) << hidden.body;
  EXPECT_EQ(Download(private_id, "u-cmc").status, 200u);
  EXPECT_EQ(Download(private_id, "u-c2").status, 404u);
}

TEST_F(AttachmentsApiTest, TheSameBytesAreKeptOnce) {
  const std::string bytes = RandomBytes(100000, 4);
  auto first = Upload(bytes, "a.jpg", "u-c1");
  auto second = Upload(bytes, "b.jpg", "u-cmc");
  ASSERT_EQ(first.status, 201u);
  ASSERT_EQ(second.status, 201u);
  EXPECT_NE(first.json().at("id"), second.json().at("id")) << "two uploads";
  EXPECT_EQ(first.json().at("sha256"), second.json().at("sha256"));
  EXPECT_EQ(StoredFiles(), 1u) << "one file";
  EXPECT_EQ(Download(std::string(second.json().at("id").as_string()), "u-cmc").body, bytes);
}

TEST_F(AttachmentsApiTest, RefusalsKeepNothing) {
  auto big = Upload(std::string((25 << 20) + 1, 'x'), "big.bin", "u-c1");
  EXPECT_EQ(big.status, 413u);
  EXPECT_EQ(Code(big), "too_large");
  EXPECT_EQ(StoredFiles(), 0u) << "nothing kept, no temporary file left";
}

TEST_F(AttachmentsApiTest, BadUploadsAreRefused) {
  EXPECT_EQ(Upload("abc", "", "u-c1").status, 400u) << "no X-Filename";
  EXPECT_EQ(Upload("abc", "../etc/passwd", "u-c1").status, 400u);
  EXPECT_EQ(Upload("", "empty.txt", "u-c1").status, 400u);
  EXPECT_EQ(Upload("abc", "x.txt", "u-c1", "d-105").status, 404u) << "not the client's dossier";
  EXPECT_EQ(Upload("abc", "x.txt", "u-f2").status, 401u) << "u-f2 is not a user of f1";
  auto other = Upload("abc", "x.txt", "u-cmc", "d-105");
  ASSERT_EQ(other.status, 201u);
  auto elsewhere = Post("/v1/dossiers/d-104/conversations",
                        R"({"subject":"S","body":"B","attachments":[")" +
                            std::string(other.json().at("id").as_string()) + R"("]})",
                        "u-cmc");
  EXPECT_EQ(elsewhere.status, 400u) << "an upload of another dossier";
  EXPECT_EQ(StoredFiles(), 1u);
}

}  // namespace
}  // namespace parley
