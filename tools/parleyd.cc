// parleyd: the Parley server. See SPEC.md section 10 and the README.
#include <cstdlib>
#include <iostream>

#include "api/router.h"
#include "api/server.h"
#include "eventstore/event_store.h"
#include "tools/flags.h"

int main(int argc, char** argv) {
  using namespace parley;
  tools::Flags flags(argc, argv, {"test-clock", "help"});
  const std::set<std::string> known = {"data",         "host",    "port",      "jwt-secret",
                                       "test-clock",   "smtp",    "mail-from", "public-url",
                                       "reply-domain", "threads", "help"};
  if (flags.Has("help")) {
    std::cout << "usage: parleyd [--data DIR] [--host ADDR] [--port N] [--jwt-secret S] [--test-clock]\n";
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
  if (!flags.ok()) {
    std::cerr << "parleyd: " << flags.error() << "\n";
    return 2;
  }
  const std::string data = flags.Get("data", "./data");

  eventstore::RocksDbStoreOptions store_options;
  store_options.path = data + "/log";
  auto store = eventstore::OpenRocksDbStore(store_options);
  if (!store.ok()) {
    std::cerr << "parleyd: " << store.error().message << "\n";
    return 1;
  }
  api::Services services{**store, SystemClock::Instance()};
  api::Server server(server_options, [&](const api::Request& r) { return api::Route(services, r); });
  auto port = server.Listen();
  if (!port.ok()) {
    std::cerr << "parleyd: " << port.error().message << "\n";
    return 1;
  }
  std::cout << "listening on " << server_options.host << ":" << *port << std::endl;
  server.Run();
  (*store)->Close();
  std::cout << "parleyd stopped" << std::endl;
  return 0;
}
