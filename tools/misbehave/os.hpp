#pragma once
// What misbehave does through the operating system, one file per platform (os_posix.cpp,
// os_win32.cpp); misbehave.cpp holds the actions that are the same everywhere.

#include <cstddef>
#include <optional>
#include <string>

namespace misbehave {

/// The file every process of this program appends its id to (see --pidfile); empty: none.
extern std::string pidfile;

/// Appends this process's id to the pidfile.
void record_self();

/// Writes all of `data` to stdout (stream 1) or stderr (2); exits 120 when the reader is gone.
void write_all(int stream, const char* data, std::size_t n);

/// Reads stdin to its end and returns how many bytes it gave.
long long read_stdin();

/// From now on the gentle stop (SIGTERM; on Windows Ctrl-Break and Ctrl-C) is ignored.
void ignore_term();

/// Ends this process the way signal `sig` would (on Windows, where there are no signals, the
/// exit code 128 + sig).
[[noreturn]] void die(int sig);

/// Starts a child that records its id and then sleeps `ms`; returns once it has recorded it.
/// keep_output: the child holds stdout and stderr open (else it closes them; on Windows it
/// writes to NUL); new_group: it leaves the process group (POSIX: a session of its own;
/// Windows: a new process group).
void fork_child(long ms, bool keep_output, bool new_group);

/// The classic daemon: a middle process starts a detached one (POSIX: fork, setsid, fork;
/// Windows: DETACHED_PROCESS, out of the job when the job allows it) that lets go of its output
/// and sleeps `ms`; the middle process exits at once.
void daemonize(long ms);

/// "fds: N", the open descriptors above 2 (POSIX only).
std::optional<std::string> fds_report();

/// "handle H: PATH" when H (a number) is a handle of this process to the file PATH, else
/// "handle H: none" (Windows only).
std::optional<std::string> handle_report(const std::string& value);

/// "blocked: N ignored: N session leader: yes|no" (POSIX only).
std::optional<std::string> signals_report();

/// When this process was started by fork_child or daemonize on a platform without fork, runs
/// what that child does and returns its exit code.
std::optional<int> run_as_child(int argc, char** argv);

}  // namespace misbehave
