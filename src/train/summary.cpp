// A training run as the terminal and --json show it. No LibTorch here.
#include "powertrain/train/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "powertrain/interop/run_json.h"
#include "powertrain/report/format.h"
#include "util/json.h"

namespace powertrain {

namespace {
std::string metric_text(double v) { return std::isfinite(v) ? report::format_percent(100 * v, 2) : "n/a"; }
std::string energy(double j) { return report::format_energy_j(j); }
// A multitask epoch's second head ("; aux acc 91.20%") and the forecast of the run's
// training energy ("; forecast 1.60 kJ (1.20-2.10 kJ) by epoch 16"); nothing when unknown.
std::string aux_text(const EpochRecord& e) {
  std::string out;
  auto it = e.metrics.find("aux_accuracy");
  if (it != e.metrics.end()) out += "; aux acc " + metric_text(it->second);
  auto f = e.metrics.find("forecast_energy_j"), lo = e.metrics.find("forecast_energy_low_j"),
       hi = e.metrics.find("forecast_energy_high_j"), at = e.metrics.find("forecast_stop_epoch");
  if (f != e.metrics.end() && lo != e.metrics.end() && hi != e.metrics.end() && at != e.metrics.end()) {
    out += fmt::format("; forecast {} ({}-{}) by epoch {:.0f}", energy(f->second), energy(lo->second), energy(hi->second), at->second);
  }
  return out;
}
}  // namespace

std::string epoch_header() {
  return fmt::format("{:>5} {:>10} {:>10} {:>9} {:>9} {:>8} {:>10} {:>9}  {}\n", "epoch", "train loss", "val loss", "val acc", "lr", "time",
                     "energy", "power", "provenance");
}

std::string epoch_line(const EpochRecord& e) {
  return fmt::format("{:>5} {:>10.4f} {:>10.4f} {:>9} {:>9.3g} {:>7.2f}s {:>10} {:>9}  {}\n", e.epoch, e.train_loss, e.val_loss,
                     metric_text(e.val_metric), e.lr, e.duration_s, energy(e.energy_j), report::format_power_w(e.avg_power_w),
                     provenance_name(e.energy_provenance) + aux_text(e));
}

std::string train_summary_text(const TrainConfig& cfg, const TrainResult& r, const std::string& db) {
  std::string out = fmt::format("\npowertrain: trained '{}': {} after {} epoch{} ({})\n", cfg.name, run_status_name(r.status),
                                r.epochs_run, r.epochs_run == 1 ? "" : "s", r.stop_reason);
  out += fmt::format("  best epoch       {} (val acc {}, val loss {:.4f}); test acc {}\n", r.best_epoch, metric_text(r.best_val_metric),
                     r.best_val_loss, metric_text(r.test_metric));
  for (const auto& e : r.epochs) {
    if (e.epoch == r.best_epoch && e.metrics.count("aux_accuracy")) {
      out += "  auxiliary head   val acc " + metric_text(e.metrics.at("aux_accuracy")) + " at the best epoch\n";
    }
  }
  out += fmt::format("  energy           {} total, {} to the best epoch ({}{})\n", energy(r.energy_j), energy(r.energy_to_best_j),
                     provenance_name(r.energy_provenance),
                     std::isfinite(r.energy_uncertainty_j) ? ", +-" + energy(r.energy_uncertainty_j) : std::string());
  out += fmt::format("  carbon           {} CO2e (grid {}, PUE {:.2f})\n", report::format_si(r.co2e_g, "g"), cfg.energy.grid, cfg.energy.pue);
  out += fmt::format("  time             {}, {:.0f} samples/s on {} ({} threads, {})\n", report::format_duration_s(r.duration_s),
                     r.samples_per_s, r.device, r.threads, r.precision);
  if (!r.checkpoint_path.empty()) out += "  checkpoint       " + r.checkpoint_path + " (best epoch)\n";
  if (!db.empty()) out += fmt::format("  stored as run {} in {}\n", r.run_id, db);
  return out;
}

std::string lr_find_text(const LrFindResult& r, const std::string& db) {
  std::string out = fmt::format("{:>12} {:>10} {:>10}\n", "lr", "loss", "smoothed");
  const size_t every = std::max<size_t>(1, r.lr.size() / 20);
  for (size_t i = 0; i < r.lr.size(); i += every) {
    out += fmt::format("{:>12.3g} {:>10.4f} {:>10.4f}\n", r.lr[i], r.loss[i], r.smoothed_loss[i]);
  }
  out += fmt::format("\nsuggested max LR {:.3g} (steepest descent of the loss); lowest loss at LR {:.3g}{}\n", r.suggested_lr,
                     r.min_loss_lr, r.stopped_early ? "; the loss diverged after that" : "");
  out += fmt::format("the sweep cost {} ({}) over {}\n", energy(r.energy.total_energy_j()), provenance_name(r.energy.total_provenance()),
                     report::format_duration_s(r.energy.duration_s));
  out += fmt::format("use it with: --set schedule.type=one_cycle --set schedule.max_lr={:.3g}\n", r.suggested_lr);
  if (!db.empty()) out += fmt::format("stored as run {} in {}\n", r.run_id, db);
  return out;
}

nlohmann::json train_result_json(const TrainConfig& cfg, const TrainResult& r) {
  using util::num;
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) epochs.push_back(epoch_json(e));
  return {{"schema", "powertrain.train/1"},
          {"run_id", r.run_id > 0 ? nlohmann::json(r.run_id) : nlohmann::json(nullptr)},
          {"name", cfg.name},
          {"status", run_status_name(r.status)},
          {"stop_reason", r.stop_reason},
          {"epochs_run", r.epochs_run},
          {"best_epoch", r.best_epoch},
          {"best_val_metric", num(r.best_val_metric)},
          {"best_val_loss", num(r.best_val_loss)},
          {"test_metric", num(r.test_metric)},
          {"test_loss", num(r.test_loss)},
          {"energy_j", num(r.energy_j)},
          {"energy_to_best_j", num(r.energy_to_best_j)},
          {"energy_provenance", provenance_name(r.energy_provenance)},
          {"co2e_g", num(r.co2e_g)},
          {"duration_s", num(r.duration_s)},
          {"samples_per_s", num(r.samples_per_s)},
          {"parameters", r.parameters},
          {"device", r.device},
          {"precision", r.precision},
          {"threads", r.threads},
          {"epochs", epochs},
          {"run_energy", measurement_json(r.run_energy)}};
}

}  // namespace powertrain
