// train_throughput: training samples/s of powertrain's engine for one model and batch size,
// the same inner loop `powertrain train` runs (schedule, forward, backward, step). Run by
// bench/compare_train_throughput.sh against bench/train_throughput.py (PyTorch, same
// libtorch, same model, data and threads), which prints the ratio.
//
//   build/bench/train_throughput MODEL BATCH THREADS SAMPLES    (MODEL: mlp or cnn)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "powertrain/train/config.h"
#include "train/session.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s mlp|cnn BATCH THREADS SAMPLES\n", argv[0]);
    return 2;
  }
  std::string model = argv[1];
  int64_t batch = std::atoll(argv[2]);
  int threads = std::atoi(argv[3]);
  int64_t samples = std::atoll(argv[4]);
  auto cfg = powertrain::parse_train_config(
      "{}", "bench",
      {"model.type=" + model, "model.hidden=[256]", "model.width=16", "data.subset=12000", "optimizer.type=adam",
       "training.batch_size=" + std::to_string(batch), "training.threads=" + std::to_string(threads)});
  auto s = powertrain::train::open_session(cfg, {});
  powertrain::Schedule schedule(powertrain::ScheduleSpec(), cfg.optimizer.lr);
  powertrain::train::LossScaler scaler(powertrain::train::LossScalerSpec{65536.0, 2.0, 0.5, 2000, false});
  powertrain::train::BatchIterator it(s.data.train, batch, true, 0, s.device, /*drop_last=*/true);
  s.model->train();
  auto run = [&](int64_t n) {
    int64_t done = 0;
    long step = 0;
    powertrain::train::Batch b;
    while (done < n) {
      if (!it.next(b)) { it.reset(); it.next(b); }
      auto loss = powertrain::train::train_step(s, b.x, b.y, schedule, step++, scaler);
      done += b.x.size(0);
    }
    return done;
  };
  run(std::min<int64_t>(samples / 4, 2048));  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  int64_t done = run(samples);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.1f\n", static_cast<double>(done) / dt);
  return 0;
}
