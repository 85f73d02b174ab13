// A study result as plain-text tables: aligned columns, units in the headers, "-" where a
// value is unknown, then the findings.
#include <fmt/format.h>

#include <algorithm>

#include "study/common.h"

namespace powertrain {

namespace {
using study::dbl;
using study::json;

// Columns sized to their widest cell; the first column left-aligned, the rest right.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t c = 0; c < header.size(); ++c) w[c] = header[c].size();
  for (const auto& r : rows) for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < w.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      out += c == 0 ? fmt::format("{:<{}}", cell, w[c]) : fmt::format("  {:>{}}", cell, w[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  size_t total = 0;
  for (size_t c = 0; c < w.size(); ++c) total += w[c] + (c ? 2 : 0);
  out += std::string(total, '-') + "\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string f(const json& v, const char* spec = "{:.2f}") {
  return v.is_number() ? fmt::format(fmt::runtime(spec), v.get<double>()) : std::string("-");
}
std::string pm(const json& s, const std::string& key, const char* spec = "{:.4f}") {
  if (!s.contains(key) || !s[key].is_number()) return "-";
  std::string out = f(s[key], spec);
  if (s.contains(key + "_std") && s[key + "_std"].is_number()) out += " ± " + f(s[key + "_std"], spec);
  return out;
}
std::string at(const json& s, const char* key, const char* spec = "{:.2f}") { return s.contains(key) ? f(s[key], spec) : "-"; }
// Epochs or energy to the target, with "(k/n runs)" when not every run reached it.
std::string to_target(const json& s, const std::string& key, const char* spec) {
  std::string out = pm(s, key, spec);
  int reached = s.value("target_reached_runs", 0), runs = s.value("runs", 0);
  if (reached < runs) out += fmt::format(" ({}/{} runs)", reached, runs);
  return out;
}

// A batch size x learning rate matrix.
std::string matrix(const json& t, const char* key, const char* title, const char* spec) {
  std::vector<std::string> header = {"batch \\ lr"};
  for (const auto& lr : t["learning_rates"]) header.push_back(fmt::format("{:g}", lr.get<double>()));
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < t["batch_sizes"].size(); ++i) {
    std::vector<std::string> r = {std::to_string(t["batch_sizes"][i].get<long long>())};
    for (const auto& v : t[key][i]) r.push_back(f(v, spec));
    rows.push_back(r);
  }
  return std::string(title) + "\n" + table(header, rows) + "\n";
}

std::string regime_text(const json& r) {
  const json& t = r["tables"];
  return matrix(t, "energy_per_epoch_j", "Average energy per epoch (J, Eq. 1)", "{:.2f}") +
         matrix(t, "epochs", "Epochs to early stopping", "{:.1f}") + matrix(t, "energy_j", "Total training energy (J)", "{:.1f}") +
         matrix(t, "percent_of_worst", "Total energy as % of the worst setup", "{:.0f}") +
         matrix(t, "best_val_accuracy", "Best validation accuracy", "{:.4f}");
}

std::string precision_text(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r["summary"]) {
    rows.push_back({s["precision"].get<std::string>(), std::to_string(s["runs"].get<int>()), pm(s, "duration_per_epoch_s", "{:.2f}"),
                    at(s, "avg_power_w", "{:.1f}"), pm(s, "energy_per_epoch_j", "{:.1f}"), to_target(s, "epochs_to_target", "{:.1f}"),
                    to_target(s, "energy_to_target_j", "{:.1f}"), pm(s, "best_val_accuracy"),
                    s.value("accuracy_loss_flag", false) ? "LOSS" : "ok"});
  }
  std::string out = fmt::format("Target validation accuracy {} ({})\n", f(r["target_val_accuracy"], "{:.4f}"),
                                r.value("target_source", ""));
  out += table({"precision", "runs", "time/epoch (s)", "power (W)", "energy/epoch (J)", "epochs to target", "energy to target (J)",
                "best val acc", "accuracy"},
               rows);
  for (const auto& s : r["skipped"]) out += "skipped " + s["precision"].get<std::string>() + ": " + s["reason"].get<std::string>() + "\n";
  return out + "\n";
}

std::string superconvergence_text(const json& r) {
  const json& lf = r["lr_find"];
  std::string out = fmt::format("LR range test: suggested max_lr {} ({} steps, {} J); target validation accuracy {} ({})\n",
                                f(lf["suggested_lr"], "{:.3g}"), lf.value("steps", 0), f(lf["energy_j"], "{:.1f}"),
                                f(r["target_val_accuracy"], "{:.4f}"), r.value("target_source", ""));
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r["summary"]) {
    rows.push_back({s["variant"].get<std::string>(), to_target(s, "epochs_to_target", "{:.1f}"), to_target(s, "energy_to_target_j", "{:.1f}"),
                    at(s, "energy_to_target_with_lr_find_j", "{:.1f}"), pm(s, "energy_per_epoch_j", "{:.1f}"),
                    pm(s, "energy_j", "{:.1f}"), pm(s, "best_val_accuracy")});
  }
  out += table({"variant", "epochs to target", "energy to target (J)", "with range test (J)", "energy/epoch (J)", "total energy (J)",
                "best val acc"},
               rows);
  return out + "\n";
}

