// companion_test.cpp: how powertrain finds its companion files (the training engine, the
// dashboard, the PostgreSQL module): the environment variable first, then directories
// relative to the running program or absolute, the first one present winning.
#include "util/companion.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "support/test_support.h"

using namespace powertrain;

TEST(Companion, FindsAFileBesideTheRunningProgramOrInADirectoryRelativeToIt) {
  const std::string self = util::self_dir();
  ASSERT_FALSE(self.empty());
  ::unsetenv("POWERTRAIN_TEST_COMPANION");
  // This test program is its own companion in ".", and in "../tests" seen from its directory's parent.
  const std::string me = "util_companion_test";
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {".", "no-such-dir"}, me, X_OK), self + "/" + me);
  const std::string parent_rel = "../" + self.substr(self.rfind('/') + 1);
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {"no-such-dir", parent_rel}, me, X_OK),
            self + "/" + parent_rel + "/" + me);
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {".", "../libexec/powertrain"}, "not-there", X_OK), "");
}

TEST(Companion, TakesAbsoluteDirectoriesInOrderAndChecksTheAccessMode) {
  test::TempDir dir;
  const std::string plain = dir.file("module.so");
  std::ofstream(plain) << "x";
  ::unsetenv("POWERTRAIN_TEST_COMPANION");
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {"/nonexistent", dir.path()}, "module.so", R_OK), plain);
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {dir.path()}, "module.so", X_OK), "");  // not executable
  ::chmod(plain.c_str(), 0755);
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {dir.path()}, "module.so", X_OK), plain);
  // The candidates list every place looked at, for the message when none is there.
  const auto all = util::companion_candidates("POWERTRAIN_TEST_COMPANION", {"/a", ".", ""}, "m.so");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "/a/m.so");
  EXPECT_EQ(all[1], util::self_dir() + "/m.so");
}

TEST(Companion, TheEnvironmentVariableNamesTheFileOutright) {
  ::setenv("POWERTRAIN_TEST_COMPANION", "/opt/elsewhere/powertrain-train", 1);
  // Unchecked: running it then says what is wrong with it.
  EXPECT_EQ(util::find_companion("POWERTRAIN_TEST_COMPANION", {"."}, "powertrain-train", X_OK),
            "/opt/elsewhere/powertrain-train");
  EXPECT_EQ(util::companion_candidates("POWERTRAIN_TEST_COMPANION", {"/a"}, "x"),
            std::vector<std::string>{"/opt/elsewhere/powertrain-train"});
  ::setenv("POWERTRAIN_TEST_COMPANION", "", 1);  // empty: as if unset
  EXPECT_EQ(util::companion_candidates("POWERTRAIN_TEST_COMPANION", {"/a"}, "x"), std::vector<std::string>{"/a/x"});
  ::unsetenv("POWERTRAIN_TEST_COMPANION");
}
