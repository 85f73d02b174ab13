// powertrain/energy/carbon.h: energy to CO2e, offline.
//
// co2e_g = energy_kwh * pue * grid intensity (g CO2e/kWh). The grid table is built into
// the binary from data/carbon_intensity.csv (country ISO code, intensity, source, year);
// another CSV of the same shape can replace it. No network call is ever made.
//
// Example:
//   auto table = powertrain::CarbonTable::builtin();
//   auto c = powertrain::carbon_from_energy(3.6e6, *table.find("DE"), 1.0);  // 1 kWh
//   std::cout << c.co2e_g << " g, " << c.car_km << " km by car\n";
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace powertrain {

struct GridIntensity {
  std::string code;          // ISO 3166-1 alpha-2, or "WORLD", "EU"
  std::string name;
  double g_per_kwh = 0;      // lifecycle g CO2e per kWh of electricity generated
  std::string source;        // publication the figure comes from
  int year = 0;              // year the figure describes
};

class CarbonTable {
 public:
  // Returns the table compiled into the binary.
  static CarbonTable builtin();
  // Returns the table in `path` (CSV: code,name,g_per_kwh,source,year); throws
  // std::runtime_error naming the file and line on malformed input.
  static CarbonTable load(const std::string& path);
  // Returns the table parsed from CSV text; `origin` names it in errors.
  static CarbonTable parse(const std::string& csv, const std::string& origin);
  // Returns the entry for `code` (case-insensitive), or nullptr.
  const GridIntensity* find(const std::string& code) const;
  const std::vector<GridIntensity>& entries() const { return entries_; }

 private:
  std::vector<GridIntensity> entries_;
};

// Everyday equivalents, with their sources (also printed in reports).
struct Equivalents {
  static constexpr double car_g_per_km = 249.0;       // US EPA 2023: typical passenger vehicle, 400 g CO2/mile
  static constexpr double smartphone_kwh_per_charge = 0.019;  // US EPA equivalencies calculator (2024)
  static const char* sources();
};

struct CarbonEstimate {
  double energy_j = 0;            // measured energy, before PUE
  double facility_energy_kwh = 0; // energy_j / 3.6e6 * pue
  double pue = 1.0;
  double g_per_kwh = 0;
  std::string grid;               // code of the grid used
  double co2e_g = 0;
  double car_km = 0;              // co2e_g / car_g_per_km
  double smartphone_charges = 0;  // facility_energy_kwh / smartphone_kwh_per_charge
};

// Which grid a command's carbon is computed for: `code` ("" = $POWERTRAIN_GRID, else
// WORLD) from the built-in table or the CSV at `table_path`; a finite `g_per_kwh` overrides
// the intensity (and admits a code the table does not list). Throws std::runtime_error
// naming the problem and the fix.
struct GridChoice {
  std::string code;
  std::string table_path;
  double g_per_kwh = NAN;
};
GridIntensity resolve_grid(const GridChoice& choice);

// Returns the carbon of `energy_j` on `grid` with data-centre overhead `pue` (>= 1).
// A NaN energy gives NaN figures (unknown stays unknown).
CarbonEstimate carbon_from_energy(double energy_j, const GridIntensity& grid, double pue);

}  // namespace powertrain
