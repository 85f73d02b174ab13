// The commands that do not train never load LibTorch (docs/architecture.md "One command,
// three executables"): with a poisoned LibTorch first on the library path, every one of
// them still works, while a training command (the positive control) cannot start. And a
// training command on an installation without the training engine says what to install.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;
const std::string kExamples = std::string(POWERTRAIN_SOURCE_DIR) + "/examples/";

// A directory holding the poison under every name LibTorch is loaded by (Debian's 1.13
// sonames and a pip package's), and the environment that puts it first.
std::vector<std::string> poisoned_env(const TempDir& dir) {
  const std::string lib = dir.file("poisoned-lib");
  mkdir(lib.c_str(), 0755);
  for (const char* name : {"libtorch_cpu.so.1.13", "libtorch.so.1.13", "libc10.so.1.13", "libtorch_cpu.so", "libtorch.so",
                           "libc10.so", "libtorch_cuda.so", "libc10_cuda.so", "libtorch_global_deps.so"}) {
    EXPECT_EQ(symlink(POISON_TORCH_PATH, (lib + "/" + name).c_str()), 0) << name;
  }
  std::vector<std::string> env = no_hardware_env(dir);
  env.push_back("LD_LIBRARY_PATH=" + lib);
  return env;
}

TEST(Lean, CommandsThatDoNotTrainRunWithLibTorchPoisoned) {
  TempDir dir;
  const auto env = poisoned_env(dir);
  const std::string db = dir.file("runs.db");

  // The positive control: the poison stops a process that loads LibTorch.
  RunResult control = run_program({kBin, "train", kExamples + "fashion_mlp.json", "--no-store", "-q"}, env);
  EXPECT_NE(control.exit_code, 0) << control.err;
  // It stops in the poison's constructor, or earlier, when the loader finds no LibTorch symbol in it.
  EXPECT_TRUE(control.err.find("POISON") != std::string::npos || control.err.find("undefined symbol: _ZTIN5torch") != std::string::npos ||
              control.err.find("torch") != std::string::npos)
      << control.err;

  auto ok = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{kBin};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run_program(argv, env);
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(r.exit_code, 0) << "powertrain " << line << "\n" << r.err;
    EXPECT_EQ(r.err.find("POISON"), std::string::npos) << "powertrain " << line << "loaded LibTorch";
    return r;
  };
  ok({"--help"});
  ok({"measure", "--db", db, "-q", "--", "true"});
  ok({"measure", "--no-store", "-q", "--", "true"});
  ok({"devices"});
  ok({"grids"});
  ok({"report", "1", "--db", db, "--format", "text"});
  ok({"report", "1", "--db", db, "--out", dir.file("report.html")});
  ok({"export", "run", "1", "--db", db});
  ok({"advise", "--db", db});
  ok({"serve", "--help"});
  if (have_zeus_traces()) {
    const std::string sim = "zeus:" + zeus_traces_dir();
    ok({"tune", "--simulate", sim, "--workload", "imagenet", "--strategy", "sm2", "--db", db, "--study", "s", "-q"});
    ok({"report", "s", "--db", db, "--format", "text"});
    ok({"export", "study", "s", "--db", db, "--optuna", dir.file("optuna.db")});
    ok({"worker", "--storage", dir.file("shared.db"), "--study", "w", "--simulate", sim, "--workload", "imagenet",
        "--max-trials", "2", "-q"});
  }
}

TEST(Lean, ATrainingCommandWithoutTheEngineSaysWhatToInstallAndWritesNothing) {
  TempDir dir;
  std::vector<std::string> env = no_hardware_env(dir);
  env.push_back("POWERTRAIN_ENGINE=" + dir.file("not-installed/powertrain-train"));
  const std::string db = dir.file("runs.db");
  const std::vector<std::vector<std::string>> commands = {
      {"train", kExamples + "fashion_mlp.json", "--db", db},
      {"lr-find", kExamples + "fashion_mlp.json", "--db", db},
      {"study", "regime", "--db", db},
      {"tune", kExamples + "study_fashion_sm2.json", "--db", db},
      {"worker", "--storage", db, "--study", "w", kExamples + "study_fashion_sm2.json"},
  };
  for (const auto& args : commands) {
    std::vector<std::string> argv{kBin};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run_program(argv, env);
    EXPECT_EQ(r.exit_code, 127) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("powertrain " + args[0] + ": this needs the training engine"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("apt install powertrain-train"), std::string::npos) << r.err;
    EXPECT_NE(access(db.c_str(), F_OK), 0) << args[0] << " left a store behind";
  }
  // What does not train still works there.
  RunResult m = run_program({kBin, "measure", "--no-store", "-q", "--", "true"}, env);
  EXPECT_EQ(m.exit_code, 0) << m.err;
}

}  // namespace
}  // namespace powertrain::test
