// powertrain/study/study.h: the research studies, reproduced on this machine and its data.
//
// Each study composes runs of the training engine (train_model) and derives the tables of
// research.md sections 1 to 4 from their measured epochs:
//   regime            batch size x learning rate grid: energy per epoch (Eq. 1), epochs,
//                     total energy, each setup as a percentage of the worst (Table 2, Fig. 3)
//   precision         fp32 vs fp16 vs bf16: time, power, energy per epoch and to a target,
//                     accuracy mean +- std, accuracy loss flagged beyond a tolerance
//   superconvergence  LR range test, then one-cycle + AdamW against a constant LR
//   pretrain          autoencoder pretraining, frozen / fine-tuned reuse, break-even (Eq. 2)
//   multitask         two tasks alone and together with a shared encoder (Table 4)
//   search            search strategies by the energy they spend to reach a target (section 2, 3)
//   layers            energy by layer type at matched sizes; accuracy vs training energy across widths
//   recipe            the standard recipe against an SM2 search and its choice, to one test accuracy (the main job)
// Every run is recorded in the store as it ends (a trial of the study), the study's result
// at the end. This header gathers the module: options.h (the common options), one header
// per study (its options, typed result, run function and codec), record.h (what results
// share), results.h (any result by kind) and registry.h (the studies by name). No LibTorch
// in these headers: the runners (powertrain_study) call the trainer's torch-free API, and
// the results (powertrain_study_results) link no training at all.
//
// Example:
//   powertrain::StudyOptions o;
//   o.scale = "tiny";
//   o.say = [](const std::string& line) { std::cerr << line << "\n"; };
//   powertrain::RegimeResult r = powertrain::run_regime_study(o, powertrain::RegimeOptions{}, nullptr);
//   std::cout << r.header.findings.at(0) << "\n";
//   std::cout << nlohmann::json(r).dump(2) << "\n";   // the stored form
#pragma once

#include "powertrain/study/layers.h"
#include "powertrain/study/multitask.h"
#include "powertrain/study/options.h"
#include "powertrain/study/precision.h"
#include "powertrain/study/pretrain.h"
#include "powertrain/study/recipe.h"
#include "powertrain/study/record.h"
#include "powertrain/study/regime.h"
#include "powertrain/study/registry.h"
#include "powertrain/study/results.h"
#include "powertrain/study/search.h"
#include "powertrain/study/superconvergence.h"
