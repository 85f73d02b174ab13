// Fuzz target: opening arbitrary bytes as a store (Store::open_read_only, then Store::open,
// include/powertrain/store/store.h), as `powertrain report --db FILE` and the dashboard do,
// and reading what opens. Every outcome but a StoreError is a bug, and a read-only open
// must leave the file byte for byte as it was.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz/fuzz_util.h"
#include "powertrain/store/store.h"

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reads everything a report or the dashboard would.
void read_all(const powertrain::Store& store) {
  for (const powertrain::RunRecord& r : store.runs(50)) {
    store.run(r.id);
    store.windows(r.id);
    store.samples(r.id);
    store.samples_after(r.id, 0.5, 100);
    store.last_sample_t_s(r.id);
    store.epochs(r.id);
    store.devices(r.id);
  }
  for (const powertrain::StudyRecord& s : store.studies(50)) {
    store.study_rows(s.id);
    if (s.kind == "tune") store.trials(s.id);  // typed: throws StoreError on a malformed trial
    store.study_by_id(s.id);
    store.study(s.name);
  }
  store.recorded_devices(50);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = powertrain::fuzz::scratch_dir() + "/store.db";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  const std::string bytes = powertrain::fuzz::text_of(data, size);
  powertrain::fuzz::write_file(path, bytes);
  try {
    powertrain::Store store = powertrain::Store::open_read_only(path);
    read_all(store);
  } catch (const powertrain::StoreError&) {
  }
  if (read_bytes(path) != bytes) __builtin_trap();  // a read-only open changed the file
  try {
    powertrain::Store store = powertrain::Store::open(path);
    read_all(store);
  } catch (const powertrain::StoreError&) {
  }
  return 0;
}
