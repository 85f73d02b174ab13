// Checks src/train/optim/ (optimizer factory, LR/momentum setters, loss scaler) and
// src/train/compat.h (autocast guard and support rules) on the CPU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

#include "train/compat.h"
#include "train/optim/loss_scaler.h"
#include "train/optim/optimizer.h"

namespace powertrain::train {
namespace {

torch::Tensor param(float value, int64_t n = 3) {
  return torch::full({n}, value, torch::dtype(torch::kFloat32).requires_grad(true));
}

// One optimizer step on `p` with a zero gradient.
void step_with_zero_grad(torch::optim::Optimizer& opt, torch::Tensor& p) {
  p.mutable_grad() = torch::zeros_like(p);
  opt.step();
}

void expect_invalid(const OptimizerSpec& spec, const std::string& field) {
  try {
    make_optimizer(spec, {param(1.0f)});
    ADD_FAILURE() << "no exception, expected one naming " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(OptimTest, BuildsEachTypeWithItsOptions) {
  OptimizerSpec spec;
  spec.type = "sgd";
  spec.lr = 0.1;
  spec.momentum = 0.9;
  spec.nesterov = true;
  spec.weight_decay = 0.01;
  auto sgd = make_optimizer(spec, {param(1.0f)});
  auto* s = dynamic_cast<torch::optim::SGD*>(sgd.get());
  ASSERT_NE(s, nullptr);
  auto& so = static_cast<torch::optim::SGDOptions&>(s->param_groups()[0].options());
  EXPECT_DOUBLE_EQ(so.lr(), 0.1);
  EXPECT_DOUBLE_EQ(so.momentum(), 0.9);
  EXPECT_TRUE(so.nesterov());
  EXPECT_DOUBLE_EQ(so.dampening(), 0.0);
  EXPECT_DOUBLE_EQ(so.weight_decay(), 0.01);

  spec = OptimizerSpec{};
  spec.type = "adam";
  spec.momentum = 0.8;
  spec.beta2 = 0.99;
  spec.eps = 1e-6;
  auto adam = make_optimizer(spec, {param(1.0f)});
  auto* a = dynamic_cast<torch::optim::Adam*>(adam.get());
  ASSERT_NE(a, nullptr);
  auto& ao = static_cast<torch::optim::AdamOptions&>(a->param_groups()[0].options());
  EXPECT_DOUBLE_EQ(std::get<0>(ao.betas()), 0.8);
  EXPECT_DOUBLE_EQ(std::get<1>(ao.betas()), 0.99);
  EXPECT_DOUBLE_EQ(ao.eps(), 1e-6);

  spec.type = "adamw";
  auto adamw = make_optimizer(spec, {param(1.0f)});
  EXPECT_NE(dynamic_cast<torch::optim::AdamW*>(adamw.get()), nullptr);
  EXPECT_EQ(dynamic_cast<torch::optim::Adam*>(adamw.get()), nullptr);
  EXPECT_EQ(optimizer_types(), (std::vector<std::string>{"sgd", "adam", "adamw"}));
}

TEST(OptimTest, OnlyParametersThatRequireGradGoIn) {
  auto frozen = torch::ones({2});
  auto opt = make_optimizer(OptimizerSpec{}, {param(1.0f), frozen, param(2.0f)});
  ASSERT_EQ(opt->param_groups().size(), 1u);
  EXPECT_EQ(opt->param_groups()[0].params().size(), 2u);
  EXPECT_THROW(make_optimizer(OptimizerSpec{}, {frozen}), std::invalid_argument);
}

TEST(OptimTest, SgdWeightDecayIsL2OnTheGradient) {
  OptimizerSpec spec;
  spec.type = "sgd";
  spec.lr = 0.1;
  spec.momentum = 0.9;
  spec.weight_decay = 0.5;
  auto p = param(2.0f);
  auto opt = make_optimizer(spec, {p});
  step_with_zero_grad(*opt, p);
  // d = 0 + 0.5 x 2 = 1; first momentum step uses d itself: p = 2 - 0.1 x 1.
  EXPECT_TRUE(torch::allclose(p, torch::full({3}, 1.9f)));
}

TEST(OptimTest, AdamWDecaysDecoupledAndAdamAddsL2) {
  OptimizerSpec spec;
  spec.lr = 0.01;
  spec.weight_decay = 0.1;

  spec.type = "adamw";
  auto pw = param(2.0f);
  auto adamw = make_optimizer(spec, {pw});
  step_with_zero_grad(*adamw, pw);
  // Zero gradient: only the decay acts, p x (1 - lr x wd) = 2 x 0.999.
  EXPECT_NEAR(pw[0].item<float>(), 2.0 * (1.0 - 0.01 * 0.1), 1e-6);

  spec.type = "adam";
  auto pa = param(2.0f);
  auto adam = make_optimizer(spec, {pa});
  step_with_zero_grad(*adam, pa);
  // The L2 term makes the gradient 0.1 x 2 = 0.2; Adam's first step moves by about lr.
  EXPECT_NEAR(pa[0].item<float>(), 2.0 - 0.01, 1e-5);
  EXPECT_GT(std::abs(pa[0].item<float>() - pw[0].item<float>()), 1e-3);

  // No weight decay, zero gradient: AdamW leaves the parameter alone.
  spec.type = "adamw";
  spec.weight_decay = 0.0;
  auto p0 = param(2.0f);
  auto plain = make_optimizer(spec, {p0});
  step_with_zero_grad(*plain, p0);
  EXPECT_FLOAT_EQ(p0[0].item<float>(), 2.0f);
}

TEST(OptimTest, InvalidSpecsThrowNamingTheField) {
  OptimizerSpec s;
  s.type = "rmsprop";
  expect_invalid(s, "type");
  expect_invalid(s, "sgd, adam, adamw");
  s = OptimizerSpec{};
  s.lr = 0;
  expect_invalid(s, "lr");
  s = OptimizerSpec{};
  s.type = "sgd";
  s.momentum = 0;
  s.nesterov = true;
  expect_invalid(s, "nesterov");
  s = OptimizerSpec{};
  s.weight_decay = -1;
  expect_invalid(s, "weight_decay");
  s = OptimizerSpec{};
  s.beta2 = 1.0;
  expect_invalid(s, "beta2");
  s = OptimizerSpec{};
  s.momentum = 1.5;
  expect_invalid(s, "momentum");
  s = OptimizerSpec{};
  s.eps = 0;
  expect_invalid(s, "eps");
}

TEST(OptimTest, SetLearningRateAndMomentumChangeEveryGroup) {
  for (const std::string type : {"sgd", "adam", "adamw"}) {
    OptimizerSpec spec;
    spec.type = type;
    spec.lr = 0.1;
    spec.momentum = 0.9;
    spec.beta2 = 0.99;
    auto opt = make_optimizer(spec, {param(1.0f)});
    opt->add_param_group(torch::optim::OptimizerParamGroup(std::vector<torch::Tensor>{param(2.0f)}));
    ASSERT_EQ(opt->param_groups().size(), 2u) << type;

    set_learning_rate(*opt, 0.5);
    set_momentum(*opt, 0.8);
    EXPECT_DOUBLE_EQ(learning_rate(*opt), 0.5);
    set_momentum(*opt, NAN);  // leaves it as is
    for (auto& g : opt->param_groups()) {
      EXPECT_DOUBLE_EQ(g.options().get_lr(), 0.5) << type;
      if (type == "sgd") {
        EXPECT_DOUBLE_EQ(static_cast<torch::optim::SGDOptions&>(g.options()).momentum(), 0.8);
      } else if (type == "adam") {
        auto betas = static_cast<torch::optim::AdamOptions&>(g.options()).betas();
        EXPECT_DOUBLE_EQ(std::get<0>(betas), 0.8);
        EXPECT_DOUBLE_EQ(std::get<1>(betas), 0.99);
      } else {
        auto betas = static_cast<torch::optim::AdamWOptions&>(g.options()).betas();
        EXPECT_DOUBLE_EQ(std::get<0>(betas), 0.8);
        EXPECT_DOUBLE_EQ(std::get<1>(betas), 0.99);
      }
    }
  }
}

TEST(OptimTest, TheNewLearningRateIsUsedByTheNextStep) {
  OptimizerSpec spec;
  spec.type = "sgd";
  spec.lr = 1.0;
  spec.momentum = 0.0;
  auto p = param(1.0f);
  auto opt = make_optimizer(spec, {p});
  set_learning_rate(*opt, 0.25);
  p.mutable_grad() = torch::ones_like(p);
  opt->step();
  EXPECT_FLOAT_EQ(p[0].item<float>(), 0.75f);
}

TEST(LossScalerTest, ScalesTheLossAndUnscalesTheGradients) {
  LossScalerSpec spec;
  spec.init_scale = 4.0;
  LossScaler scaler(spec);
  EXPECT_TRUE(scaler.enabled());
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 4.0);

  auto p = param(1.0f);
  auto no_grad = param(1.0f);
  auto loss = (p * torch::tensor({3.0f, -2.0f, 0.5f})).sum();
  auto scaled = scaler.scale(loss);
  EXPECT_FLOAT_EQ(scaled.item<float>(), 4.0f * loss.item<float>());
  scaled.backward();
  EXPECT_TRUE(torch::allclose(p.grad(), torch::tensor({12.0f, -8.0f, 2.0f})));
  EXPECT_FALSE(scaler.unscale_and_check({p, no_grad}));
  EXPECT_TRUE(torch::allclose(p.grad(), torch::tensor({3.0f, -2.0f, 0.5f})));
  EXPECT_FALSE(no_grad.grad().defined());
}

TEST(LossScalerTest, GrowsAfterGrowthIntervalCleanSteps) {
  LossScalerSpec spec;
  spec.init_scale = 8.0;
  spec.growth_interval = 3;
  LossScaler scaler(spec);
  scaler.update(false);
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 8.0);
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 16.0);
  for (int i = 0; i < 3; ++i) scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 32.0);
  EXPECT_EQ(scaler.skipped_steps(), 0);
}

