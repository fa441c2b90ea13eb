/* limit_splice: the limit for streaming a stage's output into a log. Moves everything from
 * stdin (a pipe) into FILE with splice, without copying it through user memory.
 *
 *   STAGE | limit_splice FILE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: STAGE | limit_splice FILE\n");
    return 64;
  }
  int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return 2;
  for (;;) {
    ssize_t n = splice(0, NULL, out, NULL, 1 << 20, SPLICE_F_MOVE);
    if (n == 0) break;
    if (n < 0) return 3;
  }
  return close(out) == 0 ? 0 : 4;
}
