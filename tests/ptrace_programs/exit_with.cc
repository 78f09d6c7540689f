// Ends as told, for the recorder's exit-status mirror: `exit_with 3` exits
// with status 3, `exit_with abort` dies by SIGABRT.
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "abort") == 0) std::abort();
  return argc == 2 ? std::atoi(argv[1]) : 2;
}
