// optimizer.cpp: builds SGD / Adam / AdamW from an OptimizerSpec and sets their LR and momentum.
//
// The per-group options are cast to the concrete type to reach momentum (SGD) and betas
// (Adam, AdamW); the same calls compile against LibTorch 1.13 and 2.x.
#include "train/optim/optimizer.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>

namespace powertrain::train {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument(what);  // callers add the "optimizer" context
}

std::string num(double v) { return std::to_string(v); }

void validate(const OptimizerSpec& s) {
  if (s.type != "sgd" && s.type != "adam" && s.type != "adamw")
    invalid("type must be one of sgd, adam, adamw (got '" + s.type + "')");
  if (!std::isfinite(s.lr) || s.lr <= 0) invalid("lr must be a finite number > 0 (got " + num(s.lr) + ")");
  if (!std::isfinite(s.weight_decay) || s.weight_decay < 0)
    invalid("weight_decay must be >= 0 (got " + num(s.weight_decay) + ")");
  if (s.type == "sgd") {
    if (!(s.momentum >= 0 && s.momentum < 1))
      invalid("momentum must be in [0, 1) for sgd (got " + num(s.momentum) + ")");
    if (s.nesterov && s.momentum <= 0) invalid("nesterov requires momentum > 0 (got momentum " + num(s.momentum) + ")");
  } else {
    if (!(s.momentum >= 0 && s.momentum < 1))
      invalid("momentum (beta1) must be in [0, 1) for " + s.type + " (got " + num(s.momentum) + ")");
    if (!(s.beta2 >= 0 && s.beta2 < 1)) invalid("beta2 must be in [0, 1) (got " + num(s.beta2) + ")");
    if (!std::isfinite(s.eps) || s.eps <= 0) invalid("eps must be > 0 (got " + num(s.eps) + ")");
    if (s.nesterov) invalid("nesterov is for sgd only (type is " + s.type + ")");
  }
}

}  // namespace

std::vector<std::string> optimizer_types() { return {"sgd", "adam", "adamw"}; }

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSpec& spec,
                                                        const std::vector<torch::Tensor>& params) {
  validate(spec);
  std::vector<torch::Tensor> trainable;
  for (const auto& p : params)
    if (p.defined() && p.requires_grad()) trainable.push_back(p);
  if (trainable.empty()) invalid("no parameter requires a gradient: nothing to optimize");

  if (spec.type == "sgd") {
    auto o = torch::optim::SGDOptions(spec.lr)
                 .momentum(spec.momentum)
                 .dampening(0)
                 .nesterov(spec.nesterov)
                 .weight_decay(spec.weight_decay);
    return std::make_unique<torch::optim::SGD>(trainable, o);
  }
  if (spec.type == "adam") {
    auto o = torch::optim::AdamOptions(spec.lr)
                 .betas(std::make_tuple(spec.momentum, spec.beta2))
                 .eps(spec.eps)
                 .weight_decay(spec.weight_decay);
    return std::make_unique<torch::optim::Adam>(trainable, o);
  }
  auto o = torch::optim::AdamWOptions(spec.lr)
               .betas(std::make_tuple(spec.momentum, spec.beta2))
               .eps(spec.eps)
               .weight_decay(spec.weight_decay);
  return std::make_unique<torch::optim::AdamW>(trainable, o);
}

void set_learning_rate(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

void set_momentum(torch::optim::Optimizer& opt, double momentum) {
  if (std::isnan(momentum)) return;
  for (auto& group : opt.param_groups()) {
    auto& options = group.options();
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) {
      sgd->momentum(momentum);
    } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) {
      adam->betas(std::make_tuple(momentum, std::get<1>(adam->betas())));
    } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) {
      adamw->betas(std::make_tuple(momentum, std::get<1>(adamw->betas())));
    } else {
      throw std::invalid_argument("set_momentum supports SGD, Adam and AdamW only");
    }
  }
}

double learning_rate(torch::optim::Optimizer& opt) {
  auto& groups = opt.param_groups();
  if (groups.empty()) throw std::logic_error("learning_rate: the optimizer has no parameter group");
  return groups.front().options().get_lr();
}

}  // namespace powertrain::train
