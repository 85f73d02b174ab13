// tune_trace_bench.cpp: search strategies on the Zeus NSDI'23 traces, compared by the
// energy a search spends before its best-so-far configuration is good.
//
// For each GPU trace, each of the six workloads and each strategy, several seeds: the
// search runs on the trace (ZeusObjective: a seeded run per batch size) and stops as soon
// as the strategy's own best() has a TRUE energy-to-target (mean over all trace runs)
// within 5 % of the optimal one. Reported: that search energy in units of one optimal
// training run (the optimal ETA), median over seeds; "inf" when the search ended without
// getting there in more than half the seeds. Last row: geometric mean over workloads.
//
// Usage: tune_trace_bench [TRACE_DIR] [SEEDS] [METHODS]   (METHODS: comma-separated labels,
// default all; default dir: $POWERTRAIN_ZEUS_TRACE_DIR
// or the one configured at build time; default 21 seeds)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/tune/grid_search.h"
#include "powertrain/tune/hyperband.h"
#include "powertrain/tune/pareto_successive_halving.h"
#include "powertrain/tune/random_search.h"
#include "powertrain/tune/registry.h"
#include "powertrain/tune/sm2.h"
#include "powertrain/tune/successive_halving.h"
#include "powertrain/tune/tpe.h"
#include "powertrain/tune/trace.h"
#include "powertrain/tune/trace_objective.h"
#include "powertrain/tune/tuner.h"

using namespace powertrain::tune;

namespace {

struct Method {
  std::string label;
  double beta;
  std::function<std::unique_ptr<Strategy>(const SearchSpace&, int max_epochs, std::uint64_t seed)> make;
};

// Every strategy of the registry (the same ones `powertrain tune` runs), without and with
// Zeus's beta rule (beta = 2).
std::vector<Method> methods() {
  std::vector<Method> all;
  for (double beta : {0.0, 2.0}) {
    for (const auto& name : strategy_names()) {
      all.push_back({beta > 0 ? name + "+b2" : name, beta,
                     [name](const SearchSpace& s, int e, std::uint64_t seed) { return make_strategy(name, s, e, seed); }});
    }
  }
  return all;
}

// Search energy (in optimal ETAs) until best() is within 5 % of the optimum; +inf if never.
double search_cost(const ZeusTrace& trace, const std::string& dataset, const Method& m, std::uint64_t seed,
                   double optimal_eta_j) {
  ZeusObjective objective(trace, dataset, seed);
  TunerOptions options = objective.tuner_options();
  options.beta = m.beta;
  Tuner tuner(objective, options);
  auto strategy = m.make(objective.space(), options.max_epochs, seed);
  double cost = INFINITY;
  tuner.run(*strategy, [&](const TrialRecord& rec) {
    const auto best = strategy->best();
    if (best && objective.true_eta_j(*best) <= 1.05 * optimal_eta_j) {
      cost = rec.search_energy_j / optimal_eta_j;
      return false;
    }
    return true;
  });
  return cost;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("POWERTRAIN_ZEUS_TRACE_DIR");
  const std::string dir = argc > 1 ? argv[1] : (env && *env ? env : POWERTRAIN_ZEUS_TRACE_DIR);
  const int seeds = argc > 2 ? std::atoi(argv[2]) : 21;
  if (seeds < 1) {
    std::fprintf(stderr, "tune_trace_bench: SEEDS must be >= 1\n");
    return 2;
  }
  // Optional third argument: a comma-separated list of method labels to run.
  auto all = methods();
  if (argc > 3) {
    const std::string wanted = std::string(",") + argv[3] + ",";
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const Method& m) { return wanted.find("," + m.label + ",") == std::string::npos; }),
              all.end());
  }
  std::printf("Search energy until the best-so-far config has a true ETA within 5%% of the optimum,\n"
              "in optimal ETAs (one optimal training run = 1), median of %d seeds. b2 = beta rule, beta 2.\n",
              seeds);
  for (const std::string gpu : {"v100", "a40", "rtx6000"}) {
    ZeusTrace trace;
    try {
      trace = ZeusTrace::load(dir, gpu);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tune_trace_bench: %s\n", e.what());
      return 1;
    }
    std::printf("\n## %s\n\n| workload | configs | optimum (batch, W) |", gpu.c_str());
    for (const auto& m : all) std::printf(" %s |", m.label.c_str());
    std::printf("\n|---|---|---|");
    for (std::size_t i = 0; i < all.size(); ++i) std::printf("---|");
    std::printf("\n");
    std::vector<double> log_sum(all.size(), 0.0);
    std::vector<int> finite_count(all.size(), 0);
    const auto workloads = trace.workloads();
    for (const auto& w : workloads) {
      const auto best = trace.optimum(w.dataset);
      std::printf("| %s | %zu | %d, %g |", w.dataset.c_str(), trace.configs(w.dataset).size(),
                  best.config.batch_size, best.config.power_limit_w);
      for (std::size_t i = 0; i < all.size(); ++i) {
        std::vector<double> costs;
        for (int seed = 0; seed < seeds; ++seed)
          costs.push_back(search_cost(trace, w.dataset, all[i], static_cast<std::uint64_t>(seed), best.eta_j));
        const double med = median(costs);
        if (std::isfinite(med)) {
          log_sum[i] += std::log(med);
          ++finite_count[i];
          std::printf(" %.1f |", med);
        } else {
          std::printf(" inf |");
        }
      }
      std::printf("\n");
    }
    std::printf("| **geomean** | | |");
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (finite_count[i] == static_cast<int>(workloads.size()))
        std::printf(" **%.1f** |", std::exp(log_sum[i] / finite_count[i]));
      else
        std::printf(" inf (%d/%zu) |", finite_count[i], workloads.size());
    }
    std::printf("\n");
  }
  return 0;
}
