// Private to train/: building the optimizer from its spec and driving its LR/momentum.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace powertrain::train {

struct OptimizerSpec {
  std::string type = "adam";     // sgd, adam, adamw
  double lr = 1e-3;
  double momentum = 0.9;         // sgd momentum; adam/adamw: beta1
  double beta2 = 0.999;          // adam/adamw
  bool nesterov = false;         // sgd only
  double weight_decay = 0.0;     // sgd/adam: L2 added to the gradient; adamw: decoupled
  double eps = 1e-8;
};

// Returns the names of the optimizer types.
std::vector<std::string> optimizer_types();

// Returns an optimizer over `params` (only those with requires_grad). Throws
// std::invalid_argument naming the field for impossible values (lr <= 0, nesterov
// without momentum, ...).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSpec& spec,
                                                        const std::vector<torch::Tensor>& params);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& opt, double lr);
// Sets SGD momentum or Adam/AdamW beta1 of every parameter group (NaN: leave as is).
void set_momentum(torch::optim::Optimizer& opt, double momentum);
// Returns the learning rate of the first parameter group.
double learning_rate(torch::optim::Optimizer& opt);

}  // namespace powertrain::train
