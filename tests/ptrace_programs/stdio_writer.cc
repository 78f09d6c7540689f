// Writes its file with stdio, whose open and writes happen inside libc where
// the preload library cannot see them: fopen, fwrite, fflush, fsync, fclose.
// Usage: stdio_writer DIR
#include <stdio.h>
#include <unistd.h>

#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  FILE* f = fopen((std::string(argv[1]) + "/data.txt").c_str(), "w");
  if (f == nullptr) return 1;
  if (fwrite("line1\n", 1, 6, f) != 6 || fflush(f) != 0) return 1;
  if (fwrite("line2\n", 1, 6, f) != 6 || fflush(f) != 0) return 1;
  if (fsync(fileno(f)) != 0 || fclose(f) != 0) return 1;
  printf("ok\n");
  return fflush(stdout) == 0 ? 0 : 1;
}
