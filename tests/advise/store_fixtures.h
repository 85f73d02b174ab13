// Stores built for the advisor's tests: training runs with epochs, and research-study results
// shaped as docs/studies.md describes them, with numbers chosen so savings compute by hand.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"

namespace powertrain::test {

// Returns a training config (the keys the advisor reads) with this batch size and rate.
inline nlohmann::json train_config(double batch_size, double lr) {
  return {{"name", "fixture"},
          {"task", "classify"},
          {"data", {{"format", "idx"}, {"path", "/data/fashion"}, {"subset", 0}}},
          {"model", {{"type", "mlp"}, {"hidden", {256}}, {"width", 16}, {"encoder_path", ""}, {"freeze_encoder", false}}},
          {"optimizer", {{"type", "sgd"}, {"lr", lr}}},
          {"schedule", {{"type", "constant"}}},
          {"training", {{"epochs", 10}, {"batch_size", static_cast<int64_t>(batch_size)}, {"precision", "fp32"}}},
          {"early_stopping", {{"monitor", "val_metric"}, {"patience", 5}, {"min_delta", 0}}}};
}

// Stores a completed training run with one epoch per accuracy/energy pair; returns its id.
inline int64_t add_train_run(Store& store, const std::string& name, const nlohmann::json& config,
                             const std::vector<double>& val_accuracy, const std::vector<double>& energy_j,
                             const std::string& command = "powertrain train fixture.json") {
  static double clock_s = 1.7e9;
  RunRecord run;
  run.kind = "train";
  run.name = name;
  run.command = command;
  run.started_at_unix_s = (clock_s += 100);
  run.details.config_json = config.dump();
  int64_t id = store.begin_run(run, HostInfo{}, {});
  double total = 0;
  for (size_t i = 0; i < val_accuracy.size(); ++i) {
    EpochRecord e;
    e.epoch = static_cast<int>(i) + 1;
    e.val_metric = val_accuracy[i];
    e.val_loss = 1 - val_accuracy[i];
    e.energy_j = energy_j[i];
    e.energy_provenance = std::isfinite(energy_j[i]) ? Provenance::estimated : Provenance::missing;
    e.duration_s = 1;
    total += energy_j[i];
    store.record_epoch(id, e);
  }
  run.status = RunStatus::completed;
  run.exit_code = 0;
  run.energy_j = total;
  run.energy_provenance = Provenance::estimated;
  store.finish_run(id, run, {}, {});
  return id;
}

// Stores a finished research study with this result; returns its id.
inline int64_t add_study(Store& store, const std::string& name, const std::string& kind, nlohmann::json result) {
  int64_t id = store.create_study(name, "{}", kind);
  result["schema"] = "powertrain.study." + kind + "/1";
  result["kind"] = kind;
  result["name"] = name;
  result["study_id"] = id;
  if (!result.contains("energy_provenance")) result["energy_provenance"] = "estimated";
  store.set_study_result(id, result.dump());
  return id;
}

// A regime grid, batch sizes {64, 1024} x rates {0.1, 0.01, 0.001}. Rate 0.1 diverges
// (cheap, inaccurate); the most accurate is (64, 0.001) at 0.86; (1024, 0.01) is the
// cheapest accurate setup (420 J); batch 1024 costs 30 J/epoch against 100 J/epoch.
inline nlohmann::json regime_result() {
  struct Cell { double b, lr, epe, epochs, acc; };
  const Cell cells[] = {{64, 0.1, 100, 2, 0.30},  {64, 0.01, 100, 10, 0.85},  {64, 0.001, 100, 12, 0.86},
                        {1024, 0.1, 30, 3, 0.25}, {1024, 0.01, 30, 14, 0.85}, {1024, 0.001, 30, 15, 0.85}};
  nlohmann::json setups = nlohmann::json::array();
  for (const auto& c : cells) {
    setups.push_back({{"batch_size", c.b}, {"learning_rate", c.lr}, {"energy_per_epoch_j", c.epe}, {"epochs", c.epochs},
                      {"energy_j", c.epe * c.epochs}, {"energy_j_std", nullptr}, {"best_val_accuracy", c.acc},
                      {"percent_of_worst", 100 * c.epe * c.epochs / 1200}, {"runs", 1}, {"energy_provenance", "estimated"},
                      {"run_ids", {nullptr}}});
  }
  return {{"scale", {{"name", "tiny"}, {"batch_size", 128}}},
          {"inputs", {{"batch_sizes", {64, 1024}}, {"learning_rates", {0.1, 0.01, 0.001}}, {"optimizer", "sgd"}}},
          {"setups", setups},
          {"runs", nlohmann::json::array()},
          {"best", {{"batch_size", 1024}, {"learning_rate", 0.01}, {"energy_j", 420}}}};
}

// fp32 against bf16: bf16 needs 0.6x fp32's 500 J to the target; with `bf16_loss` its
// accuracy falls beyond the tolerance and it is flagged.
inline nlohmann::json precision_result(bool bf16_loss) {
  nlohmann::json fp32 = {{"precision", "fp32"}, {"energy_j", 800}, {"energy_to_target_j", 500}, {"energy_per_epoch_j", 80},
                         {"best_val_accuracy", 0.85}, {"runs", 3}, {"accuracy_change_vs_fp32", 0}, {"accuracy_loss_flag", false},
                         {"speedup_vs_fp32", 1}, {"energy_per_epoch_ratio_vs_fp32", 1}, {"energy_to_target_ratio_vs_fp32", 1}};
  nlohmann::json bf16 = {{"precision", "bf16"}, {"energy_j", 560}, {"energy_to_target_j", 300}, {"energy_per_epoch_j", 56},
                         {"best_val_accuracy", bf16_loss ? 0.80 : 0.848}, {"runs", 3},
                         {"accuracy_change_vs_fp32", bf16_loss ? -0.05 : -0.002}, {"accuracy_loss_flag", bf16_loss},
                         {"speedup_vs_fp32", 1.3}, {"energy_per_epoch_ratio_vs_fp32", 0.7}, {"energy_to_target_ratio_vs_fp32", 0.6}};
  return {{"inputs", {{"precisions", {"fp32", "bf16"}}, {"tolerance", 0.01}}},
          {"target_val_accuracy", 0.84},
          {"precisions_run", {"fp32", "bf16"}},
          {"skipped", nlohmann::json::array()},
          {"summary", {fp32, bf16}}};
}

// Frozen classifier 40 J against 100 J fine-tuned (60 % saved); pays back after 2.5 reuses.
inline nlohmann::json pretrain_result() {
  return {{"summary", {{{"variant", "autoencoder"}, {"energy_j", 150}, {"runs", 2}},
                       {{"variant", "frozen"}, {"energy_j", 40}, {"best_val_accuracy", 0.80}, {"runs", 2}},
                       {{"variant", "finetune"}, {"energy_j", 100}, {"energy_j_std", 5}, {"best_val_accuracy", 0.81}, {"runs", 2}},
                       {{"variant", "scratch"}, {"energy_j", 100}, {"best_val_accuracy", 0.81}, {"runs", 2}}}},
          {"energies_j", {{"E_enc", 150}, {"E_class_frozen", 40}, {"E_class_finetune", 100}, {"E_enc_class", 100}}},
          {"break_even", {{"frozen", {{"reuses", 2.5}, {"saving_per_reuse_j", 60}, {"text", "after 2.5 reuses"}}},
                          {"finetune", {{"reuses", nullptr}, {"saving_per_reuse_j", 0}, {"text", "never"}}}}},
          {"freeze_vs_finetune", {{"energy_saving_fraction", 0.6}, {"frozen_energy_j", 40}, {"finetune_energy_j", 100}}}};
}

// Width sweep: accuracy saturates at 0.851 (width 256); width 64 is within 0.01 of it.
inline nlohmann::json layers_result() {
  nlohmann::json widths = nlohmann::json::array();
  const double w[] = {32, 64, 128, 256}, acc[] = {0.84, 0.848, 0.85, 0.851}, e[] = {100, 180, 400, 900};
  for (int i = 0; i < 4; ++i) {
    widths.push_back({{"width", w[i]}, {"width_factor", w[i] / 128}, {"best_val_accuracy", acc[i]}, {"energy_j", e[i]}, {"runs", 1}});
  }
  return {{"width_key", "model.hidden"}, {"widths", widths}, {"layer_costs", nlohmann::json::array()}};
}

// One-cycle reaches the target for 180 J (range test included) against 300 J at a constant rate.
inline nlohmann::json superconvergence_result() {
  return {{"max_lr", 0.01},
          {"target_val_accuracy", 0.84},
          {"summary", {{{"variant", "one_cycle"}, {"energy_to_target_j", 160}, {"energy_to_target_with_lr_find_j", 180},
                        {"epochs_to_target", 4}, {"runs", 1}, {"target_reached_runs", 1}},
                       {{"variant", "constant"}, {"energy_to_target_j", 300}, {"energy_to_target_with_lr_find_j", 300},
                        {"epochs_to_target", 8}, {"runs", 1}, {"target_reached_runs", 1}}}}};
}

// Two tasks: 500 J separately, 300 J together, same main-task accuracy.
inline nlohmann::json multitask_result() {
  return {{"inputs", {{"aux", "fashion_coarse"}, {"alpha", {1.0, 0.5}}}},
          {"summary", {{{"variant", "main"}, {"energy_j", 250}, {"main_task_val_accuracy", 0.85}, {"runs", 1}},
                       {{"variant", "aux"}, {"energy_j", 250}, {"main_task_val_accuracy", nullptr}, {"runs", 1}},
                       {{"variant", "both"}, {"energy_j", 300}, {"main_task_val_accuracy", 0.85}, {"runs", 1}}}},
          {"comparison", {{"separate_total_energy_j", 500}, {"multitask_energy_j", 300}, {"saving_fraction_vs_separate", 0.4},
                          {"cheaper_than_separate", true}, {"cheaper_than_each_alone", false}}}};
}

// A search study (kind tune) over batch sizes 64 and 1024: 20 J/epoch against 8 J/epoch.
inline int64_t add_tune_study(Store& store, const std::string& name) {
  nlohmann::json spec = {{"backend", "train"}, {"config_path", "study.json"},
                         {"study_text", "// base config\n{\"train\": {\"training\": {\"batch_size\": 64}}, \"strategy\": \"sh\"}"}};
  int64_t id = store.create_study(name, spec.dump(), "tune");
  struct T { double b, metric, energy_j, epochs; };
  const T trials[] = {{64, 0.85, 60, 3}, {64, 0.86, 180, 9}, {1024, 0.85, 24, 3}, {1024, 0.855, 72, 9}};
  int64_t seq = 0;
  for (const auto& t : trials) {
    nlohmann::json j = {{"trial", seq}, {"config", {{"training.batch_size", t.b}, {"optimizer.lr", 0.01}}}, {"budget", t.epochs},
                        {"from_epoch", 0}, {"to_epoch", t.epochs}, {"loss", -t.metric}, {"metric", t.metric},
                        {"config_energy_j", t.energy_j}, {"config_epochs", t.epochs}, {"reached_target", false},
                        {"stopped_early", false}, {"trial_energy_j", t.energy_j}, {"search_energy_j", nullptr},
                        {"search_duration_s", nullptr}, {"config_eta_j", nullptr}};
    store.record_study_row(id, seq++, j.dump(), t.energy_j, t.metric);
  }
  return id;
}

}  // namespace powertrain::test
