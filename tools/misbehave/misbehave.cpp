// misbehave: a stage program that misbehaves on purpose, for the supervisor's tests.
// Flags are actions, run in the order given; the program exits 0 after the last one.
//
//   --print TEXT          a line on stdout          --eprint TEXT      a line on stderr
//   --lines N             N lines of --line-bytes (default 100, newline included) on stdout
//   --line-bytes B        size of the lines --lines prints
//   --rate N              --lines prints N lines per second (0: as fast as possible)
//   --interleave N        N lines alternately on stdout and stderr, as fast as possible
//   --huge-line N         N bytes on stdout with no newline
//   --invalid-utf8        a line with invalid UTF-8 bytes on stdout
//   --binary N            N bytes of every value 0-255 on stdout
//   --sleep MS            sleep (stay silent) for MS milliseconds
//   --ignore-term         ignore SIGTERM from now on
//   --fork-grandchild MS  fork a child that keeps stdout/stderr open and sleeps MS
//   --fork-quiet-child MS fork a child that closes its output and sleeps MS
//   --setsid-grandchild MS  like --fork-grandchild, but the child leaves the process group
//   --daemonize MS        the classic daemon: fork, setsid, fork again, close stdio, sleep MS;
//                         the middle process exits at once and is waited for
//   --pidfile FILE        append the pid of this process and of every child forked later
//   --env NAME            print "NAME=value" or "NAME unset"
//   --cwd                 print the working directory
//   --stdin               print "stdin: N bytes" after reading stdin to its end
//   --fds                 print "fds: N", the open descriptors above 2
//   --signals             print "blocked: N ignored: N session leader: yes|no", the signals
//                         blocked and ignored at start and whether it leads its own session
//   --print-args          print every argument after "--", one per line, then stop parsing
//   --exit-unless-attempt N CODE   exit CODE unless PIPELINE_ATTEMPT is N
//   --exit N              exit with N                 --die SIG   kill itself with SIG
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace {

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) std::exit(120);  // the reader went away
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_str(int fd, const std::string& s) {
  write_all(fd, s.data(), s.size());
}

