// Setting up one training (data, device, model, optimizer, precision) and the loss and
// evaluation steps shared by the trainer and the LR range test.
#include "train/session.h"

#include <dirent.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/stat.h>
#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "powertrain/energy/power_limit.h"
#include "train/compat.h"
#include "train/optim/optimizer.h"

namespace powertrain::train {

namespace {

bool is_directory(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// PAMAP2: a directory means every *.dat file in it (sorted), a file means that file.
std::vector<std::string> pamap2_files(const std::string& path) {
  if (!is_directory(path)) return {path};
  std::vector<std::string> files;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".dat") == 0) files.push_back(path + "/" + n);
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw DataError("no PAMAP2 .dat files in " + path + " (data.path must name a .dat file or a directory of them)");
  return files;
}

}  // namespace

Splits load_splits(const DataConfig& d) {
  Dataset pool, test;
  if (d.format == "idx") {
    pool = load_idx_dir(d.path, "train");
    test = load_idx_dir(d.path, "test");
  } else if (d.format == "cifar10") {
    pool = load_cifar10(d.path, "train");
    test = load_cifar10(d.path, "test");
  } else if (d.format == "pamap2") {
    pool = load_pamap2(pamap2_files(d.path), d.window, d.stride);
  } else {
    pool = load_csv(d.path, d.label_column);
    if (!d.test_path.empty()) test = load_csv(d.test_path, d.label_column);
  }
  SplitSpec spec;
  spec.val_fraction = d.val_fraction;
  spec.test_fraction = d.test_fraction;
  spec.subset = d.subset;
  spec.seed = d.seed;
  spec.standardize = d.standardize == "yes" || (d.standardize == "auto" && (d.format == "pamap2" || d.format == "csv"));
  return make_splits(std::move(pool), std::move(test), spec);
}

namespace {

// Fashion-MNIST classes grouped by body part: upper body (T-shirt/top, Pullover, Coat,
// Shirt), lower/full body (Trouser, Dress), footwear (Sandal, Sneaker, Ankle boot), Bag.
torch::Tensor aux_table(const std::string& aux, int64_t classes, int64_t* aux_classes) {
  if (aux == "fashion_coarse") {
    if (classes != 10) throw ConfigError("multitask.aux fashion_coarse needs the 10 Fashion-MNIST classes; this data has " + std::to_string(classes));
    *aux_classes = 4;
    return torch::tensor(std::vector<int64_t>{0, 1, 0, 1, 0, 2, 0, 2, 3, 2}, torch::kInt64);
  }
  *aux_classes = 2;  // parity
  return torch::arange(classes, torch::kInt64).remainder(2);
}

torch::Device pick_device(const std::string& want) {
  if (want == "cpu") return torch::kCPU;
  bool cuda = torch::cuda::is_available();
  if (want == "auto") return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (!cuda) {
    throw ConfigError("training.device " + want + ": no CUDA device is available to this LibTorch build: use device cpu or auto");
  }
  return torch::Device(want);
}

// LibTorch's CPU thread pool and OpenBLAS's own pthreads both want every core; on a
// 2-core machine the two pools fighting made an MLP's training 4x slower than either pool
// alone (bench/compare_train_throughput.sh). OpenBLAS is told its share at run time
// (openblas_set_num_threads, looked up in the loaded BLAS; absent with another BLAS).
int set_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!fn) return 0;
  fn(threads);
  return threads;
}

// Training frees and reallocates the same large activation buffers every step. With
// glibc's defaults those buffers are mmap'ed and returned to the kernel each time, so every
// step page-faults them in again: a small CNN at batch 512 trained 2.1x faster on 2 cores
// with freed memory kept for reuse (bench/compare_train_throughput.sh). The cost: the
// process keeps its peak heap until it exits.
void keep_freed_memory_for_reuse() {
  static bool done = false;
  if (done) return;
  done = true;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);  // glibc's maximum: blocks up to 32 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);  // and freed heap is not handed back below 1 GiB
}

}  // namespace

