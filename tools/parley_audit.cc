// parley-audit: compliance checks that read the log itself, never the read
// models (SPEC sections 8 and 10).
//
//   parley-audit verify --data DIR
//       walks the hash chain; exits 1 naming the first bad position.
//   parley-audit replay --data DIR (--conversation ID | --dossier ID [--firm F]) --as-of RFC3339
//       the conversation (or each conversation of the dossier, with the
//       dossier's counters) as it was at that instant, as JSON.
//   parley-audit export --data DIR --dossier ID [--firm F]
//       the dossier's history as JSON Lines: the same lines as
//       GET /v1/dossiers/{d}/export.
//
// The log is opened read-only, so the tools work beside a running server
// (they see the log as it was when they opened it).
#include <boost/json.hpp>

#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "domain/conversation.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/as_of.h"
#include "projections/conversation_projection.h"
#include "projections/history_projection.h"
#include "tools/flags.h"

namespace {

using namespace parley;
namespace json = boost::json;

constexpr const char* kUsage =
    "usage: parley-audit verify --data DIR\n"
    "       parley-audit replay --data DIR (--conversation ID | --dossier ID [--firm F]) --as-of RFC3339\n"
    "       parley-audit export --data DIR --dossier ID [--firm F]\n";

int Fail(const std::string& message) {
  std::cerr << "parley-audit: " << message << "\n";
  return 1;
}

// Calls `visit` for every event of every partition, partition by
// partition, each in log order (a firm lives in one partition, so each
// firm's events come in order).
Result<void> ForEachEvent(const eventstore::PartitionedLog& log,
                          const std::function<bool(const eventstore::EventView&)>& visit) {
  bool more = true;
  for (std::size_t partition = 0; partition < log.count() && more; ++partition) {
    auto walked = log.at(partition).ForEach(1, eventstore::kEndOfStream, [&](const eventstore::EventView& e) {
      return more = visit(e);
    });
    if (!walked.ok()) return walked.error();
  }
  return {};
}

// Each partition has its own chain.
int Verify(const eventstore::PartitionedLog& log) {
  int status = 0;
  for (std::size_t partition = 0; partition < log.count(); ++partition) {
    const std::string which = log.count() > 1 ? "partition " + std::to_string(partition) + ": " : "";
    auto report = log.at(partition).Verify(1, eventstore::kEndOfStream);
    if (!report.ok()) {
      std::cout << which << "chain broken: first bad position " << report.error().detail << ": "
                << report.error().message << "\n";
      status = 1;
      continue;
    }
    std::cout << which << "chain intact: " << report->checked << " events verified, up to position "
              << report->last_position << "\n";
  }
  return status;
}

// The ids of the conversations started in `dossier` (of `firm`, or of the
// only firm that has such a dossier), from the whole log.
Result<std::pair<std::string, std::vector<std::string>>> ConversationsOf(const eventstore::PartitionedLog& log,
                                                                         const std::string& dossier,
                                                                         std::string firm) {
  std::map<std::string, std::vector<std::string>> by_firm;
  std::optional<Error> failed;
  auto walked = ForEachEvent(log, [&](const eventstore::EventView& e) {
    if (e.type() != "ConversationStarted") return true;
    auto event = domain::DecodeEvent(e.type(), e.schema_version(), e.payload());
    if (!event.ok()) {
      failed = event.error();
      return false;
    }
    const auto& started = std::get<domain::ConversationStarted>(*event);
    if (started.dossier == dossier && (firm.empty() || started.firm == firm))
      by_firm[started.firm].push_back(started.conversation);
    return true;
  });
  if (!walked.ok()) return walked.error();
  if (failed) return *failed;
  if (by_firm.size() > 1)
    return Error::InvalidArgument("several firms have a dossier " + dossier + "; add --firm");
  if (by_firm.empty()) return std::make_pair(firm, std::vector<std::string>());
  return std::make_pair(by_firm.begin()->first, std::move(by_firm.begin()->second));
}

int Replay(const eventstore::PartitionedLog& log, const tools::Flags& flags) {
  const auto as_of = ParseRfc3339(flags.Get("as-of", ""));
  if (!as_of) return Fail("--as-of takes an RFC 3339 time, such as 2026-11-22T09:14:03Z");
  if (flags.Has("conversation")) {
    // A conversation is in its firm's partition: look in each.
    for (std::size_t partition = 0; partition < log.count(); ++partition) {
      auto thread = projections::ConversationAsOf(log.at(partition), flags.Get("conversation", ""), *as_of);
      if (!thread.ok()) return Fail(thread.error().message);
      if (!thread->has_value()) continue;
      std::cout << json::serialize(projections::ThreadJson(**thread)) << "\n";
      return 0;
    }
    return Fail("the conversation had not started at that time");
  }
  const std::string dossier = flags.Get("dossier", "");
  auto found = ConversationsOf(log, dossier, flags.Get("firm", ""));
  if (!found.ok()) return Fail(found.error().message);
  // The staff view of the counters: every conversation of the dossier.
  std::int64_t staff_action = 0, client_action = 0, open = 0, closed = 0;
  json::array conversations;
  eventstore::EventStore& firm_log = log.ForFirm(found->first).store;
  for (const auto& id : found->second) {
    auto thread = projections::ConversationAsOf(firm_log, id, *as_of);
    if (!thread.ok()) return Fail(thread.error().message);
    if (!thread->has_value()) continue;
    const domain::Conversation& c = (**thread).record.state;
    (c.status == domain::Status::kClosed ? closed : open)++;
    staff_action += c.NeedsStaffAction();
    client_action += c.NeedsClientAction();
    conversations.push_back(projections::ThreadJson(**thread));
  }
  std::cout << json::serialize(json::object{{"firm", found->first},
                                            {"dossier", dossier},
                                            {"as_of", FormatRfc3339(*as_of)},
                                            {"counters",
                                             {{"staff_action_needed", staff_action},
                                              {"client_action_needed", client_action},
                                              {"open", open},
                                              {"closed", closed}}},
                                            {"conversations", std::move(conversations)}})
            << "\n";
  return 0;
}

int Export(const eventstore::PartitionedLog& log, const std::string& dossier, const std::string& firm_flag) {
  // Where each conversation lives, learnt from its start as the log goes.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> homes;
  std::set<std::string> firms;
  std::string out;
  std::optional<Error> failed;
  auto walked = ForEachEvent(log, [&](const eventstore::EventView& e) {
    auto entry = projections::RenderHistoryEntry(
        e, [&](std::string_view conversation) -> Result<std::optional<std::pair<std::string, std::string>>> {
          auto it = homes.find(conversation);
          if (it == homes.end()) return std::optional<std::pair<std::string, std::string>>();
          return std::optional(it->second);
        });
    if (!entry.ok()) {
      failed = entry.error();
      return false;
    }
    if (!entry->has_value()) return true;
    const auto& h = **entry;
    if (!h.conversation.empty() && e.stream_version() == 1) homes[h.conversation] = {h.firm, h.dossier};
    if (h.dossier == dossier && (firm_flag.empty() || h.firm == firm_flag)) {
      firms.insert(h.firm);
      out.append(json::serialize(h.json)).push_back('\n');
    }
    return true;
  });
  if (!walked.ok()) return Fail(walked.error().message);
  if (failed) return Fail(failed->message);
  if (firms.size() > 1) return Fail("several firms have a dossier " + dossier + "; add --firm");
  if (firms.empty()) return Fail("no dossier " + dossier + " in the log");
  std::cout << out;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tools::Flags flags(argc, argv, {});
  const auto& args = flags.positional();
  if (!flags.ok() || args.size() != 1 ||
      !flags.Unknown({"data", "conversation", "dossier", "firm", "as-of"}).empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = args[0];
  const bool replay_target = flags.Has("conversation") != flags.Has("dossier");
  if ((command == "export" && !flags.Has("dossier")) ||
      (command == "replay" && (!replay_target || !flags.Has("as-of"))) ||
      (command != "verify" && command != "replay" && command != "export")) {
    std::cerr << kUsage;
    return 2;
  }
  auto log = tools::OpenDataLog(flags.Get("data", "./data"));
  if (!log.ok()) return Fail(log.error().message);
  if (command == "verify") return Verify(**log);
  if (command == "replay") return Replay(**log, flags);
  return Export(**log, flags.Get("dossier", ""), flags.Get("firm", ""));
}
