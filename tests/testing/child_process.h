// Starts a program as a child process whose standard output is a pipe the
// test reads (the crash writer, parleyd).
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace parley::testing {

struct ChildProcess {
  pid_t pid = -1;
  int stdout_fd = -1;  // read end of its standard output
};

// Runs args[0] with the arguments that follow; throws if it cannot start.
inline ChildProcess SpawnWithStdoutPipe(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t parent = getpid();
  ChildProcess child;
  child.pid = fork();
  if (child.pid == 0) {
    // The child dies with the test: a test that aborts (an ASan report, a
    // failed ASSERT in a helper) must not leave a server holding ctest's pipe.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  close(fds[1]);
  if (child.pid < 0) {
    close(fds[0]);
    throw std::runtime_error("cannot start " + args[0]);
  }
  child.stdout_fd = fds[0];
  return child;
}

struct ProgramRun {
  int status;       // exit status; -1 if it did not exit normally
  std::string out;  // everything it wrote to standard output
};

// Runs a program to its end (tools under test: parley-demo, parley-audit).
inline ProgramRun RunProgram(std::vector<std::string> args) {
  ChildProcess child = SpawnWithStdoutPipe(std::move(args));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(child.stdout_fd, buf, sizeof buf)) > 0;) out.append(buf, n);
  close(child.stdout_fd);
  int status = 0;
  waitpid(child.pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace parley::testing
