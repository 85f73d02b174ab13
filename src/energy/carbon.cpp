// Grid carbon intensity table (built in or from a CSV) and energy-to-CO2e arithmetic.
#include "powertrain/energy/carbon.h"

#include <sys/stat.h>

#include <cstdlib>

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/text.h"

#include "energy/builtin_data.h"

namespace powertrain {

using util::printable;
using util::trim;

namespace {

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

namespace {

// Appends the rows of the table read from `in` to `entries`, line by line (a line over
// 64 KiB is an error, so a binary file or /dev/zero is refused rather than read without end).
void parse_table(std::istream& in, const std::string& origin, std::vector<GridIntensity>& entries) {
  constexpr size_t kMaxLineBytes = 1 << 16;
  std::string line;
  int64_t line_no = 0;
  bool header_seen = false;
  for (;;) {
    const util::LineRead got = util::read_line(in, line, kMaxLineBytes);
    if (got == util::LineRead::end) break;
    ++line_no;
    const std::string where = "carbon table " + origin + ":" + std::to_string(line_no);
    if (got == util::LineRead::too_long) {
      throw std::runtime_error(where + ": the line is longer than " + std::to_string(kMaxLineBytes) + " bytes ('" +
                               printable(line, 60) + "'): is this a carbon table (code,name,g_per_kwh,source,year)?");
    }
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      if (line != "code,name,g_per_kwh,source,year") {
        throw std::runtime_error(where + ": expected the header 'code,name,g_per_kwh,source,year', found '" +
                                 printable(line) + "'");
      }
      header_seen = true;
      continue;
    }
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(trim(cell));
    GridIntensity g;
    bool ok = f.size() == 5;
    if (ok) {
      g.code = upper(f[0]);
      g.name = f[1];
      g.source = f[3];
      // The whole field must be the number: "12abc" or a year of 20 digits is not one.
      const char* text = f[2].c_str();
      char* end = nullptr;
      g.g_per_kwh = std::strtod(text, &end);
      ok = !g.code.empty() && end != text && *end == '\0' && std::isfinite(g.g_per_kwh) && g.g_per_kwh >= 0;
      const bool year_digits = !f[4].empty() && f[4].size() <= 4 && f[4].find_first_not_of("0123456789") == std::string::npos;
      g.year = year_digits ? std::stoi(f[4]) : 0;
      ok = ok && g.year >= 1990;
    }
    if (!ok) {
      throw std::runtime_error(where + ": expected 'code,name,g_per_kwh,source,year' with g_per_kwh >= 0 and a year, found '" +
                               printable(line) + "'");
    }
    entries.push_back(g);
  }
  if (entries.empty()) throw std::runtime_error("carbon table " + origin + " has no rows");
}

}  // namespace

CarbonTable CarbonTable::parse(const std::string& csv, const std::string& origin) {
  CarbonTable t;
  std::istringstream in(csv);
  parse_table(in, origin, t.entries_);
  return t;
}

CarbonTable CarbonTable::builtin() { return parse(builtin::carbon_intensity_csv, "(built in)"); }

CarbonTable CarbonTable::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw std::runtime_error("carbon table " + path + " is a directory: pass the CSV file (code,name,g_per_kwh,source,year)");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read carbon table " + path);
  CarbonTable t;
  parse_table(f, path, t.entries_);
  return t;
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
