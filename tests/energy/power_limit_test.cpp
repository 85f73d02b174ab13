// Tests of src/energy/power_limit.cpp: GpuPowerLimit against the fake libnvidia-ml
// (tests/fakes/fake_nvml.c, limits in $FAKE_NVML_LIMITS) loaded through the real dlopen path.
// The way-out tests fork a child that sets a limit, say so through a pipe, and is then
// signalled; the parent reads the limit the fake holds after the child has gone.
#include "powertrain/energy/power_limit.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

#include "support/test_support.h"
#include "util/stop_signal.h"

namespace powertrain {
namespace {

using test::ScopedEnv;
using test::TempDir;
using test::write_file;

class PowerLimitTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string state_path = dir.file("nvml_state.txt");
  std::string limits_path = dir.file("nvml_limits.txt");
  std::string log_path = dir.file("nvml_calls.txt");
  ScopedEnv state_env{"FAKE_NVML_STATE", state_path};
  ScopedEnv limits_env{"FAKE_NVML_LIMITS", limits_path};
  ScopedEnv log_env{"FAKE_NVML_LOG", log_path};
  ScopedEnv cuda_env{"CUDA_VISIBLE_DEVICES", std::nullopt};

  void SetUp() override {
    write_file(state_path, "NVIDIA_A40 GPU-aaaa counter 1000 200000\nNVIDIA_A40 GPU-bbbb counter 1000 200000\n");
    write_file(limits_path, "300000 100000 300000 allowed\n250000 100000 300000 allowed\n");
  }
  // The limit the fake holds for NVML GPU `index`, in mW.
  unsigned limit_mw(unsigned index) const {
    std::istringstream in(test::read_file(limits_path));
    std::string line;
    for (unsigned i = 0; std::getline(in, line); ++i) {
      if (i == index) return static_cast<unsigned>(std::stoul(line));
    }
    return 0;
  }
  std::string calls() const {
    try { return test::read_file(log_path); } catch (...) { return ""; }
  }
  // The message GpuPowerLimit(0, watts) throws ("" when it does not throw).
  std::string refusal(double watts, const std::string& library = FAKE_NVML_PATH) const {
    try {
      GpuPowerLimit limit(0, watts, library);
    } catch (const PowerLimitError& e) {
      return e.what();
    }
    return "";
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The SIGTERM handler now installed is the default one (none left behind).
bool sigterm_is_default() {
  struct sigaction now {};
  sigaction(SIGTERM, nullptr, &now);
  return !(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL;
}

TEST_F(PowerLimitTest, SetsTheLimitAndRestoresTheOneFoundWhenItDies) {
  {
    GpuPowerLimit limit(0, 200.0, FAKE_NVML_PATH);
    EXPECT_EQ(limit.component(), "gpu:0");
    EXPECT_EQ(limit_mw(0), 200000u);
    EXPECT_DOUBLE_EQ(limit.limit_w(), 200.0);
    EXPECT_DOUBLE_EQ(limit.original_w(), 300.0);
    EXPECT_DOUBLE_EQ(limit.min_w(), 100.0);
    EXPECT_DOUBLE_EQ(limit.max_w(), 300.0);
    limit.set(150.5);  // profiling one setting after another
    EXPECT_EQ(limit_mw(0), 150500u);
    EXPECT_FALSE(sigterm_is_default());  // the way out on a signal is watched
  }
  EXPECT_EQ(limit_mw(0), 300000u);  // the one found, not the one before the last set()
  EXPECT_EQ(limit_mw(1), 250000u);  // the other GPU untouched
  EXPECT_TRUE(sigterm_is_default());
  EXPECT_TRUE(contains(calls(), "set_power_limit 0 200000\nset_power_limit 0 150500\nset_power_limit 0 300000\n")) << calls();
}

TEST_F(PowerLimitTest, ExceptionsUnwindingPastItRestoreTheLimit) {
  try {
    GpuPowerLimit limit(0, 120.0, FAKE_NVML_PATH);
    EXPECT_EQ(limit_mw(0), 120000u);
    throw std::runtime_error("training failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(limit_mw(0), 300000u);
}

TEST_F(PowerLimitTest, TheOrdinalIsCudasAfterCudaVisibleDevices) {
  ScopedEnv only_second{"CUDA_VISIBLE_DEVICES", std::string("1")};
  {
    GpuPowerLimit limit(0, 200.0, FAKE_NVML_PATH);
    EXPECT_EQ(limit_mw(1), 200000u);  // CUDA's gpu:0 is NVML's GPU 1
    EXPECT_EQ(limit_mw(0), 300000u);
  }
  EXPECT_EQ(limit_mw(1), 250000u);
  try {
    GpuPowerLimit limit(1, 200.0, FAKE_NVML_PATH);
    ADD_FAILURE() << "gpu:1 is not visible";
  } catch (const PowerLimitError& e) {
    EXPECT_TRUE(contains(e.what(), "only 1 GPU(s) are visible")) << e.what();
  }
}

TEST_F(PowerLimitTest, RefusesWithTheProblemAndTheFixAndChangesNothing) {
  const std::string unchanged = test::read_file(limits_path);
  EXPECT_TRUE(contains(refusal(50.0), "50 W is outside gpu:0's range 100 W-300 W")) << refusal(50.0);
  EXPECT_TRUE(contains(refusal(301.0), "outside gpu:0's range")) << refusal(301.0);
  EXPECT_TRUE(contains(refusal(NAN), "not a positive number of watts")) << refusal(NAN);
  EXPECT_TRUE(contains(refusal(-1.0), "not a positive number of watts")) << refusal(-1.0);
  EXPECT_TRUE(contains(refusal(INFINITY), "not a positive number of watts")) << refusal(INFINITY);

  write_file(limits_path, "300000 100000 300000 denied\n");  // not root
  EXPECT_TRUE(contains(refusal(200.0), "setting gpu:0's power limit needs root (Insufficient Permissions (NVML error 4)); run as root"))
      << refusal(200.0);
  EXPECT_EQ(limit_mw(0), 300000u);

  write_file(limits_path, "300000 100000 300000 unsupported\n");
  EXPECT_TRUE(contains(refusal(200.0), "gpu:0 cannot report or change its power limit (Not Supported")) << refusal(200.0);

  write_file(limits_path, unchanged);
  const std::string missing = dir.file("none/libnvidia-ml.so.1");
  EXPECT_TRUE(contains(refusal(200.0, missing), "not found (no NVIDIA driver)")) << refusal(200.0, missing);
  EXPECT_TRUE(contains(refusal(200.0, missing), "a power limit needs an NVIDIA GPU")) << refusal(200.0, missing);

  EXPECT_EQ(test::read_file(limits_path), unchanged);
  EXPECT_FALSE(contains(calls(), "set_power_limit")) << calls();
  EXPECT_TRUE(sigterm_is_default());  // a refusal leaves no handler behind
}

// A child process that sets gpu:0 to 200 W, writes one byte to `ready`, then runs `then`.
// Returns its pid.
template <typename Then>
pid_t child_with_limit(int ready, Then then) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  try {
    auto* limit = new GpuPowerLimit(0, 200.0, FAKE_NVML_PATH);  // dies only with the process
    (void)limit;
    const char byte = 'r';
    if (write(ready, &byte, 1) != 1) _exit(3);
    then();
  } catch (...) {
    _exit(4);
  }
  _exit(5);
}

// Waits until the child has set its limit.
void await_ready(int ready) {
  char byte = 0;
  ASSERT_EQ(read(ready, &byte, 1), 1) << "the child died before setting its limit";
}

class PowerLimitSignalTest : public PowerLimitTest, public ::testing::WithParamInterface<int> {};

TEST_P(PowerLimitSignalTest, TheLimitIsRestoredWhenASignalEndsTheProcess) {
  const int sig = GetParam();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = child_with_limit(fds[1], [] {
    while (true) pause();  // until the signal ends it
  });
  close(fds[1]);
  await_ready(fds[0]);
  EXPECT_EQ(limit_mw(0), 200000u);
  ASSERT_EQ(kill(pid, sig), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << status;
  EXPECT_EQ(WTERMSIG(status), sig);  // it still ends by the signal, as it would have
  EXPECT_EQ(limit_mw(0), 300000u);
}

INSTANTIATE_TEST_SUITE_P(Signals, PowerLimitSignalTest, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "SIGINT" : info.param == SIGTERM ? "SIGTERM" : "SIGHUP");
                         });

TEST_F(PowerLimitTest, CtrlCsGracefulStopStillHappensAndTheLimitIsBack) {
  // `powertrain train` stops after the current step on the first SIGINT/SIGTERM: the
  // handler installed before the limit must still run, and the limit must be back.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    util::StopOnSignal stop;
    {
      GpuPowerLimit limit(0, 200.0, FAKE_NVML_PATH);
      const char byte = 'r';
      if (write(fds[1], &byte, 1) != 1) _exit(3);
      while (!stop.stop_requested()->load()) usleep(1000);  // "training", until asked to stop
    }
    _exit(util::StopOnSignal::exit_code());
  }
  close(fds[1]);
  await_ready(fds[0]);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 143);  // the graceful stop's exit code
  EXPECT_EQ(limit_mw(0), 300000u);
}

TEST_F(PowerLimitTest, ExitWithoutUnwindingRestoresTheLimit) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = child_with_limit(fds[1], [] { std::exit(7); });  // no destructor runs for the limit
  close(fds[1]);
  await_ready(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  EXPECT_EQ(limit_mw(0), 300000u);
}

}  // namespace
}  // namespace powertrain
