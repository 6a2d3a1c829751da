// A real SMTP server for tests: aiosmtpd (Debian's python3-aiosmtpd) on
// 127.0.0.1, saving every accepted message's raw bytes to a folder.
//
// Why a script of our own rather than `python3 -m aiosmtpd -c
// aiosmtpd.handlers.Mailbox DIR`: the stock Mailbox handler re-serialises
// each message through Python's email package and adds X-Peer / X-MailFrom /
// X-RcptTo headers (so the bytes are not the bytes sent), its Maildir names
// carry no arrival order, it cannot refuse a recipient, and the CLI cannot
// offer AUTH without TLS. The script below is aiosmtpd's own SMTP class with
// a small handler:
//   - RCPT to a local part starting with "refuse"   -> 550 (permanent)
//   - RCPT to a local part starting with "tempfail" -> 451 (temporary)
//   - DATA for a recipient starting with "baddata"  -> 554 after the data
//   - otherwise 250, and the message is saved as NNNNNNNN.eml (raw bytes,
//     CRLF, dot-unstuffed) with NNNNNNNN.envelope beside it.
// With Options::user set, AUTH PLAIN/LOGIN is offered over plain TCP and
// required, and only that user and password are accepted.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"


namespace parley::testing {

inline constexpr char kSmtpServerScript[] = R"PY(
import asyncio, os, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

host, port, folder, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def write_atomically(path, data):
    tmp = path + '.part'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)

def local_part(address):
    return address.split('@', 1)[0].lower()

class Handler:
    def __init__(self):
        # Numbering continues over a restart on the same folder.
        self.next = len([n for n in os.listdir(folder) if n.endswith('.eml')])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if local_part(address).startswith('refuse'):
            return '550 5.1.1 <%s>: recipient address rejected' % address
        if local_part(address).startswith('tempfail'):
            return '451 4.3.0 <%s>: try again later' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if any(local_part(r).startswith('baddata') for r in envelope.rcpt_tos):
            return '554 5.6.0 message content rejected'
        stem = os.path.join(folder, '%08d' % self.next)
        self.next += 1
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ''
        meta = '\n'.join([envelope.mail_from or '', login] + list(envelope.rcpt_tos)) + '\n'
        write_atomically(stem + '.envelope', meta.encode())
        write_atomically(stem + '.eml', envelope.original_content)
        return '250 2.0.0 OK queued as %08d' % (self.next - 1)

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    # handled=False: aiosmtpd itself then answers 535 to a refused login.
    return AuthResult(success=ok, handled=False, auth_data=auth_data)

async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    def factory():
        if user:
            return SMTP(handler, hostname='smtp.test', auth_required=True, auth_require_tls=False,
                        authenticator=authenticator)
        return SMTP(handler, hostname='smtp.test')
    await loop.create_server(factory, host, port)
    print('ready', flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
)PY";

class SmtpServer {
 public:
  struct Options {
    std::string user;  // empty: no AUTH
    std::string password;
  };
  // One message the server accepted.
  struct Delivery {
    std::string mail_from;              // MAIL FROM, without angle brackets
    std::string login;                  // the AUTH user, or empty
    std::vector<std::string> rcpt_tos;  // accepted RCPT TO addresses
    std::string data;                   // the raw message (CRLF, as after DATA)
  };

  // Starts the server on a free port; throws std::runtime_error if it cannot.
  SmtpServer() : SmtpServer(Options{}) {}
  explicit SmtpServer(Options options) : options_(std::move(options)) {
    std::filesystem::create_directories(maildir());
    std::ofstream(script()) << kSmtpServerScript;
    // A port picked by binding port 0 can be taken again before the server
    // binds it: retry with another one.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = PickFreePort();
      if (Launch()) return;
    }
    throw std::runtime_error("cannot start the test SMTP server; see " + dir_.str("server.log"));
  }
  ~SmtpServer() { Stop(); }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  // Takes the server down (connections are then refused); what it received stays.
  void Stop() {
    if (pid_ <= 0) return;
    Terminate(pid_, std::chrono::seconds(5));
    pid_ = -1;
  }
  // Brings it back on the same port; throws if it cannot.
  void Start() {
    if (pid_ > 0) return;
    // The old listening socket may linger a moment; asyncio binds with
    // SO_REUSEADDR, so a few tries suffice.
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (Launch()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    throw std::runtime_error("cannot restart the test SMTP server on port " + std::to_string(port_));
  }

  // Every accepted message, in arrival order.
  std::vector<Delivery> Deliveries() const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(maildir())) {
      if (entry.path().extension() == ".eml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<Delivery> out;
    for (const auto& file : files) {
      Delivery d;
      d.data = ReadAll(file);
      auto meta = file;
      std::istringstream lines(ReadAll(meta.replace_extension(".envelope")));
      std::getline(lines, d.mail_from);
      std::getline(lines, d.login);
      for (std::string line; std::getline(lines, line);) d.rcpt_tos.push_back(line);
      out.push_back(std::move(d));
    }
    return out;
  }
  // Every accepted message's raw bytes, in arrival order.
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (auto& d : Deliveries()) out.push_back(std::move(d.data));
    return out;
  }
  // True once at least n messages arrived, false after `timeout`.
  bool WaitForMessages(size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      size_t count = 0;
      for (const auto& entry : std::filesystem::directory_iterator(maildir())) {
        count += entry.path().extension() == ".eml";
      }
      if (count >= n) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::string maildir() const { return dir_.str("mail"); }
  std::string script() const { return dir_.str("smtp_server.py"); }

  static std::string ReadAll(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Starts the process and waits (≤ 10 s) for its 220 greeting; false if it
  // exited first (e.g. the port was taken).
  bool Launch() {
    std::vector<std::string> args = {"/usr/bin/python3",    script(),  "127.0.0.1",
                                     std::to_string(port_), maildir(), options_.user,
                                     options_.password};
    const pid_t pid = SpawnLogged(std::move(args), dir_.str("server.log"));
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (Greets()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Stop();
    return false;
  }

  // Connects and reads the "220 " greeting, then says QUIT.
  bool Greets() const {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = false;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      pollfd p{fd, POLLIN, 0};
      char buf[512];
      if (poll(&p, 1, 2000) == 1) {
        const ssize_t n = read(fd, buf, sizeof buf);
        ok = n >= 4 && std::string(buf, 4) == "220 ";
      }
      if (ok) (void)!write(fd, "QUIT\r\n", 6);
    }
    close(fd);
    return ok;
  }

  Options options_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace parley::testing
