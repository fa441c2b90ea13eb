/* limit_delete: the limit for a run whose lifecycle rule deletes its inputs. Lists DIR, keeps
 * the names matching PATTERN with their size and mtime (the snapshot a decision takes), then
 * for each one checks that it did not change (a second stat) and unlinks it: the system calls
 * a safe delete cannot do without, and nothing else.
 *
 *   limit_delete DIR PATTERN
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct input {
  char* name;
  off_t size;
  struct timespec mtime;
};

static int by_name(const void* a, const void* b) {
  return strcmp(((const struct input*)a)->name, ((const struct input*)b)->name);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: limit_delete DIR PATTERN\n");
    return 64;
  }
  DIR* d = opendir(argv[1]);
  if (!d) return 2;
  int dfd = dirfd(d);
  size_t n = 0, cap = 1024;
  struct input* in = malloc(cap * sizeof *in);
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || fnmatch(argv[2], e->d_name, FNM_PERIOD) != 0) continue;
    struct stat st;
    if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (n == cap) in = realloc(in, (cap *= 2) * sizeof *in);
    in[n++] = (struct input){strdup(e->d_name), st.st_size, st.st_mtim};
  }
  qsort(in, n, sizeof *in, by_name);
  size_t deleted = 0;
  for (size_t i = 0; i < n; ++i) {
    struct stat st;
    if (fstatat(dfd, in[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size != in[i].size ||
        st.st_mtim.tv_sec != in[i].mtime.tv_sec || st.st_mtim.tv_nsec != in[i].mtime.tv_nsec)
      continue;
    if (unlinkat(dfd, in[i].name, 0) == 0) ++deleted;
  }
  closedir(d);
  printf("%zu\n", deleted);
  return 0;
}
