// Terminal progress bar: blocks for the bar, an ETA, redrawn in place with \r.
#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace powertrain::cli {

bool stderr_is_terminal() { return ::isatty(2) == 1; }

void ProgressBar::update(const std::string& label, long done, long total, double elapsed_s, const std::string& info) {
  if (!enabled_ || total <= 0) return;
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int width = 28;
  double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  int eighths = static_cast<int>(frac * width * 8);
  std::string bar;
  for (int i = 0; i < eighths / 8; ++i) bar += "█";
  if (eighths / 8 < width) {
    bar += kEighths[eighths % 8];
    for (int i = eighths / 8 + 1; i < width; ++i) bar += " ";
  }
  std::string eta = done > 0 && done < total ? fmt::format(" eta {:.0f}s", elapsed_s / done * (total - done)) : "";
  std::fprintf(stderr, "\r\033[K%s |%s| %ld/%ld %s%s", label.c_str(), bar.c_str(), done, total, info.c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace powertrain::cli
