// One process per study: a POSIX record lock on one byte of `<store>.lock` (see lock.h).
#include "powertrain/search/lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "util/text.h"

namespace powertrain::search {

namespace {

// The byte of the lock file that stands for `study`: FNV-1a of its name, below 2^62.
long long byte_of(const std::string& study) {
  unsigned long long h = 1469598103934665603ull;
  for (unsigned char c : study) h = (h ^ c) * 1099511628211ull;
  return static_cast<long long>(h & ((1ull << 62) - 1));
}

struct flock record(short type, long long byte) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = byte;
  l.l_len = 1;
  return l;
}

// "pid 123 (powertrain tune --resume s1)", or "pid 123" when its command line is unreadable.
std::string describe(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
  for (char& c : cmd) if (c == '\0') c = ' ';
  std::string who = "pid " + std::to_string(pid);
  return cmd.empty() ? who : who + " (" + util::printable(cmd, 200) + ")";
}

}  // namespace

std::unique_ptr<StudyLock> StudyLock::acquire(const std::string& db, const std::string& study) {
  const std::string path = db + ".lock";
  const long long byte = byte_of(study);
  for (;;) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      int err = errno;
      throw ConfigError("cannot make the study lock file " + path + ": " + std::strerror(err) +
                        ": the store's directory must be writable (or pass --db PATH)");
    }
    struct flock l = record(F_WRLCK, byte);
    if (::fcntl(fd, F_SETLK, &l) != 0) {
      int err = errno;
      struct flock holder = record(F_WRLCK, byte);
      const bool known = ::fcntl(fd, F_GETLK, &holder) == 0;
      ::close(fd);
      // A whole-file lock is a holder removing the file as it lets go (~StudyLock): try again.
      if (known && (holder.l_type == F_UNLCK || holder.l_len == 0)) continue;
      std::string who = known && holder.l_pid > 0 ? describe(holder.l_pid) : std::string("another process");
      if (err != EACCES && err != EAGAIN) {
        throw ConfigError("cannot lock study '" + study + "' in " + path + ": " + std::strerror(err));
      }
      throw StudyBusyError("study '" + study + "' of " + db + " is being run by " + who +
                           ": wait for it to end or stop it (Ctrl-C; it resumes with --resume " + study +
                           "); to share a study between processes, run 'powertrain worker'");
    }
    // The file may have been removed by a holder that let go just before this lock: then this
    // lock is on a file nobody else can see; lock the file at the path instead.
    struct stat at_fd {}, at_path {};
    if (::fstat(fd, &at_fd) == 0 && ::stat(path.c_str(), &at_path) == 0 && at_fd.st_ino == at_path.st_ino &&
        at_fd.st_dev == at_path.st_dev) {
      return std::unique_ptr<StudyLock>(new StudyLock(fd, path, byte));
    }
    ::close(fd);
  }
}

StudyLock::~StudyLock() {
  // Remove the file when no other study of the store holds a lock on it: a whole-file write
  // lock succeeds only then (this process's own byte does not conflict with itself).
  struct flock all = record(F_WRLCK, 0);
  all.l_len = 0;
  if (::fcntl(fd_, F_SETLK, &all) == 0) ::unlink(path_.c_str());
  ::close(fd_);  // releases every lock of this process on the file
}

}  // namespace powertrain::search
