// The pretraining study (research.md section 1, Eq. 2): pretrain an autoencoder once
// (E_enc), reuse its encoder for classifiers, frozen or fine-tuned (E_class each), against
// training encoder + classifier from scratch every time (E_enc+class). Pretraining pays for
// itself after x = E_enc / (E_enc+class - E_class) reuses.
#include "powertrain/study/pretrain.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "study/common.h"

namespace powertrain {

namespace {
using study::json;

// The encoder files: in the given directory, or in a temporary one that is removed (with
// the files) when the study ends, also on an exception.
class EncoderDir {
 public:
  explicit EncoderDir(const std::string& dir) {
    if (!dir.empty()) {
      path_ = dir;
      return;
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/powertrain-pretrain-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw StudyError("cannot create a temporary directory in " + tmpl + ": set TMPDIR to a writable directory");
    path_ = buf.data();
    owned_ = true;
  }
  ~EncoderDir() {
    if (!owned_) return;
    for (const auto& f : files_) std::remove(f.c_str());
    ::rmdir(path_.c_str());
  }
  EncoderDir(const EncoderDir&) = delete;
  EncoderDir& operator=(const EncoderDir&) = delete;
  std::string file(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  bool owned_ = false;
  std::vector<std::string> files_;
};

// Eq. 2, or NaN ("never") when reuse saves nothing per training.
double break_even(double e_enc, double e_scratch, double e_class) {
  double denom = e_scratch - e_class;
  if (!std::isfinite(e_enc) || !std::isfinite(denom) || denom <= 0) return NAN;
  return e_enc / denom;
}

BreakEven break_even_of(double e_enc, double e_scratch, double e_class) {
  double x = break_even(e_enc, e_scratch, e_class);
  bool known = std::isfinite(e_enc) && std::isfinite(e_scratch) && std::isfinite(e_class);
  return BreakEven{x, e_scratch - e_class,
                   !known ? "unknown (an energy is missing)" : std::isfinite(x) ? fmt::format("after {:.1f} reuses", x) : "never"};
}
}  // namespace

PretrainResult run_pretrain_study(const StudyOptions& opts, const PretrainOptions& pretrain, Store* store) {
  (void)pretrain;  // no options of its own yet
  study::Context ctx("pretrain", opts, store, json::object());
  EncoderDir dir(opts.work_dir);
  json base = ctx.base_config();
  base["model"]["feature_dim"] = ctx.scale.feature_dim;
  PretrainResult result;
  result.header = ctx.header();
  result.autoencoder_early_stopping = "validation loss";
  result.classifier_early_stopping = "validation accuracy";
  result.equation = "x = E_enc / (E_enc+class - E_class)";
  result.feature_dim = ctx.scale.feature_dim;

  const char* names[] = {"autoencoder", "frozen", "finetune", "scratch"};
  const char* symbols[] = {"E_enc", "E_class (frozen)", "E_class (fine-tuned)", "E_enc+class"};
  std::vector<RunRow> groups[4];
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    const std::string s = std::to_string(seed);
    std::string file = dir.file(fmt::format("encoder-s{}.pt", seed));
    json ae = base;
    ae["task"] = "autoencoder";
    ae["early_stopping"]["monitor"] = "val_loss";
    // The path as a JSON string: a bare path could parse as another JSON value.
    const std::string file_json = json(file).dump();
    const TrainConfig configs[] = {
        ctx.config(ae, {"training.seed=" + s, "name=pretrain-autoencoder-s" + s, "model.save_encoder_path=" + file_json}),
        ctx.config(base, {"training.seed=" + s, "name=pretrain-frozen-s" + s, "model.freeze_encoder=true",
                          "model.encoder_path=" + file_json}),
        ctx.config(base, {"training.seed=" + s, "name=pretrain-finetune-s" + s, "model.encoder_path=" + file_json}),
        ctx.config(base, {"training.seed=" + s, "name=pretrain-scratch-s" + s})};
    for (int i = 0; i < 4; ++i) {
      PretrainRun run = ctx.run(configs[i], PretrainRun{names[i], seed, {}}, fmt::format("{}, seed {}", names[i], seed));
      groups[i].push_back(run.run);
      result.runs.push_back(run);
    }
  }

  double e[4];
  for (int i = 0; i < 4; ++i) {
    PretrainSummary s{names[i], symbols[i], study::summarize(groups[i])};
    e[i] = s.stats.energy_j.mean;
    result.summary.push_back(s);
  }
  const double e_enc = e[0], e_frozen = e[1], e_ft = e[2], e_scratch = e[3];
  result.energies = PretrainEnergies{e_enc, e_frozen, e_ft, e_scratch};
  result.break_even_frozen = break_even_of(e_enc, e_scratch, e_frozen);
  result.break_even_finetune = break_even_of(e_enc, e_scratch, e_ft);

  // Cumulative energy after n downstream trainings, for a plot: pretraining pays E_enc once
  // and E_class per training; from scratch pays E_enc+class per training.
  double x_max = 0;
  for (double x : {result.break_even_frozen.reuses, result.break_even_finetune.reuses}) {
    if (std::isfinite(x)) x_max = std::max(x_max, x);
  }
  int n_max = std::clamp(static_cast<int>(std::ceil(1.5 * x_max)), 10, 100);
  for (int n = 0; n <= n_max; ++n) {
    result.cumulative.reuses.push_back(n);
    result.cumulative.pretrain_frozen_j.push_back(e_enc + n * e_frozen);
    result.cumulative.pretrain_finetune_j.push_back(e_enc + n * e_ft);
    result.cumulative.scratch_j.push_back(n * e_scratch);
  }
  const double freeze_saving = e_ft > 0 ? (e_ft - e_frozen) / e_ft : NAN;
  result.freeze_vs_finetune = FreezeVsFinetune{freeze_saving, e_frozen, e_ft};

  std::vector<std::string>& findings = result.header.findings;
  auto acc = [&](int i) {
    double a = result.summary[i].stats.best_val_accuracy.mean;
    return std::isfinite(a) ? fmt::format("{:.4f}", a) : std::string("unknown");
  };
  findings.push_back(fmt::format(
      "Pretraining the encoder cost E_enc = {:.1f} J; a classifier on it cost E_class = {:.1f} J frozen and {:.1f} J fine-tuned, "
      "against E_enc+class = {:.1f} J from scratch (best validation accuracy {} frozen, {} fine-tuned, {} from scratch).",
      e_enc, e_frozen, e_ft, e_scratch, acc(1), acc(2), acc(3)));
  findings.push_back(fmt::format("Pretraining pays for itself {} with a frozen encoder and {} with fine-tuning (Eq. 2).",
                                 result.break_even_frozen.text, result.break_even_finetune.text));
  if (std::isfinite(freeze_saving)) {
    findings.push_back(fmt::format("Freezing the pretrained encoder {} {:.1f}% of the classifier's training energy compared with fine-tuning.",
                                   freeze_saving >= 0 ? "saved" : "cost an extra", 100 * std::fabs(freeze_saving)));
  }

  ctx.finish(result.header, study::run_energy_parts(result.runs));
  ctx.store_result(result);
  return result;
}

}  // namespace powertrain
