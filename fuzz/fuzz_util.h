// Helpers shared by the fuzz targets: splitting one input into several files' contents,
// and a private scratch directory for targets that must go through a file.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace powertrain::fuzz {

// The input as a string.
inline std::string text_of(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

// Splits `text` at every line "=====" into at most `parts` pieces (missing ones empty):
// how one input holds two files (a train and a power trace, images and labels).
inline std::vector<std::string> split_parts(const std::string& text, size_t parts) {
  static const std::string kSeparator = "\n=====\n";
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < parts) {
    size_t at = text.find(kSeparator, start);
    if (at == std::string::npos) break;
    out.push_back(text.substr(start, at - start));
    start = at + kSeparator.size();
  }
  out.push_back(text.substr(start));
  out.resize(parts);
  return out;
}

// A directory of this process under $TMPDIR (or /tmp), made once and left for the OS's tmp
// cleaning (a fuzzing process ends by a signal as often as not).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/powertrain-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      abort();
    }
    return pattern;
  }();
  return dir;
}

// Writes `bytes` to `path` (replacing it); aborts when it cannot (the harness is broken).
inline void write_file(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::perror(path.c_str());
    abort();
  }
}

}  // namespace powertrain::fuzz
