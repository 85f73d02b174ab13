// tune_trace_bench.cpp: search strategies on the Zeus NSDI'23 traces, compared by energy.
//
// Headline, "as a user runs it": for each GPU trace, each of the six workloads and each
// strategy, several seeds: the study `powertrain tune --simulate zeus:DIR --gpu G --workload W
// --strategy S --seed N` defines (search::zeus_study, every other option at its default) runs
// to its own end through search::StudyRunner, the code path of `powertrain tune`. Reported,
// median over seeds: (a) "total", the whole search's energy in units of one optimal training
// run (the optimal configuration's true energy-to-target, ETA), and (b) "chosen", the true ETA
// of the configuration the search chose divided by the optimal ETA ("inf" when it chose one
// that never reaches the target). Last rows: geometric means over workloads, and the worst
// workload's chosen median.
//
// Second, labelled "oracle": the same strategies stopped the moment their own best() has a
// true ETA within 5 % of the optimum (knowledge no user has): the search energy spent until
// then, median over seeds; "inf" when most seeds never got there.
//
// Usage: tune_trace_bench [TRACE_DIR] [SEEDS] [METHODS]   (METHODS: comma-separated labels,
// default all; default dir: $POWERTRAIN_ZEUS_TRACE_DIR or the one configured at build time;
// default 21 seeds)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/search/runner.h"
#include "powertrain/search/spec.h"
#include "powertrain/search/summary.h"
#include "powertrain/store/trial_log.h"
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
  std::string strategy;
  double beta;
  std::function<std::unique_ptr<Strategy>(const SearchSpace&, int max_epochs, std::uint64_t seed)> make;
};

// Every strategy of the registry (the same ones `powertrain tune` runs), without and with
// Zeus's beta rule (beta = 2).
std::vector<Method> methods() {
  std::vector<Method> all;
  for (double beta : {0.0, 2.0}) {
    for (const auto& name : strategy_names()) {
      all.push_back({beta > 0 ? name + "+b2" : name, name, beta,
                     [name](const SearchSpace& s, int e, std::uint64_t seed) {
                       StrategyBudget b;  // as `powertrain tune --simulate` gives them (sm2 probes batch sizes)
                       b.max_budget = e;
                       b.probe = true;
                       return make_strategy(name, s, b, seed);
                     }});
    }
  }
  return all;
}

