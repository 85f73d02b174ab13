// Time and energy of single layer types at matched sizes (conv, linear, ReLU, pooling,
// batch norm): each timed loop is one meter window; energy per pass = window energy / passes.
#include "powertrain/train/layer_energy.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "train/compat.h"

namespace powertrain {

namespace {

// One layer under test: its module (for the parameters), how to call it, and the input it
// takes (the shared x, or x viewed channels-last for the linear layer).
struct BenchLayer {
  std::string description;
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  bool channels_last_input = false;
};

BenchLayer make_layer(const std::string& layer, int64_t c) {
  BenchLayer b;
  if (layer == "conv3x3") {
    torch::nn::Conv2d m(torch::nn::Conv2dOptions(c, c, 3).stride(1).padding(1).bias(true));
    b.description = fmt::format("Conv2d({0}->{0}, 3x3, stride 1, padding 1)", c);
    b.module = m.ptr();
    b.forward = [m](const torch::Tensor& t) mutable { return m->forward(t); };
  } else if (layer == "linear") {
    torch::nn::Linear m(torch::nn::LinearOptions(c, c).bias(true));
    b.description = fmt::format("Linear({0}->{0}) at every position (channels-last input)", c);
    b.module = m.ptr();
    b.forward = [m](const torch::Tensor& t) mutable { return m->forward(t); };
    b.channels_last_input = true;
  } else if (layer == "relu") {
    torch::nn::ReLU m;
    b.description = "ReLU";
    b.module = m.ptr();
    b.forward = [m](const torch::Tensor& t) mutable { return m->forward(t); };
  } else if (layer == "maxpool3x3") {
    torch::nn::MaxPool2d m(torch::nn::MaxPool2dOptions(3).stride(1).padding(1));
    b.description = "MaxPool2d(3x3, stride 1, padding 1)";
    b.module = m.ptr();
    b.forward = [m](const torch::Tensor& t) mutable { return m->forward(t); };
  } else if (layer == "batchnorm") {
    torch::nn::BatchNorm2d m(torch::nn::BatchNorm2dOptions(c).affine(true));
    b.description = fmt::format("BatchNorm2d({}), training mode", c);
    b.module = m.ptr();
    b.forward = [m](const torch::Tensor& t) mutable { return m->forward(t); };
  } else {
    throw LayerBenchError("layer '" + layer + "' is unknown; use conv3x3, linear, relu, maxpool3x3 or batchnorm");
  }
  return b;
}

torch::Device pick_device(const std::string& want) {
  if (want == "cpu") return torch::kCPU;
  bool cuda = train::compat::cuda_available();
  if (want == "auto") return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (want.rfind("cuda", 0) != 0) throw LayerBenchError("device '" + want + "' is unknown; use cpu, cuda, cuda:N or auto");
  if (!cuda) throw std::runtime_error("device " + want + ": no CUDA device is available to this LibTorch build; use cpu or auto");
  return torch::Device(want);
}

// LibTorch's and OpenBLAS's thread counts for the measurement, restored on destruction.
// OpenBLAS gets 1 thread when LibTorch has several (the two pools fight otherwise; see
// set_blas_threads in session.cpp); its functions are looked up in the loaded BLAS.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : prev_torch_(torch::get_num_threads()) {
    blas_get_ = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    blas_set_ = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (blas_get_ && blas_set_) {
      prev_blas_ = blas_get_();
      blas_set_(threads > 1 ? 1 : threads);
    }
    torch::set_num_threads(threads);
  }
  ~ThreadScope() {
    torch::set_num_threads(prev_torch_);
    if (blas_set_ && prev_blas_ > 0) blas_set_(prev_blas_);
  }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int prev_torch_;
  int prev_blas_ = 0;
  int (*blas_get_)() = nullptr;
  void (*blas_set_)(int) = nullptr;
};

void check_spec(const LayerBenchSpec& s) {
  auto positive = [](int64_t v, const char* field) {
    if (v < 1) throw LayerBenchError(fmt::format("layer bench {} = {}: must be at least 1", field, v));
  };
  positive(s.batch, "batch");
  positive(s.channels, "channels");
  positive(s.height, "height");
  positive(s.width, "width");
  positive(s.repetitions, "repetitions");
  if (s.warmup < 0) throw LayerBenchError(fmt::format("layer bench warmup = {}: must be 0 or more", s.warmup));
  if (s.threads < 0) throw LayerBenchError(fmt::format("layer bench threads = {}: must be 1 or more (0 = min(2, CPUs))", s.threads));
  if (!(s.min_window_s >= 0) || !std::isfinite(s.min_window_s)) {
    throw LayerBenchError(fmt::format("layer bench min_window_s = {}: must be a finite number of seconds >= 0", s.min_window_s));
  }
  for (const auto& l : s.layers) layer_parameter_count(l, s);  // throws for an unknown name
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `pass` in chunks of spec.repetitions until the loop has lasted min_window_s, inside
// one meter window named `window`; returns the loop's time and the window's energy.
LayerPhaseCost timed_loop(const LayerBenchSpec& spec, const torch::Device& device, Meter* meter,
                          const std::string& window, const std::function<void()>& pass) {
  train::compat::synchronize(device);
  Meter::WindowId w = meter ? meter->begin(window) : -1;
  LayerPhaseCost c;
  Measurement m;
  try {
    auto t0 = std::chrono::steady_clock::now();
    int64_t n = 0;
    double elapsed_s = 0;
    do {
      for (int i = 0; i < spec.repetitions; ++i) pass();
      n += spec.repetitions;
      train::compat::synchronize(device);  // queued kernels belong to this loop
      elapsed_s = seconds_since(t0);
    } while (elapsed_s < spec.min_window_s);
    c.repetitions = n;
    c.time_s = elapsed_s;
    if (meter) m = meter->end(w);
  } catch (...) {
    if (meter) {
      try { meter->end(w); } catch (...) {}  // the pass's error is the one to report
    }
    throw;
  }
  c.time_per_pass_s = c.time_s / static_cast<double>(c.repetitions);
  if (meter) {
    c.window_s = m.duration_s;
    c.energy_j = m.total_energy_j();
    c.energy_provenance = m.total_provenance();
    if (std::isfinite(c.energy_j)) {
      c.energy_per_pass_j = c.energy_j / static_cast<double>(c.repetitions);
      if (c.window_s > 0) c.avg_power_w = c.energy_j / c.window_s;
    }
  }
  return c;
}

}  // namespace

