// Starts NATS servers (Debian 13's nats-server, fetched by
// scripts/fetch-nats-server) on 127.0.0.1 for the JetStream backend's
// tests: one node, or a cluster of several, each with JetStream syncing
// every write and a monitoring port. Servers are started and stopped by PID.
#pragma once

#include <signal.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/testing/http_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

#ifndef PARLEY_NATS_SERVER
#error "PARLEY_NATS_SERVER must name the nats-server binary (scripts/fetch-nats-server)"
#endif

namespace parley::testing {

class NatsCluster {
 public:
  struct Node {
    int client_port = 0;
    int cluster_port = 0;
    int monitor_port = 0;
    pid_t pid = -1;
  };

  // Starts `size` nodes and waits until JetStream answers on every one.
  // `sync_always` false: the server's default, syncing every 2 minutes.
  // Ports are picked before the servers bind them, so another program may
  // take one in between: a cluster that does not form is started again on
  // other ports (and the reason kept, in case none forms).
  explicit NatsCluster(int size, bool sync_always = true) : sync_always_(sync_always), nodes_(size) {
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      why = TryStart(attempt);
      if (why.empty()) return;
      for (Node& n : nodes_) Terminate(n.pid, std::chrono::seconds(5));
      for (Node& n : nodes_) n.pid = -1;
    }
    throw std::runtime_error(why);
  }

  // True once node 0 sees a JetStream meta leader and every node as a peer
  // (a stream of R3 cannot be placed before).
  bool WaitMetaLeader(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        HttpClient http(static_cast<unsigned short>(nodes_[0].monitor_port));
        auto jsz = http.Get("/jsz").json();
        const auto& meta = jsz.at("meta_cluster").as_object();
        const auto* leader = meta.if_contains("leader");
        const auto* peers = meta.if_contains("cluster_size");
        if (leader != nullptr && leader->is_string() && !leader->as_string().empty() && peers != nullptr &&
            peers->to_number<int>() == size()) {
          return true;
        }
      } catch (const std::exception&) {
        // not ready yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  ~NatsCluster() {
    for (Node& n : nodes_) Terminate(n.pid, std::chrono::seconds(5));
  }
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  const Node& node(int i) const { return nodes_[i]; }

