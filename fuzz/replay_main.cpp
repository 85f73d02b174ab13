// Runs a fuzz target once on every file of the directories (or files) given, without
// libFuzzer: how the normal and the sanitizer builds replay fuzz/corpus/<target>/ (the
// seeds and every input that once crashed) as a ctest. Exits non-zero when the target
// rejects an input (returns -1); a crash or an escaping exception ends it as it would
// under libFuzzer.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

// The regular files of `path` (itself when it is a file), sorted, so runs are repeatable.
std::vector<std::string> inputs_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  if (!S_ISDIR(st.st_mode)) return {path};
  std::vector<std::string> files;
  if (DIR* dir = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(dir)) {
      const std::string file = path + "/" + e->d_name;
      if (e->d_name[0] != '.' && ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(file);
    }
    ::closedir(dir);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  size_t runs = 0;
  for (int a = 1; a < argc; ++a) {
    const std::vector<std::string> files = inputs_of(argv[a]);
    if (files.empty()) {
      std::fprintf(stderr, "%s: no input files in %s\n", argv[0], argv[a]);
      return 2;
    }
    for (const std::string& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      const std::string data = bytes.str();
      if (LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size()) != 0) {
        std::fprintf(stderr, "%s: the target rejected %s\n", argv[0], file.c_str());
        return 1;
      }
      ++runs;
    }
  }
  std::printf("%s: %zu inputs ran cleanly\n", argv[0], runs);
  return 0;
}
