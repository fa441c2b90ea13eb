/* limit_idle: the limit for an idle run. Does what a run that finds nothing to do cannot skip:
 * reads the config, takes the run lock, lists each watched folder once against its pattern,
 * and leaves one record that survives a crash (written to a temporary file, fdatasync'd,
 * renamed into place, the folder fsync'd). Nothing else: no parsing, no history, no log.
 *
 *   limit_idle CONFIG STATE_DIR DIR:PATTERN...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int matches(const char* dir, const char* pattern) {
  DIR* d = opendir(dir);
  if (!d) return 0;  // a missing folder holds no inputs
  int n = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.' && fnmatch(pattern, e->d_name, FNM_PERIOD) == 0) ++n;
  closedir(d);
  return n;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: limit_idle CONFIG STATE_DIR DIR:PATTERN...\n");
    return 64;
  }
  char buf[65536], path[4096], tmp[4096];
  int cfg = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (cfg < 0 || read(cfg, buf, sizeof buf) < 0) return 2;
  close(cfg);
  snprintf(path, sizeof path, "%s/pipeline.lock", argv[2]);
  int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) return 3;
  int found = 0;
  for (int i = 3; i < argc; ++i) {
    char* colon = strchr(argv[i], ':');
    if (!colon) return 64;
    *colon = '\0';
    found += matches(argv[i], colon + 1);
  }
  snprintf(tmp, sizeof tmp, "%s/report.json.tmp", argv[2]);
  snprintf(path, sizeof path, "%s/report.json", argv[2]);
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int len = snprintf(buf, sizeof buf, "{\"status\":\"idle\",\"inputs\":%d}\n", found);
  if (out < 0 || write(out, buf, (size_t)len) != len || fdatasync(out) != 0 || close(out) != 0)
    return 4;
  if (rename(tmp, path) != 0) return 5;
  int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 || fsync(dir) != 0) return 6;
  close(dir);
  close(lock);
  return 0;
}
