// The pretraining study (research.md section 1, Eq. 2): pretrain an autoencoder once
// (E_enc), reuse its encoder for classifiers, frozen or fine-tuned (E_class each), against
// training encoder + classifier from scratch every time (E_enc+class). Pretraining pays for
// itself after x = E_enc / (E_enc+class - E_class) reuses.
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "study/common.h"

namespace powertrain {

namespace {
using study::dbl;
using study::json;
using study::num;

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

json break_even_json(double e_enc, double e_scratch, double e_class) {
  double x = break_even(e_enc, e_scratch, e_class);
  bool known = std::isfinite(e_enc) && std::isfinite(e_scratch) && std::isfinite(e_class);
  return {{"reuses", num(x)},
          {"saving_per_reuse_j", num(e_scratch - e_class)},
          {"text", !known ? "unknown (an energy is missing)" : std::isfinite(x) ? fmt::format("after {:.1f} reuses", x) : "never"}};
}
}  // namespace

nlohmann::json run_pretrain_study(const StudyOptions& opts, Store* store) {
  json inputs = {{"autoencoder_early_stopping", "validation loss"}, {"classifier_early_stopping", "validation accuracy"},
                 {"equation", "x = E_enc / (E_enc+class - E_class)"}};
  study::Context ctx("pretrain", opts, store, inputs);
  EncoderDir dir(opts.work_dir);
  json base = ctx.base_config();
  base["model"]["feature_dim"] = ctx.scale.feature_dim;

  std::vector<json> enc, frozen, finetune, scratch;
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    const std::string s = std::to_string(seed);
    std::string file = dir.file(fmt::format("encoder-s{}.pt", seed));
    json ae = base;
    ae["task"] = "autoencoder";
    ae["early_stopping"]["monitor"] = "val_loss";
    // The path as a JSON string: a bare path could parse as another JSON value.
    const std::string file_json = json(file).dump();
    TrainConfig c_enc = ctx.config(ae, {"training.seed=" + s, "name=pretrain-autoencoder-s" + s,
                                        "model.save_encoder_path=" + file_json});
    enc.push_back(ctx.run(c_enc, {{"variant", "autoencoder"}, {"seed", seed}}));

    TrainConfig c_frozen = ctx.config(base, {"training.seed=" + s, "name=pretrain-frozen-s" + s, "model.freeze_encoder=true",
                                             "model.encoder_path=" + file_json});
    frozen.push_back(ctx.run(c_frozen, {{"variant", "frozen"}, {"seed", seed}}));

    TrainConfig c_ft = ctx.config(base, {"training.seed=" + s, "name=pretrain-finetune-s" + s, "model.encoder_path=" + file_json});
    finetune.push_back(ctx.run(c_ft, {{"variant", "finetune"}, {"seed", seed}}));

    TrainConfig c_scratch = ctx.config(base, {"training.seed=" + s, "name=pretrain-scratch-s" + s});
    scratch.push_back(ctx.run(c_scratch, {{"variant", "scratch"}, {"seed", seed}}));
  }

  json summary = json::array();
  const char* names[] = {"autoencoder", "frozen", "finetune", "scratch"};
  const char* meaning[] = {"E_enc", "E_class (frozen)", "E_class (fine-tuned)", "E_enc+class"};
  std::vector<json>* groups[] = {&enc, &frozen, &finetune, &scratch};
  double e[4];
  json runs = json::array();
  for (int i = 0; i < 4; ++i) {
    json s = study::summarize(*groups[i]);
    s["variant"] = names[i];
    s["symbol"] = meaning[i];
    e[i] = dbl(s, "energy_j");
    summary.push_back(s);
  }
  for (int seed = 0; seed < ctx.seeds; ++seed) {
    for (int i = 0; i < 4; ++i) runs.push_back((*groups[i])[seed]);
  }
  const double e_enc = e[0], e_frozen = e[1], e_ft = e[2], e_scratch = e[3];
  json be = {{"frozen", break_even_json(e_enc, e_scratch, e_frozen)}, {"finetune", break_even_json(e_enc, e_scratch, e_ft)}};

  // Cumulative energy after n downstream trainings, for a plot: pretraining pays E_enc once
  // and E_class per training; from scratch pays E_enc+class per training.
  double x_max = 0;
  for (const char* k : {"frozen", "finetune"}) {
    double x = dbl(be[k], "reuses");
    if (std::isfinite(x)) x_max = std::max(x_max, x);
  }
  int n_max = std::clamp(static_cast<int>(std::ceil(1.5 * x_max)), 10, 100);
  json reuses = json::array(), c_frozen = json::array(), c_ft = json::array(), c_scratch = json::array();
  for (int n = 0; n <= n_max; ++n) {
    reuses.push_back(n);
    c_frozen.push_back(num(e_enc + n * e_frozen));
    c_ft.push_back(num(e_enc + n * e_ft));
    c_scratch.push_back(num(n * e_scratch));
  }
  json series = {{"reuses", reuses}, {"pretrain_frozen_j", c_frozen}, {"pretrain_finetune_j", c_ft}, {"scratch_j", c_scratch}};
  double freeze_saving = e_ft > 0 ? (e_ft - e_frozen) / e_ft : NAN;

  json findings = json::array();
  auto acc = [&](int i) {
    double a = dbl(summary[i], "best_val_accuracy");
    return std::isfinite(a) ? fmt::format("{:.4f}", a) : std::string("unknown");
  };
  findings.push_back(fmt::format(
      "Pretraining the encoder cost E_enc = {:.1f} J; a classifier on it cost E_class = {:.1f} J frozen and {:.1f} J fine-tuned, "
      "against E_enc+class = {:.1f} J from scratch (best validation accuracy {} frozen, {} fine-tuned, {} from scratch).",
      e_enc, e_frozen, e_ft, e_scratch, acc(1), acc(2), acc(3)));
  findings.push_back(fmt::format("Pretraining pays for itself {} with a frozen encoder and {} with fine-tuning (Eq. 2).",
                                 be["frozen"]["text"].get<std::string>(), be["finetune"]["text"].get<std::string>()));
  if (std::isfinite(freeze_saving)) {
    findings.push_back(fmt::format("Freezing the pretrained encoder {} {:.1f}% of the classifier's training energy compared with fine-tuning.",
                                   freeze_saving >= 0 ? "saved" : "cost an extra", 100 * std::fabs(freeze_saving)));
  }

  json result = ctx.header(inputs);
  result["feature_dim"] = ctx.scale.feature_dim;
  result["runs"] = runs;
  result["summary"] = summary;
  result["energies_j"] = {{"E_enc", num(e_enc)}, {"E_class_frozen", num(e_frozen)}, {"E_class_finetune", num(e_ft)},
                          {"E_enc_class", num(e_scratch)}};
  result["break_even"] = be;
  result["freeze_vs_finetune"] = {{"energy_saving_fraction", num(freeze_saving)},
                                  {"frozen_energy_j", num(e_frozen)}, {"finetune_energy_j", num(e_ft)}};
  result["cumulative"] = series;
  result["findings"] = findings;
  return ctx.finish(result);
}

}  // namespace powertrain
