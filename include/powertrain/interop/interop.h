// powertrain/interop/interop.h: every export to other tools in one include.
//
// - run_json.h:    a stored run as JSON ("powertrain.run/1")
// - codecarbon.h:  a stored run as a CodeCarbon emissions.csv row
// - optuna.h:      a stored study as an Optuna RDB storage (SQLite) file
// - prometheus.h:  a live snapshot in Prometheus' text exposition format
#pragma once

#include "powertrain/interop/codecarbon.h"
#include "powertrain/interop/optuna.h"
#include "powertrain/interop/prometheus.h"
#include "powertrain/interop/run_json.h"
