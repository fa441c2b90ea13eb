#pragma once
/// Loopback receivers for the notification tests (tools/receivers/notify_receiver.py, on
/// Debian's python3 and aiosmtpd): an HTTP server, one that never answers, and an SMTP server
/// that requires STARTTLS, each recording what it received, one JSON object per line. Started
/// in a folder of the test's, ready once it has written its port; killed at the end.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace pipeline::testing {

inline const char* const kReceiverPython = "/usr/bin/python3";

class Receiver {
 public:
  /// kind "http" or "smtp", then the receiver's own options.
  Receiver(const std::filesystem::path& dir, const std::string& name, std::vector<std::string> args)
      : record_(dir / (name + ".jsonl")), port_file_(dir / (name + ".port")) {
    std::filesystem::remove(port_file_);
    std::vector<std::string> argv = {
        kReceiverPython, std::string(SOURCE_DIR) + "/tools/receivers/notify_receiver.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--record", record_.string(), "--port-file", port_file_.string()});
    const std::string log = (dir / (name + ".log")).string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Its own chatter (a refused TLS handshake is a traceback) goes to a file of the test's.
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv(kReceiverPython, raw.data());
      ::_exit(127);
    }
    // Ready when it has written its port (it binds first): no guessing with a sleep.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(port_file_)) {
      int status = 0;
      REQUIRE(::waitpid(pid_, &status, WNOHANG) == 0);  // it did not die on the way
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    port_ = std::stoi(slurp(port_file_));
  }
  ~Receiver() { stop(); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  /// The receiver goes away: a later connection is refused.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  /// Everything received so far, oldest first.
  std::vector<nlohmann::json> received() const {
    std::vector<nlohmann::json> out;
    std::istringstream lines(slurp(record_));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }

 private:
  std::filesystem::path record_;
  std::filesystem::path port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

/// A self-signed certificate for localhost and 127.0.0.1 (openssl), and its key.
struct TestCertificate {
  std::filesystem::path cert, key;
  explicit TestCertificate(const std::filesystem::path& dir)
      : cert(dir / "cert.pem"), key(dir / "key.pem") {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
        " -days 2 -keyout '" +
        key.string() + "' -out '" + cert.string() + "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
};

}  // namespace pipeline::testing
