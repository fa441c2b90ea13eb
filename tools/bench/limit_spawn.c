/* limit_spawn: the limit for the per-stage overhead. Runs a program N times in a row the way a
 * minimal supervisor with the runner's guarantees would: each child in a session of its own,
 * signals reset, no descriptor but the two output pipes, stdin from /dev/null, its stdout and
 * stderr copied into two new log files, waited for with poll until both pipes end and the
 * child is reaped. The logs of every invocation are kept, as the runner keeps every run's, in
 * a new folder. No configuration, no records: what is left is the cost of the process itself.
 *
 *   limit_spawn N DIR PROGRAM [ARG...]      logs go to DIR/<pid>/<i>.out and <i>.err
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void die(const char* what, int err) {
  fprintf(stderr, "limit_spawn: %s: error %d\n", what, err);
  exit(2);
}

static int open_log(const char* dir, int i, const char* ext) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%d.%s", dir, i, ext);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) die("open log", 0);
  return fd;
}

static void run_once(int i, const char* dir, char** argv) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) die("pipe2", 0);
  int logs[2] = {open_log(dir, i, "out"), open_log(dir, i, "err")};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) die("posix_spawn", rc);

  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_pipes = 2;
  char buf[65536];
  while (open_pipes > 0) {
    if (poll(fds, 2, -1) < 0) die("poll", 0);
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      ssize_t n = read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        if (write(logs[k], buf, (size_t)n) != n) die("write log", 0);
      } else {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open_pipes;
      }
    }
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid", 0);
  close(logs[0]);
  close(logs[1]);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: limit_spawn N DIR PROGRAM [ARG...]\n");
    return 64;
  }
  int n = atoi(argv[1]);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/%d", argv[2], (int)getpid());
  if (mkdir(dir, 0755) != 0) die("mkdir", 0);
  for (int i = 0; i < n; ++i) run_once(i, dir, argv + 3);
  return 0;
}
