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
//   --spin MS             busy: use MS milliseconds of CPU time (for the parallel benchmarks)
//   --ignore-term         ignore SIGTERM from now on
//   --fork-grandchild MS  fork a child that keeps stdout/stderr open and sleeps MS
//   --fork-quiet-child MS fork a child that closes its output and sleeps MS
//   --setsid-grandchild MS  like --fork-grandchild, but the child leaves the process group
//                         (Windows: a new process group)
//   --daemonize MS        the classic daemon: fork, setsid, fork again, close stdio, sleep MS;
//                         the middle process exits at once and is waited for (Windows: a
//                         detached process, out of the job when the job lets it)
//   --pidfile FILE        append the pid of this process and of every child forked later
//   --env NAME            print "NAME=value" or "NAME unset"
//   --cwd                 print the working directory
//   --stdin               print "stdin: N bytes" after reading stdin to its end
//   --fds                 print "fds: N", the open descriptors above 2 (POSIX only)
//   --handle H            print "handle H: PATH" when the number H is a handle of this process
//                         to the file PATH, else "handle H: none" (Windows only)
//   --signals             print "blocked: N ignored: N session leader: yes|no", the signals
//                         blocked and ignored at start and whether it leads its own session
//                         (POSIX only)
//   --print-args          print every argument after "--", one per line, then stop parsing
//   --exit-unless-attempt N CODE   exit CODE unless PIPELINE_ATTEMPT is N
//   --exit N              exit with N                 --die SIG   kill itself with SIG
//                                                     (Windows: exit 128 + SIG)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>

#include "os.hpp"

namespace {

using misbehave::write_all;

void write_str(int stream, const std::string& s) {
  write_all(stream, s.data(), s.size());
}

void sleep_ms(long ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Burns CPU until this process has used ms of it (std::clock: processor time).
void spin_ms(long ms) {
  const std::clock_t until = std::clock() + static_cast<std::clock_t>(ms) * CLOCKS_PER_SEC / 1000;
  volatile unsigned long sink = 0;
  while (std::clock() < until) {
    for (int k = 0; k < 10000; ++k) sink = sink + static_cast<unsigned long>(k);
  }
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
  if (auto code = misbehave::run_as_child(argc, argv)) return *code;
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
    } else if (a == "--spin") {
      spin_ms(number(argc, argv, i));
    } else if (a == "--ignore-term") {
      misbehave::ignore_term();
    } else if (a == "--fork-grandchild") {
      misbehave::fork_child(number(argc, argv, i), true, false);
    } else if (a == "--fork-quiet-child") {
      misbehave::fork_child(number(argc, argv, i), false, false);
    } else if (a == "--setsid-grandchild") {
      misbehave::fork_child(number(argc, argv, i), true, true);
    } else if (a == "--daemonize") {
      misbehave::daemonize(number(argc, argv, i));
    } else if (a == "--pidfile" && i + 1 < argc) {
      misbehave::pidfile = argv[++i];
      misbehave::record_self();
    } else if (a == "--env" && i + 1 < argc) {
      const char* name = argv[++i];
      const char* v = std::getenv(name);
      write_str(1, std::string(name) + (v ? "=" + std::string(v) : " unset") + "\n");
    } else if (a == "--cwd") {
      std::error_code ec;
      write_str(1, std::filesystem::current_path(ec).string() + "\n");
    } else if (a == "--stdin") {
      write_str(1, "stdin: " + std::to_string(misbehave::read_stdin()) + " bytes\n");
    } else if (a == "--fds" || a == "--signals") {
      auto report = a == "--fds" ? misbehave::fds_report() : misbehave::signals_report();
      if (!report) {
        std::fprintf(stderr, "misbehave: %s is POSIX only\n", argv[i]);
        return 64;
      }
      write_str(1, *report + "\n");
    } else if (a == "--handle" && i + 1 < argc) {
      auto report = misbehave::handle_report(argv[++i]);
      if (!report) {
        std::fprintf(stderr, "misbehave: --handle is Windows only\n");
        return 64;
      }
      write_str(1, *report + "\n");
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
      misbehave::die(static_cast<int>(number(argc, argv, i)));
    } else {
      std::fprintf(stderr, "misbehave: unknown action %s\n", argv[i]);
      return 64;
    }
  }
  return 0;
}
