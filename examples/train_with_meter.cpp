// train_with_meter: your own LibTorch training loop, with energy per epoch from powertrain.
//
// It trains a small MLP on Fashion-MNIST (Debian's dataset-fashion-mnist) and wraps every
// epoch in a meter window. The only powertrain calls are the four marked "powertrain:".
//
//   build/examples/train_with_meter [--data DIR] [--epochs N] [--batch N] [--threads N] [--subset N]
#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "powertrain/energy/meter.h"

namespace {

// Reads an IDX file (gzip or plain) into a uint8 tensor of shape {n, rows*cols} or {n}.
torch::Tensor read_idx(const std::string& path, bool images) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path + " (install dataset-fashion-mnist or pass --data DIR)");
  auto read_u32 = [&](const char* what) {
    unsigned char b[4];
    if (gzread(f, b, 4) != 4) { gzclose(f); throw std::runtime_error(path + ": truncated header (" + what + ")"); }
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
  };
  uint32_t magic = read_u32("magic");
  if (magic != (images ? 0x803u : 0x801u)) { gzclose(f); throw std::runtime_error(path + ": not an IDX " + (images ? "image" : "label") + " file"); }
  int64_t n = read_u32("count");
  int64_t item = 1;
  if (images) { item = read_u32("rows"); item *= read_u32("cols"); }
  auto t = torch::empty({n * item}, torch::kUInt8);
  int64_t want = n * item;
  if (gzread(f, t.data_ptr<uint8_t>(), static_cast<unsigned>(want)) != want) {
    gzclose(f);
    throw std::runtime_error(path + ": truncated data");
  }
  gzclose(f);
  return images ? t.view({n, item}) : t;
}

int arg_int(int argc, char** argv, const char* name, int def) {
  for (int i = 1; i + 1 < argc; ++i) if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return def;
}

std::string arg_str(int argc, char** argv, const char* name, const char* def) {
  for (int i = 1; i + 1 < argc; ++i) if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return def;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string data = arg_str(argc, argv, "--data", "/usr/share/datasets/fashion-mnist");
  int epochs = arg_int(argc, argv, "--epochs", 2);
  int batch = arg_int(argc, argv, "--batch", 128);
  int subset = arg_int(argc, argv, "--subset", 0);
  int threads = arg_int(argc, argv, "--threads", static_cast<int>(std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);  // libtorch would use 1 thread here otherwise
  torch::manual_seed(0);
  torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;

  auto x_train = read_idx(data + "/train-images-idx3-ubyte.gz", true).to(torch::kFloat32).div_(255.0);
  auto y_train = read_idx(data + "/train-labels-idx1-ubyte.gz", false).to(torch::kInt64);
  auto x_test = read_idx(data + "/t10k-images-idx3-ubyte.gz", true).to(torch::kFloat32).div_(255.0).to(device);
  auto y_test = read_idx(data + "/t10k-labels-idx1-ubyte.gz", false).to(torch::kInt64).to(device);
  if (subset > 0 && subset < x_train.size(0)) { x_train = x_train.narrow(0, 0, subset); y_train = y_train.narrow(0, 0, subset); }
  x_train = x_train.to(device);
  y_train = y_train.to(device);

  torch::nn::Sequential model(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 10));
  model->to(device);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));

  // powertrain: find the sensors (NVML, RAPL or the estimate) and start the 10 Hz sampler.
  // Windows end after the device finished its queued work (synchronise on CUDA).
  powertrain::Meter meter(powertrain::discover_sources(powertrain::discover_options_from_env({})),
                          powertrain::MeterOptions().interval_s(0.1).on_edge([device] {
                            if (device.is_cuda()) torch::cuda::synchronize();
                          }));
  meter.start();

  std::printf("training an MLP on %lld Fashion-MNIST images, %d threads, %s\n",
              static_cast<long long>(x_train.size(0)), threads, device.is_cuda() ? "CUDA" : "CPU");
  std::printf("%5s %10s %9s %8s %12s  %s\n", "epoch", "loss", "test acc", "time", "energy", "provenance");
  double total_j = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    auto window = meter.begin("epoch " + std::to_string(epoch));  // powertrain: open the epoch window
    model->train();
    auto perm = torch::randperm(x_train.size(0), torch::TensorOptions().dtype(torch::kInt64).device(device));
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i < x_train.size(0); i += batch) {
      auto idx = perm.narrow(0, i, std::min<int64_t>(batch, x_train.size(0) - i));
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(x_train.index_select(0, idx)), y_train.index_select(0, idx));
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    model->eval();
    double acc;
    {
      torch::NoGradGuard no_grad;
      acc = model->forward(x_test).argmax(1).eq(y_test).to(torch::kFloat32).mean().item<double>();
    }
    powertrain::Measurement m = meter.end(window);  // powertrain: close it, get J and provenance
    total_j += m.total_energy_j();
    std::printf("%5d %10.4f %8.2f%% %7.2fs %10.1f J  %s\n", epoch, loss_sum / batches, 100 * acc, m.duration_s,
                m.total_energy_j(), powertrain::provenance_name(m.total_provenance()));
  }
  meter.stop();  // powertrain: stop sampling
  std::printf("total %.1f J over %d epochs\n", total_j, epochs);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_with_meter: %s\n", e.what());
  return 1;
}
