/* limit_scan: the limit for a decision over a large folder. Lists DIR once, keeps the names
 * that match PATTERN (fnmatch, as a `when.files` glob's last part), sorts them and prints how
 * many there are: what the decision must do at least, with nothing else.
 *
 *   limit_scan DIR PATTERN
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: limit_scan DIR PATTERN\n");
    return 64;
  }
  DIR* d = opendir(argv[1]);
  if (!d) return 2;
  size_t n = 0, cap = 1024;
  char** names = malloc(cap * sizeof *names);
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || fnmatch(argv[2], e->d_name, FNM_PERIOD) != 0) continue;
    if (n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  printf("%zu\n", n);
  return 0;
}