TEST(LossScalerTest, BacksOffOnInfOrNanAndCountsSkippedSteps) {
  LossScalerSpec spec;
  spec.init_scale = 8.0;
  spec.growth_interval = 2;
  LossScaler scaler(spec);

  auto p = param(1.0f);
  auto q = param(1.0f);
  p.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::infinity(), 2.0f});
  q.mutable_grad() = torch::ones({3});
  bool found = scaler.unscale_and_check({p, q});
  EXPECT_TRUE(found);
  scaler.update(found);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 4.0);
  EXPECT_EQ(scaler.skipped_steps(), 1);

  p.mutable_grad() = torch::ones({3});
  q.mutable_grad() = torch::tensor({std::nanf(""), 1.0f, 1.0f});
  found = scaler.unscale_and_check({p, q});
  EXPECT_TRUE(found);
  scaler.update(found);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 2.0);
  EXPECT_EQ(scaler.skipped_steps(), 2);

  // A clean step after a backoff starts the growth count again.
  scaler.update(false);
  scaler.update(true);
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 1.0);
  scaler.update(false);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 2.0);
  EXPECT_EQ(scaler.skipped_steps(), 3);
}

TEST(LossScalerTest, DisabledIsATransparentNoOp) {
  LossScalerSpec spec;
  spec.enabled = false;
  LossScaler scaler(spec);
  EXPECT_FALSE(scaler.enabled());
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 1.0);
  auto loss = torch::tensor(2.5f);
  EXPECT_TRUE(scaler.scale(loss).is_same(loss));

  auto p = param(1.0f);
  p.mutable_grad() = torch::tensor({8.0f, std::numeric_limits<float>::infinity(), 1.0f});
  EXPECT_FALSE(scaler.unscale_and_check({p}));
  EXPECT_FLOAT_EQ(p.grad()[0].item<float>(), 8.0f);  // untouched
  scaler.update(true);
  EXPECT_DOUBLE_EQ(scaler.current_scale(), 1.0);
  EXPECT_EQ(scaler.skipped_steps(), 0);
}

