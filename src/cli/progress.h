// Private to the CLI: a one-line progress bar on a terminal (Unicode blocks, ETA), plain
// lines otherwise. Written once here: no Debian package offers one.
#pragma once

#include <string>

namespace powertrain::cli {

class ProgressBar {
 public:
  // Draws on stderr; `enabled` false prints nothing (not a terminal, or --quiet).
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  // Redraws: `label` on the left, done/total as a bar, `info` on the right, ETA from elapsed.
  void update(const std::string& label, long done, long total, double elapsed_s, const std::string& info);
  // Clears the bar's line so the next print starts clean.
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
};

// Returns true if stderr is a terminal.
bool stderr_is_terminal();

}  // namespace powertrain::cli
