// Checkpoints: the best model and its optimizer state, written atomically, loadable to
// resume or evaluate.
#include <cstdio>
#include <stdexcept>

#include "train/session.h"

namespace powertrain::train {

namespace {

// Model tensors are stored flat by their dotted names, so that loading can check every
// name and shape (Module::load would silently accept a tensor of another shape).
void write_model(torch::serialize::OutputArchive& archive, torch::nn::Module& m) {
  for (const auto& p : m.named_parameters()) archive.write(p.key(), p.value());
  for (const auto& b : m.named_buffers()) archive.write(b.key(), b.value(), /*is_buffer=*/true);
}

void read_model(torch::serialize::InputArchive& archive, torch::nn::Module& m, const std::string& path) {
  torch::NoGradGuard no_grad;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, loaded): checked first, copied after
  auto take = [&](const std::string& name, torch::Tensor dest, bool is_buffer) {
    torch::Tensor t;
    if (!archive.try_read(name, t, is_buffer)) {
      throw std::runtime_error("cannot load checkpoint " + path + " into this model: it has no tensor '" + name +
                               "' (was it saved from another model config?)");
    }
    if (t.sizes() != dest.sizes()) {
      throw std::runtime_error("cannot load checkpoint " + path + " into this model: " + name + " is " +
                               c10::str(t.sizes()) + " in the file but " + c10::str(dest.sizes()) + " in the model");
    }
    copies.emplace_back(dest, t);
  };
  for (const auto& p : m.named_parameters()) take(p.key(), p.value(), false);
  for (const auto& b : m.named_buffers()) take(b.key(), b.value(), true);
  for (auto& [dest, t] : copies) dest.copy_(t);
}

}  // namespace

void save_checkpoint(const std::string& path, Session& s, int epoch, double val_loss, double val_metric) {
  torch::serialize::OutputArchive root, model_archive, optim_archive;
  write_model(model_archive, *s.model);
  s.optimizer->save(optim_archive);
  root.write("model", model_archive);
  root.write("optimizer", optim_archive);
  root.write("epoch", torch::tensor(static_cast<int64_t>(epoch)));
  root.write("val_loss", torch::tensor(val_loss, torch::kFloat64));
  root.write("val_metric", torch::tensor(val_metric, torch::kFloat64));
  root.write("config", c10::IValue(train_config_json(s.cfg)));
  std::string tmp = path + ".tmp";
  try {
    root.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write checkpoint " + tmp + ": " + e.what_without_backtrace());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot move checkpoint into place at " + path);
  }
}

int load_checkpoint(const std::string& path, Session& s, bool with_optimizer) {
  torch::serialize::InputArchive root, model_archive, optim_archive;
  try {
    root.load_from(path);
    root.read("model", model_archive);
    read_model(model_archive, *s.model, path);
    if (with_optimizer) {
      root.read("optimizer", optim_archive);
      s.optimizer->load(optim_archive);
    }
    torch::Tensor epoch;
    root.read("epoch", epoch);
    return static_cast<int>(epoch.item<int64_t>());
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot load checkpoint " + path + " into this model: " + e.what_without_backtrace());
  }
}

}  // namespace powertrain::train
