// powertrain/report/format.h: numbers with units, value provenance and HTML escaping, for
// every report (HTML, terminal, Markdown, CSV). A missing value (NaN or infinite) is
// always shown as "n/a", never as 0, "nan" or "inf".
//
// Example:
//   using namespace powertrain::report;
//   format_energy_j(12345.0);                           // "12.3 kJ"
//   format_power_w(NAN);                                // "n/a"
//   format_duration_s(245.0);                           // "4 min 05 s"
//   with_origin(format_energy_j(900.0), Origin::estimated);  // "900 J (est.)"
//   escape_html("a < b & \"c\"");                       // "a &lt; b &amp; &quot;c&quot;"
#pragma once

#include <string>
#include <string_view>

#include "powertrain/energy/source.h"

namespace powertrain {
namespace report {

// Where a value shown in a report comes from. Named Origin rather than Provenance so it
// never clashes with powertrain::Provenance (the energy module's finer-grained enum:
// measured_counter and integrated_power both map to Origin::measured here).
enum class Origin {
  measured,   // read from a sensor
  estimated,  // from a model (e.g. CPU utilisation x TDP)
  simulated,  // replayed or simulated (e.g. tuning on recorded traces)
  missing,    // nothing known; the value is NaN and shown as "n/a"
};

// Returns "measured", "estimated", "simulated" or "missing".
const char* origin_name(Origin origin);
// Returns the origin of a value of provenance `p`: a counter and integrated power are
// measured; estimated, simulated and missing are themselves.
Origin origin_of(Provenance p);
// Returns the short suffix a value of this origin carries: "" (measured), " (est.)",
// " (sim.)" or "" (missing: the value itself reads "n/a").
const char* origin_suffix(Origin origin);
// Returns `text` followed by origin_suffix(origin), or "n/a" when origin is missing.
std::string with_origin(const std::string& text, Origin origin);

// Returns `value` with `significant` significant digits and no unit ("1.23", "123",
// "0.00456", "12345" - digits before the point are never rounded away), scientific
// notation only beyond 1e15 or below 1e-6, and "n/a" for NaN or infinity.
std::string format_number(double value, int significant = 3);

// Returns `value` scaled to an SI prefix (n, µ, m, none, k, M, G, T) with `significant`
// significant digits and the unit after a space: format_si(0.0123, "W") == "12.3 mW".
// Returns "n/a" for NaN or infinity and "0 <unit>" for zero.
std::string format_si(double value, std::string_view unit, int significant = 3);

// Returns an energy in J as "850 mJ", "12.3 J", "4.56 kJ", "7.89 MJ" (SI prefixes only,
// no Wh), or "n/a".
std::string format_energy_j(double energy_j);
// Returns a power in W as "850 mW", "123 W", "1.20 kW", or "n/a".
std::string format_power_w(double power_w);
// Returns a duration in s as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 04 h",
// or "n/a".
std::string format_duration_s(double duration_s);
// Returns a percentage (already multiplied by 100) as "20.3%", or "n/a".
std::string format_percent(double percent, int decimals = 1);

// Returns `text` safe to place in HTML/SVG text and in quoted attribute values: & < > " '
// become entities, and control characters that XML forbids are dropped.
std::string escape_html(std::string_view text);

// Returns the number of characters (UTF-8 code points) in `text`: its width on a terminal
// for the Latin, Greek and symbol characters reports use.
size_t display_width(std::string_view text);

}  // namespace report
}  // namespace powertrain
