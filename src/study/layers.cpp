// The layers study (research.md section 3): energy by layer type at matched sizes, and a
// model-width sweep that shows where accuracy stops paying for its training energy.
#include "powertrain/study/layers.h"

#include <fmt/format.h>

#include <algorithm>

#include "powertrain/energy/meter.h"
#include "powertrain/train/layer_energy.h"
#include "study/common.h"

namespace powertrain {

namespace {

using study::json;

// The sweep: the scale's width times these factors (each step doubles the width).
const std::vector<double> kWidthFactors = {0.25, 0.5, 1.0, 2.0, 4.0};
// A widening step is "diminishing" when it gains less than this validation accuracy
// (absolute, half a percentage point: about the seed-to-seed noise of these runs) ...
constexpr double kMinGain = 0.005;
// ... or buys less than this fraction of the best accuracy-per-kJ of the earlier steps.
constexpr double kMarginalFraction = 0.5;

// The layer benchmark of a scale: the tensor the scale's CNN's first stage sees (C = the
// scale's width, 28x28 Fashion-MNIST images), on the device the runs train on.
LayerBenchSpec bench_spec(const study::Context& ctx, const TrainConfig& cfg) {
  LayerBenchSpec s;
  s.channels = ctx.scale.width;
  s.height = s.width = 28;
  s.threads = ctx.threads;
  s.device = cfg.training.device;
  if (ctx.scale.name == "tiny") {
    s.batch = 16;
    s.warmup = 1;
    s.repetitions = 3;
    s.min_window_s = 0.1;
  } else if (ctx.scale.name == "small") {
    s.batch = ctx.scale.batch_size;
    s.warmup = 3;
    s.repetitions = 10;
    s.min_window_s = 1.0;  // about 10 samples of the 100 ms meter per window
  } else {
    s.batch = ctx.scale.batch_size;
    s.warmup = 10;
    s.repetitions = 50;
    s.min_window_s = 2.0;
  }
  return s;
}

LayerPhaseRow phase_row(const LayerPhaseCost& p) {
  LayerPhaseRow r;
  r.repetitions = p.repetitions;
  r.time_s = p.time_s;
  r.time_per_pass_s = p.time_per_pass_s;
  r.window_s = p.window_s;
  r.energy_j = p.energy_j;
  r.energy_per_pass_j = p.energy_per_pass_j;
  r.avg_power_w = p.avg_power_w;
  r.energy_provenance = p.energy_provenance;
  return r;
}

LayerCostRow cost_row(const LayerCost& c) {
  LayerCostRow r;
  r.layer = c.layer;
  r.description = c.description;
  r.input_shape = c.input_shape;
  r.output_shape = c.output_shape;
  r.device = c.device;
  r.parameters = c.parameters;
  r.flops_forward = c.flops_forward;
  r.forward_gflop_per_s = c.forward_gflop_per_s;
  r.forward = phase_row(c.forward);
  r.forward_backward = phase_row(c.forward_backward);
  r.time_share = c.time_share;
  r.energy_share = c.energy_share;
  r.energy_j = c.forward.energy_j + c.forward_backward.energy_j;
  r.energy_provenance = provenance_weakest(r.forward.energy_provenance, r.forward_backward.energy_provenance);
  return r;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out;
}

// Energy in J, or mJ below 1 J.
std::string mj(double j) {
  if (!std::isfinite(j)) return "unknown energy";
  return std::fabs(j) >= 1 ? fmt::format("{:.3g} J", j) : fmt::format("{:.3g} mJ", 1e3 * j);
}
std::string points(double acc) { return std::isfinite(acc) ? fmt::format("{:+.2f} points", 100 * acc) : std::string("an unknown change"); }
std::string kj(double k) { return std::isfinite(k) ? fmt::format("{:.3g} kJ", k) : std::string("unknown energy"); }

// Returns the geometric mean of the positive finite ratios (the mean that suits ratios:
// E_first / E_last over n steps gives the n-th root), NaN when there are none.
double geomean(const std::vector<double>& ratios) {
  double log_sum = 0;
  int n = 0;
  for (double r : ratios) {
    if (std::isfinite(r) && r > 0) { log_sum += std::log(r); ++n; }
  }
  return n > 0 ? std::exp(log_sum / n) : NAN;
}

// The layer sentences: cost per forward+backward pass in order, and whether the research's
// order (convolution, then linear, then ReLU) holds here.
void layer_findings(const std::vector<LayerCost>& costs, const LayerBenchSpec& spec, std::vector<std::string>& findings) {
  if (costs.empty()) return;
  bool energy_known = true;
  for (const auto& c : costs) energy_known = energy_known && std::isfinite(c.forward_backward.energy_per_pass_j);
  // Rank by energy where every layer has one, else by time (the energy is then unknown).
  auto cost_of = [&](const LayerCost& c) {
    return energy_known ? c.forward_backward.energy_per_pass_j : c.forward_backward.time_per_pass_s;
  };
  std::vector<const LayerCost*> order;
  for (const auto& c : costs) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [&](const LayerCost* a, const LayerCost* b) { return cost_of(*a) > cost_of(*b); });
  std::string list;
  for (const LayerCost* c : order) {
    if (!list.empty()) list += ", ";
    list += fmt::format("{} {} ({:.3g} ms, {:.0f}% of the time, {:.3g} MFLOP forward)", c->layer, mj(c->forward_backward.energy_per_pass_j),
                        1e3 * c->forward_backward.time_per_pass_s, 100 * c->time_share, c->flops_forward / 1e6);
  }
  std::string prov = provenance_name(costs[0].forward_backward.energy_provenance);
  findings.push_back(fmt::format(
      "At matched sizes (every layer takes the same {} input, batch {}, and returns as many values), one forward+backward pass "
      "cost, most expensive first: {} (energy {}).",
      shape_text({spec.batch, spec.channels, spec.height, spec.width}), spec.batch, list,
      energy_known ? prov : std::string("unknown: ranked by time")));

