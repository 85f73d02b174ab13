/* A LibTorch that must never load: the lean-command test (tests/cli/lean_test.cpp) puts it,
   under every LibTorch soname, first on LD_LIBRARY_PATH. A process that loads it stops at
   once with exit 86 and says so; one that also needs LibTorch's symbols fails to link. */
#include <stdio.h>
#include <unistd.h>

__attribute__((constructor)) static void poison_loaded(void) {
  fputs("POISON: LibTorch was loaded\n", stderr);
  _exit(86);
}