// Search energy (in optimal ETAs) until best() is within 5 % of the optimum; +inf if never.
double search_cost(const ZeusTrace& trace, const std::string& dataset, const Method& m, std::uint64_t seed,
                   double optimal_eta_j) {
  ZeusObjective objective(trace, dataset, seed, PowerProfile{true});  // power limits profiled, as `powertrain tune` does
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

// What a user gets: the whole search's energy and the chosen configuration's true ETA, both
// in optimal ETAs, for the study `powertrain tune --simulate` defines with this strategy,
// beta and seed (every other option at its default), run to its own end.
struct UserResult {
  double total = INFINITY;
  double chosen = INFINITY;
};
UserResult user_run(const powertrain::search::StudySpec& base, const Method& m, std::uint64_t seed) {
  powertrain::search::StudySpec spec = base;
  spec.strategy = m.strategy;
  spec.beta = m.beta;
  spec.seed = seed;
  powertrain::search::StudyRunner runner(spec, {});
  powertrain::MemoryTrialLog log;
  const auto ending = runner.run(log);
  const auto summary = runner.summary(ending);
  UserResult r;
  r.total = summary.search_energy_j / summary.optimal_eta_j;
  if (summary.chosen && summary.chosen_reached_target && std::isfinite(summary.chosen_eta_j))
    r.chosen = summary.chosen_eta_j / summary.optimal_eta_j;
  return r;
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
  std::printf("As a user runs it: each study of `powertrain tune --simulate zeus:DIR --gpu G --workload W\n"
              "--strategy S --seed N` (other options at their defaults; without --strategy: sm2) run to its\n"
              "own end. total = the whole search's energy, chosen = the chosen configuration's true energy-to-target,\n"
              "both in optimal training runs (optimum = 1), median of %d seeds; inf = chose one that never reaches\n"
              "the target. b2 = Zeus's beta rule with beta 2 (--beta 2).\n",
              seeds);
  const std::string trace_arg = "zeus:" + dir;
  std::string oracle_text;
  for (const std::string gpu : {"v100", "a40", "rtx6000"}) {
    ZeusTrace trace;
    try {
      trace = ZeusTrace::load(dir, gpu);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tune_trace_bench: %s\n", e.what());
      return 1;
    }
    std::printf("\n## %s\n\n| workload | configs | optimum (batch, W) |", gpu.c_str());
    for (const auto& m : all) std::printf(" %s total | %s chosen |", m.label.c_str(), m.label.c_str());
    std::printf("\n|---|---|---|");
    for (std::size_t i = 0; i < all.size(); ++i) std::printf("---|---|");
    std::printf("\n");
    std::string oracle = "\n## " + gpu + " (oracle-stopped)\n\n| workload |";
    for (const auto& m : all) oracle += " " + m.label + " |";
    oracle += "\n|---|";
    for (std::size_t i = 0; i < all.size(); ++i) oracle += "---|";
    oracle += "\n";
    std::vector<double> log_total(all.size(), 0.0), log_chosen(all.size(), 0.0), log_oracle(all.size(), 0.0);
    std::vector<int> finite_total(all.size(), 0), finite_chosen(all.size(), 0), finite_oracle(all.size(), 0);
    std::vector<double> worst_chosen(all.size(), 0.0);
    const auto workloads = trace.workloads();
    for (const auto& w : workloads) {
      const auto best = trace.optimum(w.dataset);
      const auto base = powertrain::search::zeus_study({trace_arg, gpu, w.dataset}, powertrain::search::StudySpec());
      std::printf("| %s | %zu | %d, %g |", w.dataset.c_str(), trace.configs(w.dataset).size(),
                  best.config.batch_size, best.config.power_limit_w);
      oracle += "| " + w.dataset + " |";
      for (std::size_t i = 0; i < all.size(); ++i) {
        std::vector<double> totals, chosen, oracle_costs;
        for (int seed = 0; seed < seeds; ++seed) {
          const auto r = user_run(base, all[i], static_cast<std::uint64_t>(seed));
          totals.push_back(r.total);
          chosen.push_back(r.chosen);
          oracle_costs.push_back(search_cost(trace, w.dataset, all[i], static_cast<std::uint64_t>(seed), best.eta_j));
        }
        const double t = median(totals), c = median(chosen), o = median(oracle_costs);
        worst_chosen[i] = std::max(worst_chosen[i], c);
        auto cell = [](double v, double& log_sum, int& finite) {
          if (!std::isfinite(v)) return std::string("inf");
          log_sum += std::log(v);
          ++finite;
          char buf[32];
          std::snprintf(buf, sizeof buf, v < 10 ? "%.2f" : "%.1f", v);
          return std::string(buf);
        };
        std::printf(" %s |", cell(t, log_total[i], finite_total[i]).c_str());
        std::printf(" %s |", cell(c, log_chosen[i], finite_chosen[i]).c_str());
        oracle += " " + cell(o, log_oracle[i], finite_oracle[i]) + " |";
      }
      std::printf("\n");
      oracle += "\n";
    }
    const int n = static_cast<int>(workloads.size());
    auto geomean = [n](double log_sum, int finite) {
      char buf[48];
      if (finite == n)
        std::snprintf(buf, sizeof buf, "**%.2f**", std::exp(log_sum / finite));
      else
        std::snprintf(buf, sizeof buf, "inf (%d/%d)", finite, n);
      return std::string(buf);
    };
    std::printf("| **geomean** | | |");
    oracle += "| **geomean** |";
    for (std::size_t i = 0; i < all.size(); ++i) {
      std::printf(" %s | %s |", geomean(log_total[i], finite_total[i]).c_str(), geomean(log_chosen[i], finite_chosen[i]).c_str());
      oracle += " " + geomean(log_oracle[i], finite_oracle[i]) + " |";
    }
    std::printf("\n| **worst workload** | | |");
    for (std::size_t i = 0; i < all.size(); ++i) std::printf(" | %.2f |", worst_chosen[i]);
    std::printf("\n");
    oracle_text += oracle + "\n";
  }
  std::printf("\n# Oracle: search energy until the best-so-far configuration has a true ETA within 5%% of the\n"
              "# optimum (stopped by knowledge no user has), in optimal training runs, median of %d seeds.\n%s",
              seeds, oracle_text.c_str());
  return 0;
}
