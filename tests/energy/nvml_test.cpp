// Tests of src/energy/nvml.cpp: NvmlSource against a fake libnvidia-ml (tests/fakes/fake_nvml.c)
// loaded through the real dlopen path, and the CUDA_VISIBLE_DEVICES mapping.
#include "powertrain/energy/nvml.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace powertrain {
namespace {

using test::TempDir;
using test::write_file;
using test::ScopedEnv;

// Each test gets its own fake state file; CUDA_VISIBLE_DEVICES is unset unless a test sets it.
class NvmlTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string state_path = dir.file("nvml_state.txt");
  std::string log_path = dir.file("nvml_calls.txt");
  ScopedEnv state_env{"FAKE_NVML_STATE", state_path};
  ScopedEnv log_env{"FAKE_NVML_LOG", log_path};
  ScopedEnv cuda_env{"CUDA_VISIBLE_DEVICES", std::nullopt};

  void set_state(const std::string& text) { write_file(state_path, text); }
  std::string calls() const {
    try { return test::read_file(log_path); } catch (...) { return ""; }
  }
};

const Reading* find_reading(const std::vector<Reading>& readings, const std::string& component) {
  for (const auto& r : readings) if (r.component == component) return &r;
  return nullptr;
}

const SensorInfo* find_sensor(const std::vector<SensorInfo>& sensors, const std::string& component) {
  for (const auto& s : sensors) if (s.component == component) return &s;
  return nullptr;
}

const std::vector<std::string> kUuids = {
    "GPU-5c1f0a2b-1111-2222-3333-444455556666",
    "GPU-9ab30000-7777-8888-9999-aaaabbbbcccc",
    "GPU-9ab4ffff-dddd-eeee-ffff-000011112222",
};

// --- cuda_visible_nvml_indices ---

TEST(CudaVisibleDevices, UnsetSelectsAllDevices) {
  EXPECT_EQ(cuda_visible_nvml_indices(std::nullopt, kUuids), (std::vector<unsigned>{0, 1, 2}));
  EXPECT_TRUE(cuda_visible_nvml_indices(std::nullopt, {}).empty());
}

TEST(CudaVisibleDevices, IndicesSelectAndReorder) {
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("2"), kUuids), (std::vector<unsigned>{2}));
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("1,0"), kUuids), (std::vector<unsigned>{1, 0}));
  EXPECT_EQ(cuda_visible_nvml_indices(std::string(" 0 , 2 "), kUuids), (std::vector<unsigned>{0, 2}));
}

TEST(CudaVisibleDevices, UuidPrefixesSelectDevices) {
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("GPU-5c1f"), kUuids), (std::vector<unsigned>{0}));
  EXPECT_EQ(cuda_visible_nvml_indices(std::string(kUuids[2] + ",GPU-9ab3,0"), kUuids),
            (std::vector<unsigned>{2, 1, 0}));
  // "GPU-9ab" is a prefix of two UUIDs: ambiguous, so it matches nothing and ends the list.
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("0,GPU-9ab,1"), kUuids), (std::vector<unsigned>{0}));
}

TEST(CudaVisibleDevices, InvalidEntryEndsTheList) {
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("0,7,1"), kUuids), (std::vector<unsigned>{0}));
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("1,GPU-dead,0"), kUuids), (std::vector<unsigned>{1}));
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("1,x,0"), kUuids), (std::vector<unsigned>{1}));
  EXPECT_TRUE(cuda_visible_nvml_indices(std::string("-1"), kUuids).empty());
  EXPECT_TRUE(cuda_visible_nvml_indices(std::string("99999999999999999999"), kUuids).empty());
}

TEST(CudaVisibleDevices, DuplicatesAreIgnored) {
  EXPECT_EQ(cuda_visible_nvml_indices(std::string("1,1,0,GPU-9ab3"), kUuids), (std::vector<unsigned>{1, 0}));
}

TEST(CudaVisibleDevices, EmptyStringSelectsNothing) {
  EXPECT_TRUE(cuda_visible_nvml_indices(std::string(""), kUuids).empty());
  EXPECT_TRUE(cuda_visible_nvml_indices(std::string(","), kUuids).empty());
}

