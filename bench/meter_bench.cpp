// meter_bench: what measuring costs.
//  1. Overhead of the 10 Hz sampler on a CPU-bound workload that keeps every core busy:
//     the same workload with and without sampling, interleaved, median of repeats, ratio.
//     Goal: <= 0.3 % slowdown.
//  2. Cost of one window begin/end (two edge reads, no device sync), per source kind.
//     Goal: <= 50 us.
//
//   build/bench/meter_bench [--repeats N] [google-benchmark flags]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "powertrain/energy/estimate.h"
#include "powertrain/energy/meter.h"
#include "powertrain/energy/rapl.h"
#include "powertrain/energy/replay.h"

namespace {

using powertrain::EnergySource;
using powertrain::Meter;
using powertrain::MeterOptions;

// A temporary powercap tree with two packages and their dram zones, as on a 2-socket server.
struct FakeRapl {
  std::string root;
  FakeRapl() {
    char tmpl[] = "/tmp/powertrain-bench-XXXXXX";
    root = mkdtemp(tmpl);
    auto zone = [&](const std::string& dir, const std::string& name) {
      std::filesystem::create_directories(root + "/" + dir);
      std::ofstream(root + "/" + dir + "/name") << name << "\n";
      std::ofstream(root + "/" + dir + "/energy_uj") << "123456789\n";
      std::ofstream(root + "/" + dir + "/max_energy_range_uj") << "262143328850\n";
    };
    zone("intel-rapl:0", "package-0");
    zone("intel-rapl:0:0", "dram");
    zone("intel-rapl:1", "package-1");
    zone("intel-rapl:1:0", "dram");
  }
  ~FakeRapl() { std::filesystem::remove_all(root); }
};

// Keeps every core busy with floating-point work for a fixed amount of work (not time).
double workload(int threads, long iterations_per_thread) {
  std::vector<std::thread> pool;
  std::vector<double> sums(static_cast<size_t>(threads), 0.0);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      double x = 1.0 + t;
      for (long i = 0; i < iterations_per_thread; ++i) x = x * 1.0000001 + std::sqrt(x) * 1e-9;
      sums[static_cast<size_t>(t)] = x;
    });
  }
  for (auto& th : pool) th.join();
  double s = 0;
  for (double v : sums) s += v;
  return s;
}

double seconds_of(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::unique_ptr<EnergySource>> estimate_sources() {
  std::vector<std::unique_ptr<EnergySource>> v;
  v.push_back(std::make_unique<powertrain::CpuEstimateSource>(powertrain::CpuEstimateOptions{}));
  return v;
}

void sampler_overhead(int repeats) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Calibrate to about 1.5 s per run.
  long iters = 2'000'000;
  while (seconds_of([&] { benchmark::DoNotOptimize(workload(threads, iters)); }) < 0.3) iters *= 2;
  iters = static_cast<long>(iters * 1.5 / seconds_of([&] { benchmark::DoNotOptimize(workload(threads, iters)); }));
  FakeRapl rapl;
  std::vector<double> base, sampled;
  for (int r = 0; r < repeats; ++r) {
    base.push_back(seconds_of([&] { benchmark::DoNotOptimize(workload(threads, iters)); }));
    std::vector<std::unique_ptr<EnergySource>> v = estimate_sources();
    v.push_back(std::make_unique<powertrain::RaplSource>(rapl.root));
    Meter meter(std::move(v), MeterOptions().interval_s(0.1));
    meter.start();
    sampled.push_back(seconds_of([&] { benchmark::DoNotOptimize(workload(threads, iters)); }));
    meter.stop();
  }
  std::sort(base.begin(), base.end());
  std::sort(sampled.begin(), sampled.end());
  double b = base[base.size() / 2], s = sampled[sampled.size() / 2];
  double slowdown_pct = (s / b - 1.0) * 100.0;
  std::printf("sampler overhead: %d threads busy, median of %d interleaved runs\n", threads, repeats);
  std::printf("  without sampling  %.4f s\n  with 10 Hz sampling (estimate + 2 RAPL packages + 2 dram)  %.4f s\n", b, s);
  std::printf("  ratio %.4f  slowdown %+.2f %%  (goal <= 0.3 %%: %s; run-to-run spread of the baseline %.2f %%)\n\n",
              s / b, slowdown_pct, slowdown_pct <= 0.3 ? "met" : "NOT met",
              (base.back() / base.front() - 1.0) * 100.0);
}

void BM_WindowBeginEnd_Estimate(benchmark::State& state) {
  Meter meter(estimate_sources(), MeterOptions().interval_s(0));
  for (auto _ : state) meter.end(meter.begin("w"));
}
BENCHMARK(BM_WindowBeginEnd_Estimate)->Unit(benchmark::kMicrosecond);

void BM_WindowBeginEnd_Rapl2Sockets(benchmark::State& state) {
  FakeRapl rapl;
  std::vector<std::unique_ptr<EnergySource>> v;
  v.push_back(std::make_unique<powertrain::RaplSource>(rapl.root));
  Meter meter(std::move(v), MeterOptions().interval_s(0));
  for (auto _ : state) meter.end(meter.begin("w"));
}
BENCHMARK(BM_WindowBeginEnd_Rapl2Sockets)->Unit(benchmark::kMicrosecond);

void BM_WindowBeginEnd_NoSource(benchmark::State& state) {
  Meter meter({}, MeterOptions().interval_s(0));
  for (auto _ : state) meter.end(meter.begin("w"));
}
BENCHMARK(BM_WindowBeginEnd_NoSource)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  int repeats = 7;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) { repeats = std::atoi(argv[++i]); continue; }
    rest.push_back(argv[i]);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  sampler_overhead(repeats);
  std::printf("window begin/end (goal <= 50 us each, without device sync):\n");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