TEST(LossScalerTest, InvalidSpecsThrowNamingTheField) {
  auto expect_invalid = [](const LossScalerSpec& s, const std::string& field) {
    try {
      LossScaler scaler(s);
      ADD_FAILURE() << "no exception, expected one naming " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  LossScalerSpec s;
  s.init_scale = 0;
  expect_invalid(s, "init_scale");
  s = LossScalerSpec{};
  s.growth_factor = 1.0;
  expect_invalid(s, "growth_factor");
  s = LossScalerSpec{};
  s.backoff_factor = 1.0;
  expect_invalid(s, "backoff_factor");
  s = LossScalerSpec{};
  s.growth_interval = 0;
  expect_invalid(s, "growth_interval");
}

TEST(AutocastTest, CpuBf16GuardCastsMatmulAndRestoresOnExit) {
  const torch::Device cpu(torch::kCPU);
  auto a = torch::randn({4, 4});
  auto b = torch::randn({4, 4});
  ASSERT_FALSE(compat::detail::autocast_enabled(c10::DeviceType::CPU));
  const auto dtype_before = compat::detail::autocast_dtype(c10::DeviceType::CPU);
  {
    compat::AutocastGuard guard(cpu, torch::kBFloat16, true);
    EXPECT_TRUE(guard.active());
    EXPECT_TRUE(compat::detail::autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
    {
      compat::AutocastGuard inner(cpu, torch::kBFloat16, true);
      EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
    }
    // The outer region is still on after the inner one ends.
    EXPECT_TRUE(compat::detail::autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_FALSE(compat::detail::autocast_enabled(c10::DeviceType::CPU));
  EXPECT_EQ(compat::detail::autocast_dtype(c10::DeviceType::CPU), dtype_before);
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat32);
}

TEST(AutocastTest, DisabledGuardChangesNothing) {
  const torch::Device cpu(torch::kCPU);
  auto a = torch::randn({2, 2});
  {
    compat::AutocastGuard guard(cpu, torch::kFloat32, false);  // any dtype when disabled
    EXPECT_FALSE(guard.active());
    EXPECT_FALSE(compat::detail::autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kFloat32);
  }
  EXPECT_THROW(compat::AutocastGuard(cpu, torch::kFloat32, true), std::invalid_argument);
  EXPECT_FALSE(compat::detail::autocast_enabled(c10::DeviceType::CPU));
}

TEST(AutocastTest, SupportRules) {
  const torch::Device cpu(torch::kCPU);
  std::string why;
  EXPECT_FALSE(compat::autocast_supported(cpu, torch::kHalf, &why));
  EXPECT_EQ(why,
            "fp16 mixed precision needs a CUDA GPU: LibTorch's CPU autocast supports bf16 only; "
            "use precision bf16 or fp32");
  EXPECT_TRUE(compat::autocast_supported(cpu, torch::kBFloat16, &why));
  EXPECT_FALSE(compat::autocast_supported(cpu, torch::kFloat32, &why));
  EXPECT_FALSE(compat::autocast_supported(cpu, torch::kHalf));  // `why` is optional
  if (!compat::cuda_available()) {
    EXPECT_EQ(compat::cuda_device_count(), 0);
    why.clear();
    EXPECT_FALSE(compat::autocast_supported(torch::Device(torch::kCUDA), torch::kHalf, &why));
    EXPECT_NE(why.find("CUDA"), std::string::npos) << why;
  } else {
    EXPECT_TRUE(compat::autocast_supported(torch::Device(torch::kCUDA), torch::kHalf, &why));
  }
}

TEST(AutocastTest, SynchronizeIsANoOpOnCpu) {
  EXPECT_NO_THROW(compat::synchronize(torch::Device(torch::kCPU)));
  EXPECT_FALSE(compat::torch_version().empty());
}

}  // namespace
}  // namespace powertrain::train
