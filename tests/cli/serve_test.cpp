// `powertrain serve` as a user runs it: the URL on the first line, pages answered, SIGTERM
// and SIGINT stop it cleanly (exit 0), and a missing store is a clear error that creates nothing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "powertrain/store/store.h"
#include "support/http_client.h"
#include "support/test_support.h"

namespace powertrain::test {
namespace {

const std::string kBin = POWERTRAIN_BIN;

struct Served {
  pid_t pid = -1;
  int port = 0;
  std::string err_path;
};

// Starts `powertrain serve --db DB --port 0` and reads the port from its first line.
Served start_serve(const std::string& db, const TempDir& dir) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  Served s;
  s.err_path = dir.file("serve.err");
  s.pid = fork();
  if (s.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    FILE* err = std::freopen(s.err_path.c_str(), "w", stderr);
    (void)err;
    execl(kBin.c_str(), kBin.c_str(), "serve", "--db", db.c_str(), "--port", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  // "powertrain serve: http://127.0.0.1:PORT/ (read-only: DB)"
  size_t colon = line.find(':', line.find("127.0.0.1"));
  EXPECT_NE(colon, std::string::npos) << line;
  if (colon != std::string::npos) s.port = std::stoi(line.substr(colon + 1));
  EXPECT_NE(line.find("(read-only: " + db + ")"), std::string::npos) << line;
  return s;
}

int wait_exit(pid_t pid, double max_s) {
  auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(ServeCli, ServesTheStoreAndStopsCleanlyOnSigtermAndSigint) {
  TempDir dir;
  std::string db = dir.file("s.db");
  Store::open(db);
  for (int sig : {SIGTERM, SIGINT}) {
    Served s = start_serve(db, dir);
    ASSERT_GT(s.port, 0);
    EXPECT_EQ(get(s.port, "/runs").status, 200);
    EXPECT_EQ(get(s.port, "/devices").status, 200);
    kill(s.pid, sig);
    EXPECT_EQ(wait_exit(s.pid, 10), 0) << "signal " << sig << ": " << read_file(s.err_path);
    EXPECT_NE(read_file(s.err_path).find("powertrain serve: stopped"), std::string::npos);
  }
}

TEST(ServeCli, MissingStoreIsAClearErrorAndCreatesNothing) {
  TempDir dir;
  auto r = run_program({kBin, "serve", "--db", dir.file("none.db"), "--port", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no powertrain store at " + dir.file("none.db")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --db PATH"), std::string::npos) << r.err;
  EXPECT_NE(::access(dir.file("none.db").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace powertrain::test
