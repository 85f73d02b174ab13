// Private: the CSV tables compiled into the binary (see builtin_data.cpp.in).
#pragma once
namespace powertrain::builtin {
extern const char* const carbon_intensity_csv;  // data/carbon_intensity.csv
extern const char* const cpu_tdp_csv;           // data/cpu_tdp.csv
}  // namespace powertrain::builtin
