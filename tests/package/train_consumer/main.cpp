// train_consumer: trains one small Fashion-MNIST MLP for one epoch through the installed
// powertrain::train library and prints its accuracy and energy with provenance.
// Usage: train_consumer CONFIG.json [key=value ...]
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "powertrain/train/config.h"
#include "powertrain/train/trainer.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: train_consumer CONFIG.json [key=value ...]\n");
    return 2;
  }
  std::vector<std::string> overrides(argv + 2, argv + argc);
  try {
    const powertrain::TrainConfig cfg = powertrain::load_train_config(argv[1], overrides);
    const powertrain::TrainResult r = powertrain::train_model(cfg);
    std::printf("epochs %d, validation accuracy %.3f, energy %.1f J (%s)\n", r.epochs_run,
                r.best_val_metric, r.energy_j, powertrain::provenance_name(r.energy_provenance));
    return r.epochs_run >= 1 && std::isfinite(r.best_val_metric) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_consumer: %s\n", e.what());
    return 1;
  }
}