std::string pretrain_text(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r["summary"]) {
    rows.push_back({s["variant"].get<std::string>(), s["symbol"].get<std::string>(), pm(s, "epochs", "{:.1f}"),
                    pm(s, "energy_per_epoch_j", "{:.1f}"), pm(s, "energy_j", "{:.1f}"), pm(s, "best_val_accuracy")});
  }
  std::string out = table({"variant", "Eq. 2", "epochs", "energy/epoch (J)", "energy (J)", "best val acc"}, rows);
  out += fmt::format("\nbreak-even (Eq. 2): frozen {}, fine-tuned {}\n", r["break_even"]["frozen"]["text"].get<std::string>(),
                     r["break_even"]["finetune"]["text"].get<std::string>());
  const json& c = r["cumulative"];
  std::vector<std::vector<std::string>> cum;
  size_t n = c["reuses"].size(), step = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i < n; i += step) {
    cum.push_back({std::to_string(c["reuses"][i].get<int>()), f(c["pretrain_frozen_j"][i], "{:.1f}"),
                   f(c["pretrain_finetune_j"][i], "{:.1f}"), f(c["scratch_j"][i], "{:.1f}")});
  }
  out += "\nCumulative energy after n downstream trainings\n" +
         table({"reuses", "pretrain+frozen (J)", "pretrain+fine-tune (J)", "from scratch (J)"}, cum);
  return out + "\n";
}

std::string multitask_text(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r["summary"]) {
    rows.push_back({s["variant"].get<std::string>(), pm(s, "energy_per_epoch_j", "{:.2f}"), pm(s, "epochs", "{:.1f}"),
                    pm(s, "energy_j", "{:.1f}"), at(s, "main_task_val_accuracy", "{:.4f}")});
  }
  return table({"variant", "energy/epoch (J)", "epochs", "energy (J)", "main val acc"}, rows) +
         fmt::format("separate total {} J; multitask {} J\n\n", f(r["comparison"]["separate_total_energy_j"], "{:.1f}"),
                     f(r["comparison"]["multitask_energy_j"], "{:.1f}"));
}

std::string search_text(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r["runs"]) {
    rows.push_back({s["strategy"].get<std::string>(), std::to_string(s["trials"].get<long>()),
                    f(s["search_energy_j"], "{:.1f}"), f(s["energy_to_first_target_j"], "{:.1f}"),
                    s["best_config"].is_null() ? "-" : s["best_config"].dump(), f(s["best_val_accuracy"], "{:.4f}")});
  }
  std::string out = table({"strategy", "trials", "search energy (J)", "energy to target (J)", "chosen", "its val acc"}, rows);
  if (r.contains("simulated") && !r["simulated"].empty()) {
    std::vector<std::vector<std::string>> sim;
    for (const auto& s : r["simulated"]) {
      sim.push_back({s["strategy"].get<std::string>(), std::to_string(s["trials"].get<long>()),
                     f(s["search_energy_optimal_runs"], "{:.1f}"), f(s["chosen_vs_optimal"], "{:.2f}")});
    }
    out += "\nOn the V100 cifar100 trace (simulated)\n" +
           table({"strategy", "trials", "search energy (optimal runs)", "chosen / optimal energy"}, sim);
  }
  return out + "\n";
}

std::string layers_text(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : r["layer_costs"]) {
    rows.push_back({c["layer"].get<std::string>(), std::to_string(c["parameters"].get<long>()),
                    std::to_string(c["flops_forward"].get<long>()),
                    f(c["forward_backward"]["time_per_pass_s"], "{:.6f}"), f(c["forward_backward"]["energy_per_pass_j"], "{:.4f}"),
                    c["forward_backward"].value("energy_provenance", "missing")});
  }
  std::string out = table({"layer", "parameters", "forward FLOPs", "s/pass (fwd+bwd)", "J/pass (fwd+bwd)", "provenance"}, rows);
  std::vector<std::vector<std::string>> widths;
  for (const auto& w : r["widths"]) {
    widths.push_back({w["width"].dump(), f(w["energy_j"], "{:.1f}"), f(w["best_val_accuracy"], "{:.4f}")});
  }
  out += "\nWidth sweep\n" + table({"width", "energy (J)", "best val acc"}, widths);
  return out + "\n";
}

}  // namespace

std::string study_text(const nlohmann::json& r) {
  const std::string kind = r.value("kind", "");
  std::string out = fmt::format("Study '{}' ({}, scale {}, {} seed(s)) on {}\n\n", r.value("name", ""), kind,
                                r["scale"].value("name", ""), r["inputs"].value("seeds", 0),
                                r["device"].is_string() ? r["device"].get<std::string>() : std::string("?"));
  if (kind == "regime") out += regime_text(r);
  else if (kind == "precision") out += precision_text(r);
  else if (kind == "superconvergence") out += superconvergence_text(r);
  else if (kind == "pretrain") out += pretrain_text(r);
  else if (kind == "multitask") out += multitask_text(r);
  else if (kind == "search") out += search_text(r);
  else if (kind == "layers") out += layers_text(r);
  for (const auto& line : r["findings"]) out += line.get<std::string>() + "\n";
  out += fmt::format("\nEnergy provenance: {}; the study's runs used {} J in all.\n", r.value("energy_provenance", "missing"),
                     f(r["study_energy_j"], "{:.1f}"));
  return out;
}

}  // namespace powertrain
