// Private helpers for reading text files (CSV tables, traces), shared by the modules.
#pragma once

#include <string>

namespace powertrain::util {

// Returns `s` without leading and trailing spaces, tabs and carriage returns.
inline std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  size_t b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace powertrain::util