void hold_power_limit(std::unique_ptr<GpuPowerLimit>& held, const TrainConfig& cfg, torch::Device device,
                      const std::string& nvml_library, const std::function<void(const std::string&)>& say) {
  const double watts = cfg.training.power_limit_w;
  if (!(watts > 0)) {
    held.reset();
    return;
  }
  if (!device.is_cuda()) {
    throw ConfigError(fmt::format("config {}: training.power_limit_w {:g}: this run trains on {}, and a power limit is set on the "
                                  "CUDA GPU a run trains on; use training.device cuda on an NVIDIA GPU, or leave power_limit_w 0",
                                  cfg.source, watts, device.str()));
  }
  const unsigned ordinal = device.has_index() ? static_cast<unsigned>(device.index()) : 0u;
  try {
    if (held && held->component() == "gpu:" + std::to_string(ordinal)) {
      if (held->limit_w() != watts) held->set(watts);
      return;
    }
    held.reset();
    held = std::make_unique<GpuPowerLimit>(ordinal, watts, nvml_library);
    if (say) {
      say(fmt::format("power limit: {} at {:g} W (it was {:g} W; put back when the run ends)", held->component(),
                      held->limit_w(), held->original_w()));
    }
  } catch (const PowerLimitError& e) {
    throw ConfigError("config " + cfg.source + ": training.power_limit_w: " + e.what());
  }
}

Session open_session(const TrainConfig& cfg, const std::function<void(const std::string&)>& say, const Splits* data) {
  Session s;
  s.cfg = cfg;
  s.device = pick_device(cfg.training.device);
  s.threads = cfg.training.threads > 0 ? cfg.training.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(s.threads);
  keep_freed_memory_for_reuse();
  int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.blas_threads = set_blas_threads(cfg.training.blas_threads > 0 ? cfg.training.blas_threads : (s.threads > 1 ? 1 : cpus));
  torch::manual_seed(static_cast<uint64_t>(cfg.training.seed));

  if (cfg.training.precision != "fp32") {
    s.amp = true;
    s.amp_dtype = cfg.training.precision == "fp16" ? torch::kHalf : torch::kBFloat16;
    std::string why;
    if (!compat::autocast_supported(s.device, s.amp_dtype, &why)) throw ConfigError("training.precision " + cfg.training.precision + ": " + why);
  }

  s.data = data ? *data : load_splits(cfg.data);
  s.data.train.x = s.data.train.x.to(s.device);
  s.data.train.y = s.data.train.y.to(s.device);
  s.data.val.x = s.data.val.x.to(s.device);
  s.data.val.y = s.data.val.y.to(s.device);
  s.data.test.x = s.data.test.x.to(s.device);
  s.data.test.y = s.data.test.y.to(s.device);
  if (say) {
    say(fmt::format("data: {} train, {} validation, {} test examples of shape {} ({} classes) from {}", s.data.train.size(),
                    s.data.val.size(), s.data.test.size(), fmt::join(s.data.train.example_shape(), "x"),
                    s.data.train.num_classes, cfg.data.path));
  }

  std::vector<int64_t> heads;
  if (cfg.task == "classify") {
    heads.push_back(s.data.train.num_classes);
    if (!cfg.multitask.aux.empty()) {
      s.aux_table = aux_table(cfg.multitask.aux, s.data.train.num_classes, &s.aux_classes).to(s.device);
      heads.push_back(s.aux_classes);
    }
  }
  ModelSpec ms;
  ms.type = cfg.model.type;
  ms.hidden = cfg.model.hidden;
  ms.channels = cfg.model.channels;
  ms.dense = cfg.model.dense;
  ms.batch_norm = cfg.model.batch_norm;
  ms.width = cfg.model.width;
  ms.depth = cfg.model.depth;
  ms.dropout = cfg.model.dropout;
  ms.feature_dim = cfg.model.feature_dim;
  ms.decoder = cfg.task == "autoencoder";
  s.model = Model(ms, s.data.train.example_shape(), heads);
  if (!cfg.model.encoder_path.empty()) {
    s.model->load_encoder(cfg.model.encoder_path);
    if (say) say("encoder: pretrained weights from " + cfg.model.encoder_path + (cfg.model.freeze_encoder ? " (frozen)" : " (fine-tuned)"));
  }
  s.model->to(s.device);
  if (cfg.model.freeze_encoder) s.model->freeze_encoder(true);
  for (auto& p : s.model->parameters()) if (p.requires_grad()) s.params.push_back(p);

  OptimizerSpec os;
  os.type = cfg.optimizer.type;
  os.lr = cfg.optimizer.lr;
  os.momentum = cfg.optimizer.momentum;
  os.beta2 = cfg.optimizer.beta2;
  os.nesterov = cfg.optimizer.nesterov;
  os.weight_decay = cfg.optimizer.weight_decay;
  try {
    s.optimizer = make_optimizer(os, s.params);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("optimizer: ") + e.what());
  }
  if (say) {
    say(fmt::format("model: {} with {} parameters ({} trainable); {} optimizer; {} on {} ({} CPU threads, {} BLAS threads)",
                    cfg.model.type, parameter_count(*s.model), parameter_count(*s.model, true), cfg.optimizer.type,
                    cfg.training.precision, s.device.str(), s.threads, s.blas_threads));
  }
  return s;
}

