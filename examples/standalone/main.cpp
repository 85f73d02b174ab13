// train_standalone: a LibTorch training loop in your own project, with the energy of every
// epoch measured by powertrain's Meter and kept in powertrain's Store.
//
// It fits a small MLP to synthetic data (a fixed random "teacher" labels random inputs), so
// it needs no dataset and runs in seconds on a CPU. The powertrain calls are marked
// "powertrain:". Afterwards `powertrain runs --db DB` and `powertrain report` see the run.
//
//   train_standalone [--epochs N] [--steps N] [--batch N] [--threads N] [--db FILE]
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "powertrain/energy/meter.h"
#include "powertrain/store/store.h"

namespace {

// Options as a map "--name" -> value, from "--name value" pairs.
std::map<std::string, std::string> options(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 1; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  return out;
}

// Returns "12.34 J", or "-" for an unknown value (NaN: not measured, never 0).
std::string joules(double j) {
  if (std::isnan(j)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f J", j);
  return buf;
}

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = options(argc, argv);
  auto get = [&](const char* name, const std::string& fallback) { return args.count(name) ? args[name] : fallback; };
  int epochs = std::stoi(get("--epochs", "3"));
  int steps = std::stoi(get("--steps", "50"));  // optimizer steps per epoch
  int batch = std::stoi(get("--batch", "256"));
  int threads = std::stoi(get("--threads", std::to_string(std::thread::hardware_concurrency())));
  std::string db = get("--db", "powertrain_standalone.db");
  torch::set_num_threads(threads);
  torch::manual_seed(0);

  const int64_t features = 64, classes = 10;
  auto teacher = torch::randn({features, classes});
  torch::nn::Sequential model(torch::nn::Linear(features, 128), torch::nn::ReLU(), torch::nn::Linear(128, classes));
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));

  // powertrain: the sensors of this machine (NVML, RAPL, else the CPU estimate), sampled at 10 Hz.
  powertrain::Meter meter(powertrain::discover_sources(powertrain::discover_options_from_env({})),
                          powertrain::MeterOptions().interval_s(0.1));
  // powertrain: the run goes into the store as "running" first, so a crash leaves a trace.
  powertrain::Store store = powertrain::Store::open(db);
  powertrain::RunRecord run;
  run.kind = "train";
  run.name = "standalone-mlp";
  run.command = argv[0];
  run.started_at_unix_s = unix_now_s();
  int64_t run_id = store.begin_run(run, powertrain::host_info_collect(), meter.sensors());
  meter.start();
  auto run_window = meter.begin("run");

  std::printf("training an MLP on synthetic data: %d epochs x %d steps, batch %d, %d threads\n", epochs, steps,
              batch, threads);
  std::printf("%5s %9s %8s %12s %12s  %s\n", "epoch", "loss", "time", "energy", "+-", "provenance");
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    auto window = meter.begin("epoch " + std::to_string(epoch));  // powertrain: open the epoch window
    double loss_sum = 0;
    for (int step = 0; step < steps; ++step) {
      auto x = torch::randn({batch, features});
      auto y = x.matmul(teacher).argmax(1);
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
    }
    powertrain::Measurement m = meter.end(window);  // powertrain: close it: J, +- J, provenance

    powertrain::EpochRecord rec;  // powertrain: keep the epoch in the store
    rec.epoch = epoch;
    rec.train_loss = loss_sum / steps;
    rec.duration_s = m.duration_s;
    rec.energy_j = m.total_energy_j();
    rec.energy_uncertainty_j = m.total_uncertainty_j();
    rec.energy_provenance = m.total_provenance();
    rec.avg_power_w = m.avg_power_w();
    rec.samples_per_s = double(steps) * batch / m.duration_s;
    store.record_epoch(run_id, rec);
    std::printf("%5d %9.4f %7.2fs %12s %12s  %s\n", epoch, rec.train_loss, m.duration_s, joules(rec.energy_j).c_str(),
                joules(rec.energy_uncertainty_j).c_str(), powertrain::provenance_name(rec.energy_provenance));
  }

  powertrain::Measurement total = meter.end(run_window);
  meter.stop();
  run.status = powertrain::RunStatus::completed;
  run.exit_code = 0;
  run.duration_s = total.duration_s;
  run.energy_j = total.total_energy_j();
  run.energy_uncertainty_j = total.total_uncertainty_j();
  run.energy_provenance = total.total_provenance();
  // powertrain: the windows (with components) and the power timeline, in one transaction.
  store.finish_run(run_id, run, meter.finished(), powertrain::downsample(meter.samples(), 1.0));

  // Read back what was stored, as any other tool would.
  std::printf("stored run %lld in %s: %.2f J (%s) over %.2f s\n", static_cast<long long>(run_id), db.c_str(),
              run.energy_j, powertrain::provenance_name(run.energy_provenance), run.duration_s);
  for (const powertrain::EpochRecord& e : store.epochs(run_id))
    std::printf("  epoch %d: %.2f J (%s)\n", e.epoch, e.energy_j, powertrain::provenance_name(e.energy_provenance));
  for (const powertrain::ComponentMeasurement& c : total.components)
    std::printf("  component %s [%s]: %.2f J (%s)%s%s\n", c.component.c_str(), c.source.c_str(), c.energy_j,
                powertrain::provenance_name(c.provenance), c.note.empty() ? "" : ": ", c.note.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_standalone: %s\n", e.what());
  return 1;
}