std::vector<std::string> layer_bench_types() { return {"conv3x3", "linear", "relu", "maxpool3x3", "batchnorm"}; }

int64_t layer_flops_forward(const std::string& layer, const LayerBenchSpec& s) {
  const int64_t n = s.batch * s.channels * s.height * s.width;  // output values (= input values)
  const int64_t c = s.channels;
  if (layer == "conv3x3") return n * 18 * c;
  if (layer == "linear") return n * 2 * c;
  if (layer == "relu") return n;
  if (layer == "maxpool3x3") return 8 * n;
  if (layer == "batchnorm") return 8 * n;
  throw LayerBenchError("layer '" + layer + "' is unknown; use conv3x3, linear, relu, maxpool3x3 or batchnorm");
}

int64_t layer_parameter_count(const std::string& layer, const LayerBenchSpec& s) {
  const int64_t c = s.channels;
  if (layer == "conv3x3") return 9 * c * c + c;
  if (layer == "linear") return c * c + c;
  if (layer == "batchnorm") return 2 * c;
  if (layer == "relu" || layer == "maxpool3x3") return 0;
  throw LayerBenchError("layer '" + layer + "' is unknown; use conv3x3, linear, relu, maxpool3x3 or batchnorm");
}

std::vector<LayerCost> measure_layer_costs(const LayerBenchSpec& spec, Meter* meter) {
  check_spec(spec);
  const torch::Device device = pick_device(spec.device);
  const int threads = spec.threads > 0 ? spec.threads
                                       : static_cast<int>(std::min(2u, std::max(1u, std::thread::hardware_concurrency())));
  ThreadScope thread_scope(threads);
  // As the trainer does (keep_freed_memory_for_reuse in session.cpp): freed activation
  // buffers stay in the heap instead of being unmapped and page-faulted in again every
  // pass, so a layer costs here what it costs inside a training step.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  torch::manual_seed(spec.seed);

  const std::vector<std::string> layers = spec.layers.empty() ? layer_bench_types() : spec.layers;
  // The one input every layer sees; the linear layer sees the same values channels-last.
  const torch::Tensor x = torch::rand({spec.batch, spec.channels, spec.height, spec.width}).to(device);
  const torch::Tensor x_last = x.permute({0, 2, 3, 1}).contiguous();

  std::vector<LayerCost> costs;
  for (const auto& name : layers) {
    BenchLayer b = make_layer(name, spec.channels);
    b.module->to(device);
    b.module->train();
    std::vector<torch::Tensor> params = b.module->parameters();
    const torch::Tensor& base = b.channels_last_input ? x_last : x;
    torch::Tensor in = base.detach().clone().requires_grad_(true);
    torch::Tensor grad_out;

    LayerCost c;
    c.layer = name;
    c.description = b.description;
    c.input_shape = in.sizes().vec();
    c.device = device.str();
    c.threads = threads;
    c.flops_forward = layer_flops_forward(name, spec);
    for (const auto& p : params) c.parameters += p.numel();

    // One pass: forward, then backward of a ones gradient into the input and the weights.
    // Gradients are reset to none first (as zero_grad(set_to_none) does), so that every
    // pass allocates and writes them instead of accumulating.
    auto forward_backward = [&]() {
      for (auto& p : params) p.mutable_grad().reset();
      in.mutable_grad().reset();
      torch::Tensor out = b.forward(in);
      out.backward(grad_out);
    };
    {
      torch::NoGradGuard no_grad;
      torch::Tensor out = b.forward(in);
      c.output_shape = out.sizes().vec();
      grad_out = torch::ones_like(out);
    }
    const torch::Tensor in_nograd = in.detach();
    auto forward_only = [&]() {
      torch::NoGradGuard no_grad;
      torch::Tensor out = b.forward(in_nograd);
    };
    // Both paths warm up: without autograd LibTorch may pick other kernels (and set them
    // up on first use) than with it.
    for (int i = 0; i < spec.warmup; ++i) {
      forward_only();
      forward_backward();
    }

    c.forward = timed_loop(spec, device, meter, "layer " + name + " forward", forward_only);
    c.forward_backward = timed_loop(spec, device, meter, "layer " + name + " forward+backward", forward_backward);
    if (c.forward.time_per_pass_s > 0) {
      c.forward_gflop_per_s = static_cast<double>(c.flops_forward) / c.forward.time_per_pass_s / 1e9;
    }
    costs.push_back(std::move(c));
  }

  double time_sum = 0, energy_sum = 0;
  for (const auto& c : costs) {
    time_sum += c.forward_backward.time_per_pass_s;
    energy_sum += c.forward_backward.energy_per_pass_j;  // NaN when any is unknown
  }
  for (auto& c : costs) {
    if (time_sum > 0) c.time_share = c.forward_backward.time_per_pass_s / time_sum;
    if (std::isfinite(energy_sum) && energy_sum > 0) c.energy_share = c.forward_backward.energy_per_pass_j / energy_sum;
  }
  return costs;
}

}  // namespace powertrain