  // "nats://127.0.0.1:p1,127.0.0.1:p2?monitor=...&replicas=N", for parleyd --store.
  std::string StoreUrl() const {
    std::string hosts, monitors;
    for (const Node& n : nodes_) {
      hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n.client_port);
      monitors += (monitors.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n.monitor_port);
    }
    return "nats://" + hosts + "?monitor=" + monitors + "&replicas=" + std::to_string(size());
  }
  std::vector<std::string> ServerUrls() const {
    std::vector<std::string> out;
    for (const Node& n : nodes_) out.push_back("nats://127.0.0.1:" + std::to_string(n.client_port));
    return out;
  }
  std::vector<std::string> Monitors() const {
    std::vector<std::string> out;
    for (const Node& n : nodes_) out.push_back("127.0.0.1:" + std::to_string(n.monitor_port));
    return out;
  }

  void Kill(int i) {
    if (nodes_[i].pid <= 0) return;
    kill(nodes_[i].pid, SIGKILL);
    Reap(nodes_[i].pid, std::chrono::seconds(10));
    nodes_[i].pid = -1;
  }
  // Stops node i as an operator would: SIGTERM, SIGKILL after 10 s.
  void Stop(int i) {
    if (nodes_[i].pid <= 0) return;
    Terminate(nodes_[i].pid, std::chrono::seconds(10));
    nodes_[i].pid = -1;
  }
  void Start(int i) {
    if (nodes_[i].pid > 0) return;
    nodes_[i].pid = SpawnLogged({PARLEY_NATS_SERVER, "-c", Config(i)}, Log(i));
  }
  bool running(int i) const { return nodes_[i].pid > 0; }
  // The end of node i's log without its repeated health check warnings,
  // for a failure message.
  std::string LogTail(int i) const { return Tail(Log(i), 6000, "Healthcheck failed"); }

  // The index of the node that leads JetStream stream `stream`, as a running
  // node's /jsz tells; -1 while there is none (an election under way).
  int StreamLeader(const std::string& stream) const {
    return AskAboutStream("/jsz?streams=true", stream, [](const boost::json::object& detail) {
      return std::optional<int>(LeaderIn(detail.at("cluster")).value_or(-1));
    });
  }

  // The index of the node that serves the consumers of stream `stream`
  // (the first one listed: the tests have one), -1 if none is listed.
  int ConsumerHost(const std::string& stream) const {
    return AskAboutStream("/jsz?consumers=true", stream, [](const boost::json::object& detail) {
      const auto* consumers = detail.if_contains("consumer_detail");
      if (consumers == nullptr || consumers->as_array().empty()) return std::optional<int>();  // another node may list it
      return LeaderIn(consumers->as_array()[0].at("cluster"));
    });
  }

  // True once the node's /healthz says JetStream is ready.
  bool WaitHealthy(int i, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        HttpClient http(static_cast<unsigned short>(nodes_[i].monitor_port));
        if (http.Get("/healthz").status == 200) return true;
      } catch (const std::exception&) {
        // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  // Each attempt at starting has its own files.
  std::string Name(int i) const { return "n" + std::to_string(i) + "-" + std::to_string(attempt_); }
  std::string Config(int i) const { return dir_.str(Name(i) + ".conf"); }
  std::string Log(int i) const { return dir_.str(Name(i) + ".log"); }

  // Asks each running node's `query` (a /jsz page) about stream `stream`
  // until `answer`, given the stream's details, says which node (or -1);
  // nullopt: ask the next node. -1 if none says.
  int AskAboutStream(const std::string& query, const std::string& stream,
                     const std::function<std::optional<int>(const boost::json::object&)>& answer) const {
    for (const Node& node : nodes_) {
      if (node.pid <= 0) continue;
      try {
        HttpClient http(static_cast<unsigned short>(node.monitor_port));
        auto jsz = http.Get(query).json();
        for (const auto& account : jsz.at("account_details").as_array()) {
          for (const auto& detail : account.at("stream_detail").as_array()) {
            if (detail.at("name").as_string() != stream) continue;
            if (auto said = answer(detail.as_object())) return *said;
          }
        }
      } catch (const std::exception&) {
        // this node does not answer: ask the next one
      }
    }
    return -1;
  }

  // The node index in a /jsz "cluster" object's leader ("n<i>"), if any.
  static std::optional<int> LeaderIn(const boost::json::value& cluster) {
    const auto* leader = cluster.as_object().if_contains("leader");
    if (leader == nullptr || !leader->is_string() || leader->as_string().size() < 2) return std::nullopt;
    return std::stoi(std::string(leader->as_string().c_str()).substr(1));
  }

  // Starts the nodes on fresh ports and data folders; "" once every node
  // is healthy and (for a cluster) a meta leader sees them all.
  std::string TryStart(int attempt) {
    attempt_ = attempt;
    for (Node& n : nodes_) {
      n.client_port = PickFreePort();
      n.cluster_port = PickFreePort();
      n.monitor_port = PickFreePort();
    }
    for (int i = 0; i < size(); ++i) WriteConfig(i);
    for (int i = 0; i < size(); ++i) Start(i);
    for (int i = 0; i < size(); ++i) {
      if (!WaitHealthy(i, std::chrono::seconds(30))) {
        return "nats-server " + std::to_string(i) + " did not become healthy: " + Tail(Log(i));
      }
    }
    if (size() > 1 && !WaitMetaLeader(std::chrono::seconds(30))) {
      return "the NATS cluster elected no JetStream leader of all its nodes: " + Tail(Log(0));
    }
    return "";
  }

  // The last `bytes` of a log file, for an error message, without the
  // lines that hold `skip` (if given).
  static std::string Tail(const std::string& path, std::size_t bytes = 2000, std::string_view skip = {}) {
    std::ifstream in(path);
    std::string line, text;
    while (std::getline(in, line)) {
      if (skip.empty() || line.find(skip) == std::string::npos) text += line + "\n";
    }
    return path + ":\n" + (text.size() > bytes ? text.substr(text.size() - bytes) : text);
  }

  void WriteConfig(int i) const {
    std::ofstream out(Config(i));
    out << "server_name: n" << i << "\n"
        << "listen: 127.0.0.1:" << nodes_[i].client_port << "\n"
        << "http: 127.0.0.1:" << nodes_[i].monitor_port << "\n"
        << "max_payload: 8MB\n"
        << "jetstream {\n  store_dir: \"" << dir_.str("js-" + Name(i)) << "\"\n"
        << (sync_always_ ? "  sync_interval: always\n" : "") << "}\n";
    if (nodes_.size() > 1) {
      out << "cluster {\n  name: parley-test\n  listen: 127.0.0.1:" << nodes_[i].cluster_port << "\n  routes: [\n";
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (static_cast<int>(j) != i) out << "    nats://127.0.0.1:" << nodes_[j].cluster_port << "\n";
      }
      out << "  ]\n}\n";
    }
  }

  TempDir dir_;
  int attempt_ = 0;
  const bool sync_always_;
  std::vector<Node> nodes_;
};

}  // namespace parley::testing