void sleep_ms(long ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::string pidfile;

void record_pid(pid_t pid) {
  if (pidfile.empty()) return;
  std::ofstream(pidfile, std::ios::app) << pid << "\n";
}

// The parent goes on only once the child has recorded its pid, so a test never races a
// child that is killed before it could say who it is.
struct Ready {
  int fds[2] = {-1, -1};
  Ready() {
    if (::pipe(fds) != 0) std::exit(121);
  }
  void signal() {
    write_all(fds[1], "r", 1);
    ::close(fds[1]);
    ::close(fds[0]);
  }
  void wait() {
    ::close(fds[1]);
    char c;
    while (::read(fds[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::close(fds[0]);
  }
};

void fork_child(long ms, bool keep_output, bool new_session) {
  Ready ready;
  pid_t pid = ::fork();
  if (pid < 0) std::exit(121);
  if (pid == 0) {
    if (new_session) ::setsid();
    record_pid(::getpid());
    ready.signal();
    if (!keep_output) {
      ::close(1);
      ::close(2);
    }
    sleep_ms(ms);
    std::_Exit(0);
  }
  ready.wait();
}

void daemonize(long ms) {
  Ready ready;
  pid_t middle = ::fork();
  if (middle < 0) std::exit(121);
  if (middle == 0) {
    ::setsid();
    pid_t daemon = ::fork();
    if (daemon == 0) {
      record_pid(::getpid());
      ready.signal();
      for (int fd = 0; fd < 3; ++fd) ::close(fd);
      sleep_ms(ms);
    }
    std::_Exit(0);
  }
  ready.wait();
  int status = 0;
  ::waitpid(middle, &status, 0);
}

long number(int argc, char** argv, int& i) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "misbehave: %s needs a value\n", argv[i]);
    std::exit(64);
  }
  return std::strtol(argv[++i], nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  long line_bytes = 100, rate = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--print" && i + 1 < argc) {
      write_str(1, std::string(argv[++i]) + "\n");
    } else if (a == "--eprint" && i + 1 < argc) {
      write_str(2, std::string(argv[++i]) + "\n");
    } else if (a == "--line-bytes") {
      line_bytes = std::max(1L, number(argc, argv, i));
    } else if (a == "--rate") {
      rate = number(argc, argv, i);
    } else if (a == "--lines") {
      long n = number(argc, argv, i);
      std::string line(static_cast<std::size_t>(line_bytes - 1), 'x');
      line += '\n';
      if (rate > 0) {
        auto start = std::chrono::steady_clock::now();
        for (long k = 0; k < n; ++k) {
          write_str(1, line);
          std::this_thread::sleep_until(start +
                                        std::chrono::microseconds(1'000'000 * (k + 1) / rate));
        }
      } else {
        std::string block;
        for (int k = 0; k < 64; ++k) block += line;
        long k = 0;
        for (; k + 64 <= n; k += 64) write_str(1, block);
        for (; k < n; ++k) write_str(1, line);
      }
    } else if (a == "--interleave") {
      long n = number(argc, argv, i);
      for (long k = 0; k < n; ++k) {
        write_str(k % 2 ? 2 : 1, (k % 2 ? "err " : "out ") + std::to_string(k) + "\n");
      }
    } else if (a == "--huge-line") {
      long n = number(argc, argv, i);
      std::string chunk(64 * 1024, 'y');
      for (long done = 0; done < n;) {
        long part = std::min<long>(n - done, static_cast<long>(chunk.size()));
        write_all(1, chunk.data(), static_cast<std::size_t>(part));
        done += part;
      }
    } else if (a == "--invalid-utf8") {
      write_str(1, "bad \xff\xfe bytes \xc3\x28 end\n");
    } else if (a == "--binary") {
      long n = number(argc, argv, i);
      std::string bytes;
      for (long k = 0; k < n; ++k) bytes += static_cast<char>(k % 256);
      write_str(1, bytes);
    } else if (a == "--sleep") {
      sleep_ms(number(argc, argv, i));
    } else if (a == "--ignore-term") {
      ::signal(SIGTERM, SIG_IGN);
    } else if (a == "--fork-grandchild") {
      fork_child(number(argc, argv, i), true, false);
    } else if (a == "--fork-quiet-child") {
      fork_child(number(argc, argv, i), false, false);
    } else if (a == "--setsid-grandchild") {
      fork_child(number(argc, argv, i), true, true);
    } else if (a == "--daemonize") {
      daemonize(number(argc, argv, i));
    } else if (a == "--pidfile" && i + 1 < argc) {
      pidfile = argv[++i];
      record_pid(::getpid());
    } else if (a == "--env" && i + 1 < argc) {
      const char* name = argv[++i];
      const char* v = std::getenv(name);
      write_str(1, std::string(name) + (v ? "=" + std::string(v) : " unset") + "\n");
    } else if (a == "--cwd") {
      char buf[4096];
      write_str(1, std::string(::getcwd(buf, sizeof buf) ? buf : "?") + "\n");
    } else if (a == "--stdin") {
      char buf[4096];
      long total = 0;
      ssize_t n;
      while ((n = ::read(0, buf, sizeof buf)) > 0) total += n;
      write_str(1, "stdin: " + std::to_string(total) + " bytes\n");
    } else if (a == "--fds") {
      int count = 0;
      if (DIR* d = ::opendir("/proc/self/fd")) {
        while (dirent* e = ::readdir(d)) {
          int fd = std::atoi(e->d_name);
          if (e->d_name[0] != '.' && fd > 2 && fd != ::dirfd(d)) ++count;
        }
        ::closedir(d);
      }
      write_str(1, "fds: " + std::to_string(count) + "\n");
    } else if (a == "--signals") {
      sigset_t blocked;
      ::sigprocmask(SIG_BLOCK, nullptr, &blocked);
      int nblocked = 0, nignored = 0;
      for (int sig = 1; sig < NSIG; ++sig) {
        struct sigaction sa {};
        if (::sigismember(&blocked, sig) == 1) ++nblocked;
        if (::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) ++nignored;
      }
      write_str(1, "blocked: " + std::to_string(nblocked) +
                       " ignored: " + std::to_string(nignored) +
                       " session leader: " + (::getsid(0) == ::getpid() ? "yes" : "no") + "\n");
    } else if (a == "--print-args") {
      bool after = false;
      for (int k = i + 1; k < argc; ++k) {
        if (after) write_str(1, std::string("arg: ") + argv[k] + "\n");
        if (std::string(argv[k]) == "--") after = true;
      }
      break;
    } else if (a == "--exit-unless-attempt") {
      long want = number(argc, argv, i);
      long code = number(argc, argv, i);
      const char* attempt = std::getenv("PIPELINE_ATTEMPT");
      if (!attempt || std::strtol(attempt, nullptr, 10) != want) return static_cast<int>(code);
    } else if (a == "--exit") {
      return static_cast<int>(number(argc, argv, i));
    } else if (a == "--die") {
      int sig = static_cast<int>(number(argc, argv, i));
      ::signal(sig, SIG_DFL);
      ::raise(sig);
      sleep_ms(1000);
      return 125;
    } else {
      std::fprintf(stderr, "misbehave: unknown action %s\n", argv[i]);
      return 64;
    }
  }
  return 0;
}
