// powertrain/train/summary.h: a training run as `powertrain train` and `lr-find` show it:
// the per-epoch table, the closing summary, the learning-rate sweep, and the result as JSON
// ("powertrain.train/1"). Every energy with its provenance; unknown values read "n/a" in
// text and null in JSON. No LibTorch in this header.
//
// Example:
//   hooks.on_epoch = [](const powertrain::EpochRecord& e) { std::cerr << powertrain::epoch_line(e); };
//   std::cerr << powertrain::train_summary_text(cfg, train_model(cfg, hooks), "powertrain.db");
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "powertrain/store/store.h"
#include "powertrain/train/config.h"
#include "powertrain/train/trainer.h"

namespace powertrain {

// The per-epoch table's header line and one epoch's line (each ends with a newline).
std::string epoch_header();
std::string epoch_line(const EpochRecord& epoch);
// The closing summary: status and why it stopped, best epoch, energy (total and to the
// best epoch), carbon, time and throughput, checkpoint, where it is stored (`db`, "" = not).
std::string train_summary_text(const TrainConfig& cfg, const TrainResult& result, const std::string& db);
// The learning-rate sweep (about 20 rows), the suggestion, the sweep's energy and how to use it.
std::string lr_find_text(const LrFindResult& result, const std::string& db);
// The result as `powertrain train --json` writes it.
nlohmann::json train_result_json(const TrainConfig& cfg, const TrainResult& result);

}  // namespace powertrain
