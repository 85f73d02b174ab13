// Private to serve: the web assets (web/) compiled into the binary by
// cmake/embed_files.cmake. Looked up by exact file name; nothing else is served.
#pragma once

#include <string_view>
#include <vector>

namespace powertrain::serve {

struct Asset {
  std::string_view name;          // "app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view data;
};

// Every embedded file.
const std::vector<Asset>& assets();

// The asset named exactly `name`, or nullptr.
inline const Asset* find_asset(std::string_view name) {
  for (const Asset& a : assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace powertrain::serve
