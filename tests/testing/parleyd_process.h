// Starts the real parleyd on 127.0.0.1 with a free port and a fresh data
// directory, and stops it with SIGTERM. End-to-end tests talk HTTP to it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/child_process.h"

namespace parley::testing {

// The secret test servers sign and check tokens with.
inline constexpr std::string_view kTestJwtSecret = "parley-test-secret-0123456789";

class ParleydProcess {
 public:
  // Starts `PARLEYD_PATH --port 0 --data data_dir extra...` and waits for
  // its "listening on 127.0.0.1:PORT" line.
  ParleydProcess(const std::string& data_dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        PARLEYD_PATH, "--port", "0", "--data", data_dir, "--jwt-secret", std::string(kTestJwtSecret)};
    args.insert(args.end(), extra.begin(), extra.end());
    ChildProcess child = SpawnWithStdoutPipe(std::move(args));
    pid_ = child.pid;
    out_ = child.stdout_fd;
    std::string line = ReadLine(std::chrono::seconds(60));
    const std::string prefix = "listening on 127.0.0.1:";
    if (line.rfind(prefix, 0) != 0) throw std::runtime_error("parleyd said: " + line);
    port_ = static_cast<unsigned short>(std::stoi(line.substr(prefix.size())));
  }

  ~ParleydProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits; returns the exit status, or -1 on a signal or
  // if it did not stop within `timeout`.
  int Terminate(std::chrono::seconds timeout = std::chrono::seconds(20)) {
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  // SIGKILL, as a crash: nothing is flushed or closed.
  void Kill() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // The next line of its standard output.
  std::string ReadLine(std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    char c;
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = read(out_, &c, 1);
      if (n <= 0) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  unsigned short port_ = 0;
};

}  // namespace parley::testing