// --- NvmlSource against the fake library ---

TEST_F(NvmlTest, MissingLibraryLeavesNoWorkingSensor) {
  std::string missing = dir.file("no-such-dir/libnvidia-ml.so.1");
  NvmlSource source(missing);
  EXPECT_EQ(source.name(), "nvml");
  EXPECT_FALSE(source.available());
  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_EQ(sensors[0].component, "");
  EXPECT_EQ(sensors[0].source, "nvml");
  EXPECT_FALSE(sensors[0].working);
  EXPECT_NE(sensors[0].detail.find(missing), std::string::npos) << sensors[0].detail;
  EXPECT_NE(sensors[0].detail.find("not found"), std::string::npos) << sensors[0].detail;
  EXPECT_TRUE(source.read().empty());
  EXPECT_EQ(source.counter_resolution_j("gpu:0"), 0.0);
}

TEST_F(NvmlTest, LibraryWithoutNvmlSymbolsIsReported) {
  // libm is a real shared library but not NVML: the source says which symbol is missing.
  NvmlSource source("libm.so.6");
  EXPECT_FALSE(source.available());
  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_NE(sensors[0].detail.find("nvmlInit_v2"), std::string::npos) << sensors[0].detail;
  EXPECT_TRUE(source.read().empty());
}

TEST_F(NvmlTest, InitFailureIsReportedWithTheNvmlError) {
  set_state("init_fail\nNVIDIA_H100 GPU-aaaa counter 1000 200000\n");
  {
    NvmlSource source(FAKE_NVML_PATH);
    EXPECT_FALSE(source.available());
    auto sensors = source.sensors();
    ASSERT_EQ(sensors.size(), 1u);
    EXPECT_EQ(sensors[0].component, "");
    EXPECT_FALSE(sensors[0].working);
    EXPECT_NE(sensors[0].detail.find("nvmlInit_v2"), std::string::npos) << sensors[0].detail;
    EXPECT_NE(sensors[0].detail.find("Driver Not Loaded"), std::string::npos) << sensors[0].detail;
    EXPECT_TRUE(source.read().empty());
  }
  // Init failed, so no nvmlShutdown is due.
  EXPECT_EQ(calls(), "init\n");
}

TEST_F(NvmlTest, NoGpuIsReported) {
  set_state("# no GPU in this machine\n");
  NvmlSource source(FAKE_NVML_PATH);
  EXPECT_FALSE(source.available());
  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_FALSE(sensors[0].working);
  EXPECT_NE(sensors[0].detail.find("no GPU"), std::string::npos) << sensors[0].detail;
  EXPECT_TRUE(source.read().empty());
}

TEST_F(NvmlTest, CounterGpuReadsEnergyInJoules) {
  set_state("NVIDIA_H100_80GB_HBM3 GPU-aaaa counter 123456789 250500\n");
  NvmlSource source(FAKE_NVML_PATH);
  ASSERT_TRUE(source.available());

  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_EQ(sensors[0].component, "gpu:0");
  EXPECT_EQ(sensors[0].source, "nvml");
  EXPECT_TRUE(sensors[0].working);
  EXPECT_EQ(sensors[0].description, "NVIDIA H100 80GB HBM3 (nvml index 0)");
  EXPECT_NE(sensors[0].detail.find("energy counter"), std::string::npos) << sensors[0].detail;
  EXPECT_NE(sensors[0].detail.find("1 mJ"), std::string::npos) << sensors[0].detail;
  EXPECT_DOUBLE_EQ(source.counter_resolution_j("gpu:0"), 0.001);
  EXPECT_NE(source.note("gpu:0").find("counter"), std::string::npos) << source.note("gpu:0");

  auto first = source.read();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].component, "gpu:0");
  EXPECT_EQ(first[0].kind, ComponentKind::gpu);
  EXPECT_TRUE(first[0].ok);
  EXPECT_DOUBLE_EQ(first[0].energy_j, 123456.789);
  EXPECT_DOUBLE_EQ(first[0].power_w, 250.5);

  // The counter advances between reads: the new value is read, not a cached one.
  set_state("NVIDIA_H100_80GB_HBM3 GPU-aaaa counter 123556789 301000\n");
  auto second = source.read();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(second[0].ok);
  EXPECT_DOUBLE_EQ(second[0].energy_j, 123556.789);
  EXPECT_DOUBLE_EQ(second[0].power_w, 301.0);
  EXPECT_NEAR(second[0].energy_j - first[0].energy_j, 100.0, 1e-6);
}