  const LayerCost *conv = nullptr, *linear = nullptr, *relu = nullptr;
  for (const auto& c : costs) {
    if (c.layer == "conv3x3") conv = &c;
    if (c.layer == "linear") linear = &c;
    if (c.layer == "relu") relu = &c;
  }
  if (conv && linear && relu) {
    bool holds = cost_of(*conv) > cost_of(*linear) && cost_of(*linear) > cost_of(*relu);
    double ratio = cost_of(*conv) / cost_of(*linear);
    double flop_ratio = static_cast<double>(conv->flops_forward) / static_cast<double>(linear->flops_forward);
    findings.push_back(fmt::format(
        "The research's order (convolution, then linear, then ReLU) {} on this machine: the 3x3 convolution cost {:.2g}x the {} of "
        "the linear layer for {:.2g}x its FLOPs, and ReLU {:.2g}x the linear layer's.",
        holds ? "holds" : "does not hold", ratio, energy_known ? "energy" : "time", flop_ratio, cost_of(*relu) / cost_of(*linear)));
  }
}

}  // namespace

LayersResult run_layers_study(const StudyOptions& opts, const LayersOptions& layers, Store* store) {
  (void)layers;  // no options of its own yet
  study::Context ctx("layers", opts, store, json::object());
  json base = ctx.base_config();
  LayersResult result;
  result.header = ctx.header();
  result.layer_types = layer_bench_types();
  result.width_factors = kWidthFactors;
  result.diminishing_rule = fmt::format("a widening step gains less than {} validation accuracy, or less than {} x the best "
                                        "accuracy per kJ of the earlier steps", kMinGain, kMarginalFraction);
  result.early_stopping = "validation accuracy";
  const TrainConfig plain = ctx.config(base, {});
  const bool mlp = plain.model.type == "mlp";
  const int64_t width0 = mlp ? (plain.model.hidden.empty() ? 0 : plain.model.hidden[0]) : plain.model.width;
  if (width0 < 1) throw StudyError("the layers study sweeps the model's width: give the mlp at least one hidden layer (model.hidden)");

  // 1. Energy by layer type: one meter for the whole benchmark, a window per timed loop.
  LayerBenchSpec spec = bench_spec(ctx, plain);
  std::vector<LayerCost> costs;
  Measurement bench;
  {
    std::vector<std::string> warnings;
    Meter meter(discover_sources(opts.sensors, &warnings), MeterOptions().interval_s(plain.energy.interval_ms / 1000.0));
    if (opts.verbose) for (const auto& w : warnings) ctx.say("  " + w);
    ctx.say(fmt::format("[layers] layer benchmark: {} layer types on a {} input, {} passes per loop (at least {:.1f} s)",
                        layer_bench_types().size(), shape_text({spec.batch, spec.channels, spec.height, spec.width}),
                        spec.repetitions, spec.min_window_s));
    meter.start();
    Meter::WindowId w = meter.begin("layer bench");
    costs = measure_layer_costs(spec, &meter);
    bench = meter.end(w);
  }
  for (const auto& c : costs) {
    LayerCostRow row = cost_row(c);
    ctx.say(fmt::format("  {:<10} forward+backward {:.3g} ms, {}", c.layer, 1e3 * c.forward_backward.time_per_pass_s,
                        mj(c.forward_backward.energy_per_pass_j)));
    ctx.record(row, row.energy_j, NAN);
    result.layer_costs.push_back(row);
  }
  if (opts.stop_requested && opts.stop_requested->load()) {
    throw StudyInterrupted("study '" + ctx.name + "' interrupted after the layer benchmark");
  }

  // 2. The width sweep: the same model at every width, to early stopping, per seed.
  std::vector<int64_t> widths;
  for (double f : kWidthFactors) widths.push_back(std::max<int64_t>(1, static_cast<int64_t>(std::llround(f * static_cast<double>(width0)))));
  std::vector<std::vector<RunRow>> cells(widths.size());
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string setting;
      if (mlp) {
        // Every hidden layer scales by the same factor; the first one names the width.
        std::vector<int64_t> hidden;
        for (int64_t h : plain.model.hidden) {
          hidden.push_back(std::max<int64_t>(1, static_cast<int64_t>(std::llround(kWidthFactors[i] * static_cast<double>(h)))));
        }
        setting = "model.hidden=" + json(hidden).dump();
      } else {
        setting = "model.width=" + std::to_string(widths[i]);
      }
      TrainConfig cfg = ctx.config(base, {setting, "training.seed=" + std::to_string(seed),
                                          "name=" + fmt::format("layers-width{}-s{}", widths[i], seed)});
      LayersRun run = ctx.run(cfg, LayersRun{widths[i], kWidthFactors[i], seed, {}},
                              fmt::format("width {}, seed {}", widths[i], seed));
      cells[i].push_back(run.run);
      result.runs.push_back(run);
    }
  }

  // 3. Accuracy against training energy, and the marginal accuracy per kJ of each doubling.
  std::vector<double> acc(widths.size()), energy_j(widths.size()), per_epoch_j(widths.size());
  for (size_t i = 0; i < widths.size(); ++i) {
    LayersWidth w;
    w.width = widths[i];
    w.width_factor = kWidthFactors[i];
    w.parameters = cells[i].empty() ? 0 : cells[i][0].parameters;
    w.stats = study::summarize(cells[i]);
    for (const auto& r : cells[i]) w.run_ids.push_back(r.run_id);
    acc[i] = w.stats.best_val_accuracy.mean;
    energy_j[i] = w.stats.energy_j.mean;
    per_epoch_j[i] = w.stats.energy_per_epoch_j.mean;
    result.widths.push_back(w);
  }
  DiminishingReturns& diminishing = result.diminishing_returns;
  diminishing.reason = "returns did not diminish within the widths tried";
  double best_marginal = NAN;
  std::vector<double> halving_energy, halving_per_epoch;
  for (size_t k = 1; k < widths.size(); ++k) {
    LayersWidthStep step;
    step.from_width = widths[k - 1];
    step.to_width = widths[k];
    const double d_acc = step.delta_val_accuracy = acc[k] - acc[k - 1];
    const double d_kj = step.delta_energy_kj = (energy_j[k] - energy_j[k - 1]) / 1000.0;
    const double marginal = step.marginal_val_accuracy_per_kj = std::isfinite(d_acc) && d_kj > 0 ? d_acc / d_kj : NAN;
    step.energy_ratio = energy_j[k - 1] > 0 ? energy_j[k] / energy_j[k - 1] : NAN;
    result.width_steps.push_back(step);
    // Halving the width = this step backwards: the narrower model's share of the energy.
    if (energy_j[k] > 0 && std::isfinite(energy_j[k - 1])) halving_energy.push_back(energy_j[k - 1] / energy_j[k]);
    if (per_epoch_j[k] > 0 && std::isfinite(per_epoch_j[k - 1])) halving_per_epoch.push_back(per_epoch_j[k - 1] / per_epoch_j[k]);
    if (!diminishing.step && std::isfinite(d_acc)) {
      std::string reason;
      if (d_acc < kMinGain) {
        std::string energy = !std::isfinite(d_kj) ? std::string("an unknown energy change")
                                                  : kj(std::fabs(d_kj)) + (d_kj >= 0 ? " more" : " less");
        reason = fmt::format("widening {} -> {} changed validation accuracy by {} (a gain below {:.1f} points) for {}",
                             widths[k - 1], widths[k], points(d_acc), 100 * kMinGain, energy);
      } else if (std::isfinite(marginal) && std::isfinite(best_marginal) && marginal < kMarginalFraction * best_marginal) {
        reason = fmt::format("widening {} -> {} bought {:.3g} points per kJ, less than {:.0f}% of the {:.3g} points per kJ of the "
                             "best earlier step", widths[k - 1], widths[k], 100 * marginal, 100 * kMarginalFraction, 100 * best_marginal);
      }
      if (!reason.empty()) diminishing = DiminishingReturns{widths[k - 1], static_cast<int64_t>(k - 1), reason};
    }
    if (std::isfinite(marginal) && !(marginal <= best_marginal)) best_marginal = marginal;
  }
  result.halving_geomean_energy_ratio = geomean(halving_energy);
  result.halving_geomean_energy_per_epoch_ratio = geomean(halving_per_epoch);

  std::vector<std::string>& findings = result.header.findings;
  layer_findings(costs, spec, findings);
  std::string what = mlp ? "hidden width" : "CNN width";
  if (diminishing.step) {
    findings.push_back(fmt::format("Returns diminish after {} {}: {}.", what, *diminishing.after_width, diminishing.reason));
  } else {
    int cheaper = 0;
    for (const auto& st : result.width_steps) cheaper += st.delta_energy_kj <= 0 ? 1 : 0;
    findings.push_back(fmt::format("Returns did not diminish between {} {} and {}: every doubling gained at least {:.1f} points at "
                                   "no less than {:.0f}% of the best earlier accuracy per kJ{}.",
                                   what, widths.front(), widths.back(), 100 * kMinGain, 100 * kMarginalFraction,
                                   cheaper > 0 ? fmt::format(" ({} of the {} doublings also used less energy, so their accuracy per kJ "
                                                             "is undefined)", cheaper, result.width_steps.size())
                                               : std::string()));
  }
  if (std::isfinite(energy_j.front()) && energy_j.front() > 0 && std::isfinite(energy_j.back())) {
    findings.push_back(fmt::format(
        "The widest model ({} {}) used {:.2g}x the training energy of the narrowest ({}) for {} of validation accuracy ({:.4f} against {:.4f}).",
        what, widths.back(), energy_j.back() / energy_j.front(), widths.front(), points(acc.back() - acc.front()), acc.back(), acc.front()));
  }
  const double half_e = result.halving_geomean_energy_ratio, half_pe = result.halving_geomean_energy_per_epoch_ratio;
  if (std::isfinite(half_e) && std::isfinite(half_pe)) {
    findings.push_back(fmt::format(
        "Halving the width left {:.0f}% of the training energy and {:.0f}% of the energy per epoch (geometric means over the steps; "
        "the difference is the number of epochs early stopping chose); research.md section 3 reports that halving complexity "
        "roughly halved training energy.",
        100 * half_e, 100 * half_pe));
  }

  LayerBenchRow& lb = result.layer_bench;
  lb.matched = "every layer takes the same input tensor and returns as many values; the linear layer sees it channels-last and is "
               "fully connected over the channels at every position";
  lb.input_shape = {spec.batch, spec.channels, spec.height, spec.width};
  lb.warmup = spec.warmup;
  lb.repetitions = spec.repetitions;
  lb.min_window_s = spec.min_window_s;
  lb.threads = spec.threads;
  lb.device = costs.empty() ? spec.device : costs[0].device;
  lb.energy_j = bench.total_energy_j();
  lb.energy_provenance = bench.total_provenance();
  lb.duration_s = bench.duration_s;
  result.width_key = mlp ? "model.hidden" : "model.width";

  // The layer benchmark is part of what the study cost.
  std::vector<study::EnergyPart> parts = study::run_energy_parts(result.runs);
  parts.push_back({lb.energy_j, lb.energy_provenance});
  ctx.finish(result.header, parts);
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
