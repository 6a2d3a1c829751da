// parleyd: the Parley server. See SPEC.md section 10 and the README.
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "api/router.h"
#include "api/server.h"
#include "eventstore/event_store.h"
#include "eventstore/jetstream_store.h"
#include "eventstore/partitioned_log.h"
#include "projections/all_projections.h"
#include "projections/directory_projection.h"
#include "projections/projector.h"
#include "tools/flags.h"

namespace {

// The embedded RocksDB log under DATA/log (one partition), or with
// --store nats://... the JetStream cluster's partitions, each read through
// a local copy under DATA/jetstream/<partition>. On JetStream, also the
// lease that lets one parleyd of the cluster send e-mail at a time
// (`mailer_lease`; none on RocksDB, which one process owns).
parley::Result<std::unique_ptr<parley::eventstore::PartitionedLog>> OpenLog(
    const parley::tools::Flags& flags, const std::string& data, const parley::Clock& clock,
    std::unique_ptr<parley::eventstore::Lease>& mailer_lease) {
  using namespace parley::eventstore;
  const std::string url = flags.Get("store", "");
  std::vector<std::unique_ptr<EventStore>> partitions;
  if (url.empty() || url == "rocksdb") {
    RocksDbStoreOptions options;
    options.path = data + "/log";
    options.clock = &clock;
    auto store = OpenRocksDbStore(options);
    if (!store.ok()) return store.error();
    partitions.push_back(std::move(*store));
  } else {
    JetStreamStoreOptions options;
    if (auto parsed = ParseJetStreamUrl(url, options); !parsed.ok()) return parsed.error();
    options.unsafe_durability = flags.Has("unsafe-durability");
    options.mirror_path = data + "/jetstream";
    options.clock = &clock;
    std::cerr << "parleyd: the event log is " << options.partitions << " JetStream stream(s) EV_"
              << PartitionName(options.log_name, 0) << (options.partitions > 1 ? "..." : "") << " on " << url
              << std::endl;
    auto opened = OpenJetStreamLog(options);
    if (!opened.ok()) return opened.error();
    partitions = std::move(*opened);
    if (!flags.Has("no-mailer")) {
      auto lease = OpenJetStreamLease(options, "mailer");
      if (!lease.ok()) return lease.error();
      mailer_lease = std::move(*lease);
    }
  }
  return std::make_unique<PartitionedLog>(std::move(partitions));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley;
  tools::Flags flags(argc, argv, {"test-clock", "help", "unsafe-durability", "no-mailer"});
  const std::set<std::string> known = {"data",          "host",          "port",         "jwt-secret",
                                       "test-clock",    "smtp",          "mail-from",    "public-url",
                                       "reply-domain",  "threads",       "help",         "max-upload-mib",
                                       "stream-buffer", "store",         "unsafe-durability", "no-mailer",
                                       "write-threads"};
  if (flags.Has("help")) {
    std::cout << "usage: parleyd [--data DIR] [--host ADDR] [--port N] [--threads N] [--write-threads N] [--jwt-secret S] "
                 "[--test-clock] [--max-upload-mib N] [--stream-buffer EVENTS]\n"
                 "               [--smtp smtp[s]://[user:password@]host[:port]] [--mail-from ADDRESS]\n"
                 "               [--public-url URL] [--reply-domain DOMAIN]\n"
                 "               [--store nats://host:port[,host:port...]?monitor=host:port,...[&replicas=N]"
                 "[&partitions=N][&log=NAME]]\n"
                 "               [--unsafe-durability] [--no-mailer]\n";
    return 0;
  }
  if (std::string unknown = flags.Unknown(known); !unknown.empty()) {
    std::cerr << "parleyd: unknown flag " << unknown << "\n";
    return 2;
  }
  api::ServerOptions server_options;
  server_options.host = flags.Get("host", "127.0.0.1");
  server_options.port = static_cast<std::uint16_t>(flags.GetInt("port", 8080, 0, 65535));
  server_options.threads = static_cast<int>(flags.GetInt("threads", 2, 1, 64));
  server_options.write_threads = static_cast<int>(flags.GetInt("write-threads", 64, 1, 1024));
  server_options.max_upload_bytes = static_cast<std::size_t>(flags.GetInt("max-upload-mib", 25, 1, 4096))
                                    << 20;
  // The live stream's ring: how far a connection may fall behind.
  const auto stream_buffer = static_cast<std::size_t>(flags.GetInt("stream-buffer", 10'000, 1, 10'000'000));
  if (!flags.ok()) {
    std::cerr << "parleyd: " << flags.error() << "\n";
    return 2;
  }
  const std::string data = flags.Get("data", "./data");
  const char* env_secret = std::getenv("PARLEY_JWT_SECRET");
  const std::string secret = flags.Get("jwt-secret", env_secret ? env_secret : "");
  if (secret.size() < 16) {
    std::cerr << "parleyd: give a JWT secret of at least 16 bytes with --jwt-secret or PARLEY_JWT_SECRET\n";
    return 2;
  }

  // --test-clock: time stands still until POST /v1/admin/clock moves it.
  std::optional<ManualClock> test_clock;
  if (flags.Has("test-clock")) test_clock.emplace(SystemClock::Instance().Now());
  const Clock& clock = test_clock ? static_cast<const Clock&>(*test_clock) : SystemClock::Instance();

  std::unique_ptr<eventstore::Lease> mailer_lease;
  auto log = OpenLog(flags, data, clock, mailer_lease);
  if (!log.ok()) {
    std::cerr << "parleyd: " << log.error().message << "\n";
    return 1;
  }
  auto models = projections::ReadModelStore::Open(data + "/projections");
  if (!models.ok()) {
    std::cerr << "parleyd: " << models.error().message << "\n";
    return 1;
  }
  projections::AllProjections all;
  // The mailer starts after the read models; until then there is nobody to wake.
  std::atomic<api::Mailer*> mailer_to_wake = nullptr;
  all.outbox().OnDueWork([&](Micros earliest) {
    if (api::Mailer* m = mailer_to_wake.load()) m->Wake(earliest);
  });
  projections::Projector projector(**log, **models, all.list());
  if (auto started = projector.Start(); !started.ok()) {
    std::cerr << "parleyd: cannot bring the read models up to date: " << started.error().message << "\n";
    return 1;
  }
  api::Service service(**log, **models, projector, all.directory(), clock);
  // Jobs a stop or a crash interrupted carry on where they were.
  if (auto resumed = service.ResumeBulkJobs(); !resumed.ok()) {
    std::cerr << "parleyd: cannot resume the bulk sends: " << resumed.error().message << "\n";
    return 1;
  }
  api::Metrics metrics;
  auto attachments = api::AttachmentStore::Open(data + "/attachments");
  if (!attachments.ok()) {
    std::cerr << "parleyd: " << attachments.error().message << "\n";
    return 1;
  }
  // E-mail: over SMTP when configured, else as .eml files in DATA/outbox.
  const std::string mail_from = flags.Get("mail-from", "noreply@localhost");
  const std::string reply_domain = flags.Get("reply-domain", mail_from.substr(mail_from.rfind('@') + 1));
  auto transport = flags.Has("smtp") ? api::OpenSmtpTransport(flags.Get("smtp", ""))
                                     : api::OpenEmlDirectory(data + "/outbox");
  if (!transport.ok()) {
    std::cerr << "parleyd: " << transport.error().message << "\n";
    return 2;
  }
  api::ReplyTokens reply_tokens(secret, reply_domain);
  service.SetReplyTokens(&reply_tokens);
  api::MailerOptions mailer_options;
  mailer_options.mail_from = mail_from;
  if (mailer_lease) mailer_options.may_send = [&mailer_lease] { return mailer_lease->Held(); };
  std::optional<api::Mailer> mailer;  // made once the port is known, for the links

  api::Services services{**log, service, secret, SystemClock::Instance(), &metrics, &projector};
  services.attachments = attachments->get();
  api::LiveEvents live(**log, **models, projector, stream_buffer);
  services.live = &live;
  server_options.upload_file = [&](const api::http::request_header<>& header) {
    return api::UploadTarget(services, header);
  };
  if (test_clock) services.test_clock = &*test_clock;
  api::Server server(server_options, [&](const api::Request& r) { return api::Route(services, r); });
  auto port = server.Listen();
  if (!port.ok()) {
    std::cerr << "parleyd: " << port.error().message << "\n";
    return 1;
  }
  mailer_options.public_url =
      flags.Get("public-url", "http://" + server_options.host + ":" + std::to_string(*port));
  // --no-mailer: this parleyd never sends e-mail. On JetStream the others
  // take turns: only the holder of the cluster's mailer lease sends.
  if (!flags.Has("no-mailer")) {
    mailer.emplace(**log, **models, projector, all.directory(), clock, **transport, reply_tokens,
                   mailer_options);
    services.mailer = &*mailer;
    mailer_to_wake = &*mailer;
    mailer->Start();
    std::cerr << "parleyd: e-mail goes to " << (*transport)->Describe()
              << (mailer_lease ? " (while this server holds the cluster's mailer lease)" : "") << std::endl;
  } else {
    std::cerr << "parleyd: no mailer here (--no-mailer)" << std::endl;
  }
  std::cout << "listening on " << server_options.host << ":" << *port << std::endl;
  server.Run();
  live.Stop();
  mailer_to_wake = nullptr;
  if (mailer) mailer->Stop();
  service.StopBulkJobs();
  projector.Stop();
  (*log)->Close();
  std::cout << "parleyd stopped" << std::endl;
  return 0;
}