TEST_F(NvmlTest, PowerOnlyGpuReadsPower) {
  set_state("Tesla_P100 GPU-bbbb power 0 87250\n");
  NvmlSource source(FAKE_NVML_PATH);
  ASSERT_TRUE(source.available());
  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_TRUE(sensors[0].working);
  EXPECT_EQ(sensors[0].description, "Tesla P100 (nvml index 0)");
  EXPECT_NE(sensors[0].detail.find("power polling"), std::string::npos) << sensors[0].detail;
  EXPECT_EQ(source.counter_resolution_j("gpu:0"), 0.0);
  EXPECT_NE(source.note("gpu:0").find("power"), std::string::npos) << source.note("gpu:0");

  auto readings = source.read();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_TRUE(readings[0].ok);
  EXPECT_EQ(readings[0].kind, ComponentKind::gpu);
  EXPECT_TRUE(std::isnan(readings[0].energy_j));
  EXPECT_DOUBLE_EQ(readings[0].power_w, 87.25);

  set_state("Tesla_P100 GPU-bbbb power 0 120000\n");
  readings = source.read();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_DOUBLE_EQ(readings[0].power_w, 120.0);
}

TEST_F(NvmlTest, ErroringGpuIsListedAndOthersStillWork) {
  set_state(
      "NVIDIA_A100 GPU-0000 counter 5000 100000\n"
      "NVIDIA_A100 GPU-1111 error 0 0\n"
      "NVIDIA_A100 GPU-2222 lost 0 0\n"
      "Tesla_V100 GPU-3333 power 0 42000\n");
  NvmlSource source(FAKE_NVML_PATH);
  EXPECT_TRUE(source.available());

  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 4u);
  const SensorInfo* good = find_sensor(sensors, "gpu:0");
  const SensorInfo* error = find_sensor(sensors, "gpu:1");
  const SensorInfo* lost = find_sensor(sensors, "gpu:2");
  const SensorInfo* power = find_sensor(sensors, "gpu:3");
  ASSERT_TRUE(good && error && lost && power);
  EXPECT_TRUE(good->working);
  EXPECT_FALSE(error->working);
  EXPECT_NE(error->detail.find("Unknown Error"), std::string::npos) << error->detail;
  EXPECT_FALSE(lost->working);
  EXPECT_NE(lost->detail.find("GPU is lost"), std::string::npos) << lost->detail;
  EXPECT_TRUE(power->working);
  EXPECT_EQ(source.counter_resolution_j("gpu:1"), 0.0);

  auto readings = source.read();
  ASSERT_EQ(readings.size(), 2u);
  const Reading* r0 = find_reading(readings, "gpu:0");
  const Reading* r3 = find_reading(readings, "gpu:3");
  ASSERT_TRUE(r0 && r3);
  EXPECT_TRUE(r0->ok);
  EXPECT_DOUBLE_EQ(r0->energy_j, 5.0);
  EXPECT_TRUE(r3->ok);
  EXPECT_DOUBLE_EQ(r3->power_w, 42.0);
}

TEST_F(NvmlTest, FailureAtReadTimeMarksTheReadingNotOk) {
  set_state(
      "NVIDIA_A100 GPU-0000 counter 5000 100000\n"
      "Tesla_V100 GPU-1111 power 0 42000\n");
  NvmlSource source(FAKE_NVML_PATH);
  ASSERT_EQ(source.read().size(), 2u);

  // Both GPUs fall off the bus after construction: reads fail but nothing throws.
  set_state(
      "NVIDIA_A100 GPU-0000 lost 5000 100000\n"
      "Tesla_V100 GPU-1111 error 0 42000\n");
  auto readings = source.read();
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_FALSE(readings[0].ok);
  EXPECT_FALSE(readings[1].ok);

  // And they come back.
  set_state(
      "NVIDIA_A100 GPU-0000 counter 6000 100000\n"
      "Tesla_V100 GPU-1111 power 0 43000\n");
  readings = source.read();
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_TRUE(readings[0].ok);
  EXPECT_DOUBLE_EQ(readings[0].energy_j, 6.0);
  EXPECT_TRUE(readings[1].ok);
  EXPECT_DOUBLE_EQ(readings[1].power_w, 43.0);
}

