// Every conversation event survives its FlatBuffers payload unchanged, and
// bad payloads are refused, never read.
#include "domain/event_codec.h"

#include <gtest/gtest.h>

namespace parley::domain {
namespace {

std::vector<Event> OneOfEach() {
  return {
      ConversationStarted{"c-1",
                          "f1",
                          "d-104",
                          "TVA T3 : pièces manquantes",
                          {"u-c1"},
                          "u-cmc",
                          Side::kFirm,
                          {"u-cmc", "u-collab"},
                          {true, 3, 2},
                          1'790'000'000'000'000},
      MessagePosted{"m-1",
                    "u-c1",
                    Side::kClient,
                    "Voici la facture.",
                    {{"up-1", "", ""}, {"", "doc-9", "Relevé septembre.pdf"}},
                    {"u-cmc"},
                    2},
      MessageEdited{"m-1", "Voici la facture corrigée.", 3},
      MessageDeleted{"m-1", 4},
      NoteAdded{"n-1", "u-cmc", "À relancer", {"u-ec"}, 5},
      ParticipantAdded{"u-ec", "u-cmc", true, 6},
      ReadMarked{"u-c1", 7, 7},
      ConversationClosed{"u-cmc", 8},
      ConversationReopened{"u-ec", 9},
  };
}

TEST(EventCodecTest, EveryEventRoundTrips) {
  for (const Event& event : OneOfEach()) {
    std::string payload = EncodeEvent(event);
    auto decoded = DecodeEvent(TypeName(event), kEventSchemaVersion, payload);
    ASSERT_TRUE(decoded.ok()) << TypeName(event) << ": " << decoded.error().message;
    EXPECT_TRUE(*decoded == event) << TypeName(event);
  }
}

TEST(EventCodecTest, EveryDirectoryEventRoundTrips) {
  std::vector<DirectoryEvent> events = {
      FirmDefined{"f1", "Cabinet Dupont", "fr", 1},
      UserDefined{"f1", "u-cmc", UserKind::kStaff, "Claire Martin", "claire@dupont.example", "nl",
                  StaffRole::kChefMissionComptable, 2},
      DossierDefined{"f1",
                     "d-104",
                     "Boulangerie Moreau",
                     "fr",
                     {{"u-c1", ClientProfile::kFullAccess}, {"u-c2", ClientProfile::kLimited}},
                     {"u-cmc"},
                     3},
  };
  for (const DirectoryEvent& event : events) {
    auto decoded = DecodeDirectoryEvent(TypeName(event), kEventSchemaVersion, EncodeEvent(event));
    ASSERT_TRUE(decoded.ok()) << TypeName(event) << ": " << decoded.error().message;
    EXPECT_TRUE(*decoded == event) << TypeName(event);
  }
  EXPECT_FALSE(DecodeDirectoryEvent("MessagePosted", kEventSchemaVersion, EncodeEvent(events[0])).ok());
}

TEST(EventCodecTest, UnalignedPayloadsAreReadSafely) {
  std::string payload = EncodeEvent(OneOfEach()[1]);
  std::string shifted = "x" + payload;
  auto decoded = DecodeEvent("MessagePosted", kEventSchemaVersion, std::string_view(shifted).substr(1));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(*decoded == OneOfEach()[1]);
}

TEST(EventCodecTest, BadPayloadsAreCorruptionNotCrashes) {
  std::string payload = EncodeEvent(OneOfEach()[0]);
  auto unknown = DecodeEvent("SomethingHappened", kEventSchemaVersion, payload);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kCorruption);
  EXPECT_FALSE(DecodeEvent("ConversationStarted", kEventSchemaVersion + 1, payload).ok());
  EXPECT_FALSE(DecodeEvent("ConversationStarted", kEventSchemaVersion, "garbage").ok());
  EXPECT_FALSE(
      DecodeEvent("ConversationStarted", kEventSchemaVersion, payload.substr(0, payload.size() / 2)).ok());
  std::string flipped = payload;
  flipped[0] = static_cast<char>(0xFF);  // the root offset now points outside the buffer
  EXPECT_FALSE(DecodeEvent("ConversationStarted", kEventSchemaVersion, flipped).ok());
}

}  // namespace
}  // namespace parley::domain