BatchLoss batch_loss(Session& s, const torch::Tensor& x, const torch::Tensor& y) {
  BatchLoss out;
  compat::AutocastGuard autocast(s.device, s.amp_dtype, s.amp);
  if (s.cfg.task == "autoencoder") {
    out.loss = torch::mse_loss(s.model->reconstruct(x).to(torch::kFloat32), x);
    return out;
  }
  if (s.aux_table.defined()) {
    auto heads = s.model->forward_heads(x);
    auto main_logits = heads[0].to(torch::kFloat32);
    auto aux_y = s.aux_table.index_select(0, y);
    out.loss = s.cfg.multitask.alpha[0] * torch::cross_entropy_loss(main_logits, y) +
               s.cfg.multitask.alpha[1] * torch::cross_entropy_loss(heads[1].to(torch::kFloat32), aux_y);
    out.correct = main_logits.argmax(1).eq(y).sum();
    out.aux_correct = heads[1].argmax(1).eq(aux_y).sum();
    return out;
  }
  auto logits = s.model->forward(x).to(torch::kFloat32);
  out.loss = torch::cross_entropy_loss(logits, y);
  out.correct = logits.argmax(1).eq(y).sum();
  return out;
}

torch::Tensor train_step(Session& s, const torch::Tensor& x, const torch::Tensor& y, const Schedule& schedule,
                         long global_step, LossScaler& scaler) {
  set_learning_rate(*s.optimizer, schedule.lr(global_step));
  double momentum = schedule.momentum(global_step);
  if (std::isfinite(momentum)) set_momentum(*s.optimizer, momentum);
  s.optimizer->zero_grad();
  auto out = batch_loss(s, x, y);
  scaler.scale(out.loss).backward();
  bool skip = scaler.enabled() && scaler.unscale_and_check(s.params);
  if (!skip) s.optimizer->step();
  scaler.update(skip);
  return out.loss.detach();
}

Evaluation evaluate(Session& s, const Dataset& d, const std::atomic<bool>* stop) {
  Evaluation e;
  if (d.size() == 0) return e;
  torch::NoGradGuard no_grad;
  bool was_training = s.model->is_training();
  s.model->eval();
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(s.device));
  torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(s.device));
  torch::Tensor aux_correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(s.device));
  int64_t n = d.size(), bs = s.cfg.training.eval_batch_size;
  for (int64_t i = 0; i < n; i += bs) {
    if (stop && stop->load()) {
      s.model->train(was_training);
      e.interrupted = true;
      return e;
    }
    int64_t len = std::min(bs, n - i);
    auto out = batch_loss(s, d.x.narrow(0, i, len), d.y.narrow(0, i, len));
    loss_sum += out.loss.to(torch::kFloat64) * static_cast<double>(len);
    if (out.correct.defined()) correct += out.correct;
    if (out.aux_correct.defined()) aux_correct += out.aux_correct;
  }
  e.loss = loss_sum.item<double>() / static_cast<double>(n);
  if (s.cfg.task != "autoencoder") e.metric = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(n);
  if (s.aux_table.defined()) e.aux_metric = static_cast<double>(aux_correct.item<int64_t>()) / static_cast<double>(n);
  s.model->train(was_training);
  return e;
}

GridIntensity grid_of(const TrainConfig& cfg) {
  auto table = CarbonTable::builtin();
  if (const GridIntensity* g = table.find(cfg.energy.grid)) return *g;
  throw ConfigError("config " + cfg.source + ": energy.grid: unknown grid '" + cfg.energy.grid +
                    "'; use an ISO country code listed by 'powertrain grids'");
}

}  // namespace powertrain::train