TEST_F(NvmlTest, CounterWithoutPowerStillWorks) {
  set_state("NVIDIA_A100 GPU-0000 energy 5000 100000\n");
  NvmlSource source(FAKE_NVML_PATH);
  ASSERT_TRUE(source.available());
  EXPECT_DOUBLE_EQ(source.counter_resolution_j("gpu:0"), 0.001);
  auto readings = source.read();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_TRUE(readings[0].ok);
  EXPECT_DOUBLE_EQ(readings[0].energy_j, 5.0);
  EXPECT_TRUE(std::isnan(readings[0].power_w));
}

TEST_F(NvmlTest, PowerFailureDoesNotSpoilTheCounter) {
  set_state("NVIDIA_A100 GPU-0000 counter 5000 100000\n");
  NvmlSource source(FAKE_NVML_PATH);
  set_state("NVIDIA_A100 GPU-0000 energy 7000 100000\n");  // power now unsupported
  auto readings = source.read();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_TRUE(readings[0].ok);
  EXPECT_DOUBLE_EQ(readings[0].energy_j, 7.0);
  EXPECT_TRUE(std::isnan(readings[0].power_w));
}

TEST_F(NvmlTest, ShutdownIsCalledOnDestruction) {
  set_state("NVIDIA_A100 GPU-0000 counter 5000 100000\n");
  {
    NvmlSource source(FAKE_NVML_PATH);
    EXPECT_TRUE(source.available());
    EXPECT_EQ(calls(), "init\n");
  }
  EXPECT_EQ(calls(), "init\nshutdown\n");
}

TEST_F(NvmlTest, CudaVisibleDevicesSelectsAndRenumbersGpus) {
  set_state(
      "NVIDIA_A100 GPU-5c1f0000-aaaa counter 1000 100000\n"
      "NVIDIA_H100 GPU-77e20000-bbbb counter 2000 200000\n");
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", std::string("1"));
  NvmlSource source(FAKE_NVML_PATH);

  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_EQ(sensors[0].component, "gpu:0");
  EXPECT_EQ(sensors[0].description, "NVIDIA H100 (nvml index 1)");
  auto readings = source.read();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].component, "gpu:0");
  EXPECT_DOUBLE_EQ(readings[0].energy_j, 2.0);
}

TEST_F(NvmlTest, CudaVisibleDevicesReorderByUuid) {
  set_state(
      "NVIDIA_A100 GPU-5c1f0000-aaaa counter 1000 100000\n"
      "NVIDIA_H100 GPU-77e20000-bbbb counter 2000 200000\n");
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", std::string("GPU-77e2,GPU-5c1f"));
  NvmlSource source(FAKE_NVML_PATH);

  auto readings = source.read();
  ASSERT_EQ(readings.size(), 2u);
  const Reading* r0 = find_reading(readings, "gpu:0");
  const Reading* r1 = find_reading(readings, "gpu:1");
  ASSERT_TRUE(r0 && r1);
  EXPECT_DOUBLE_EQ(r0->energy_j, 2.0);
  EXPECT_DOUBLE_EQ(r1->energy_j, 1.0);
}

TEST_F(NvmlTest, CudaVisibleDevicesSelectingNothingIsReported) {
  set_state("NVIDIA_A100 GPU-5c1f0000-aaaa counter 1000 100000\n");
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", std::string(""));
  NvmlSource source(FAKE_NVML_PATH);
  EXPECT_FALSE(source.available());
  auto sensors = source.sensors();
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_EQ(sensors[0].component, "");
  EXPECT_NE(sensors[0].detail.find("CUDA_VISIBLE_DEVICES"), std::string::npos) << sensors[0].detail;
  EXPECT_TRUE(source.read().empty());
}

}  // namespace
}  // namespace powertrain
