// Numbers with units, provenance suffixes and escaping for reports.
#include "powertrain/report/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace powertrain {
namespace report {

const char* origin_name(Origin origin) {
  switch (origin) {
    case Origin::measured: return "measured";
    case Origin::estimated: return "estimated";
    case Origin::simulated: return "simulated";
    case Origin::missing: return "missing";
  }
  return "missing";
}

Origin origin_of(Provenance p) {
  switch (p) {
    case Provenance::measured_counter:
    case Provenance::integrated_power: return Origin::measured;
    case Provenance::estimated: return Origin::estimated;
    case Provenance::simulated: return Origin::simulated;
    case Provenance::missing: break;
  }
  return Origin::missing;
}

const char* origin_suffix(Origin origin) {
  switch (origin) {
    case Origin::estimated: return " (est.)";
    case Origin::simulated: return " (sim.)";
    default: return "";
  }
}

std::string with_origin(const std::string& text, Origin origin) {
  if (origin == Origin::missing) return "n/a";
  return text + origin_suffix(origin);
}

// Returns floor(log10(|v|)) for a finite, non-zero v.
static int decimal_exponent(double v) { return static_cast<int>(std::floor(std::log10(std::fabs(v)))); }

// Returns v rounded to `significant` significant digits (so that 999.6 becomes 1000 before
// a prefix or a number of decimals is chosen from its size).
static double round_significant(double v, int significant) {
  if (v == 0 || !std::isfinite(v)) return v;
  double scale = std::pow(10.0, significant - 1 - decimal_exponent(v));
  double r = std::round(v * scale) / scale;
  return std::isfinite(r) ? r : v;
}

std::string format_number(double value, int significant) {
  if (!std::isfinite(value)) return "n/a";
  significant = std::clamp(significant, 1, 15);
  if (value == 0) return "0";
  int e = decimal_exponent(value);
  if (e >= 15 || e < -6) return fmt::format("{:.{}e}", value, significant - 1);
  // Fixed decimals only: the integer digits of 12345 stay, "12300" would look measured.
  int decimals = std::max(0, significant - 1 - e);
  return fmt::format("{:.{}f}", value, decimals);
}

std::string format_si(double value, std::string_view unit, int significant) {
  if (!std::isfinite(value)) return "n/a";
  significant = std::clamp(significant, 1, 15);
  double v = round_significant(value, significant);
  if (v == 0) return fmt::format("0 {}", unit);
  static const char* const kPrefixes[] = {"n", "\xC2\xB5", "m", "", "k", "M", "G", "T"};
  const int kFirst = -3;  // kPrefixes[0] is 10^(3 * kFirst)
  int group = static_cast<int>(std::floor(decimal_exponent(v) / 3.0));
  group = std::clamp(group, kFirst, kFirst + 7);
  double scaled = v / std::pow(10.0, 3 * group);
  int decimals = std::max(0, significant - 1 - decimal_exponent(scaled));
  return fmt::format("{:.{}f} {}{}", scaled, decimals, kPrefixes[group - kFirst], unit);
}

std::string format_energy_j(double energy_j) { return format_si(energy_j, "J"); }

std::string format_power_w(double power_w) { return format_si(power_w, "W"); }

std::string format_duration_s(double duration_s) {
  if (!std::isfinite(duration_s)) return "n/a";
  if (duration_s < 0) return "-" + format_duration_s(-duration_s);
  if (duration_s < 1) return format_si(duration_s, "s");
  if (duration_s < 9.995) return fmt::format("{:.2f} s", duration_s);
  if (duration_s < 59.95) return fmt::format("{:.1f} s", duration_s);
  // Round once to the shown resolution, then split, so 3599.7 s reads "1 h 00 min" and
  // never "59 min 60 s".
  if (duration_s < 3599.5) {
    long long total_s = std::llround(duration_s);
    return fmt::format("{} min {:02d} s", total_s / 60, static_cast<int>(total_s % 60));
  }
  long long total_min = std::llround(duration_s / 60.0);
  if (total_min < 24 * 60) return fmt::format("{} h {:02d} min", total_min / 60, static_cast<int>(total_min % 60));
  long long total_h = std::llround(duration_s / 3600.0);
  return fmt::format("{} d {:02d} h", total_h / 24, static_cast<int>(total_h % 24));
}

std::string format_percent(double percent, int decimals) {
  if (!std::isfinite(percent)) return "n/a";
  decimals = std::clamp(decimals, 0, 10);
  return fmt::format("{:.{}f}%", percent, decimals);
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    unsigned char u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // XML 1.0 allows only tab, newline and carriage return below 0x20; a stray control
        // character would make the whole file unreadable to an XML parser.
        if (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        if (u == 0x7F) break;
        out += ch;
    }
  }
  return out;
}

size_t display_width(std::string_view text) {
  size_t n = 0;
  // Count every byte that is not a UTF-8 continuation byte (10xxxxxx).
  for (char ch : text) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace report
}  // namespace powertrain
