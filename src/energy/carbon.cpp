// Grid carbon intensity table (built in or from a CSV) and energy-to-CO2e arithmetic.
#include "powertrain/energy/carbon.h"

#include <cstdlib>

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/text.h"

#include "energy/builtin_data.h"

namespace powertrain {

using util::trim;

namespace {

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

CarbonTable CarbonTable::parse(const std::string& csv, const std::string& origin) {
  CarbonTable t;
  std::stringstream in(csv);
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      if (line != "code,name,g_per_kwh,source,year") {
        throw std::runtime_error("carbon table " + origin + ":" + std::to_string(line_no) +
                                 ": expected the header 'code,name,g_per_kwh,source,year'");
      }
      header_seen = true;
      continue;
    }
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(trim(cell));
    GridIntensity g;
    char* end = nullptr;
    if (f.size() == 5) {
      g.code = upper(f[0]);
      g.name = f[1];
      g.g_per_kwh = std::strtod(f[2].c_str(), &end);
      g.source = f[3];
      g.year = std::atoi(f[4].c_str());
    }
    if (f.size() != 5 || g.code.empty() || end == f[2].c_str() || !std::isfinite(g.g_per_kwh) ||
        g.g_per_kwh < 0 || g.year < 1990) {
      throw std::runtime_error("carbon table " + origin + ":" + std::to_string(line_no) +
                               ": expected 'code,name,g_per_kwh,source,year' with g_per_kwh >= 0 and a year, found '" +
                               line + "'");
    }
    t.entries_.push_back(g);
  }
  if (t.entries_.empty()) throw std::runtime_error("carbon table " + origin + " has no rows");
  return t;
}

CarbonTable CarbonTable::builtin() { return parse(builtin::carbon_intensity_csv, "(built in)"); }

CarbonTable CarbonTable::load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read carbon table " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), path);
}

const GridIntensity* CarbonTable::find(const std::string& code) const {
  std::string key = upper(code);
  for (const auto& e : entries_) if (e.code == key) return &e;
  return nullptr;
}

const char* Equivalents::sources() {
  return "car: US EPA, Greenhouse Gas Emissions from a Typical Passenger Vehicle (2023), 400 g CO2/mile; "
         "smartphone charge: US EPA Greenhouse Gas Equivalencies Calculator (2024), 0.019 kWh per charge";
}

CarbonEstimate carbon_from_energy(double energy_j, const GridIntensity& grid, double pue) {
  CarbonEstimate c;
  c.energy_j = energy_j;
  c.pue = pue;
  c.g_per_kwh = grid.g_per_kwh;
  c.grid = grid.code;
  c.facility_energy_kwh = energy_j / 3.6e6 * pue;
  c.co2e_g = c.facility_energy_kwh * grid.g_per_kwh;
  c.car_km = c.co2e_g / Equivalents::car_g_per_km;
  c.smartphone_charges = c.facility_energy_kwh / Equivalents::smartphone_kwh_per_charge;
  return c;
}

GridIntensity resolve_grid(const GridChoice& choice) {
  CarbonTable table;
  try {
    table = choice.table_path.empty() ? CarbonTable::builtin() : CarbonTable::load(choice.table_path);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (fix the file or drop --carbon-table)");
  }
  std::string code = choice.code;
  if (code.empty()) {
    const char* env = std::getenv("POWERTRAIN_GRID");
    code = env && *env ? env : "WORLD";
  }
  const bool given = std::isfinite(choice.g_per_kwh);
  GridIntensity grid;
  if (const GridIntensity* g = table.find(code)) {
    grid = *g;
  } else if (!given) {
    throw std::runtime_error("unknown grid '" + code + "': use an ISO country code listed by 'powertrain grids', or give --grid-g-per-kwh");
  } else {
    grid.code = code;
    grid.name = code;
  }
  if (given) {
    grid.g_per_kwh = choice.g_per_kwh;
    grid.source = "given with --grid-g-per-kwh";
    grid.year = 0;
  }
  return grid;
}

}  // namespace powertrain
