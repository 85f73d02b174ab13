// Private helpers for files written by the modules: one atomic write (a unique temporary
// file beside the target, fsync, rename, fsync of the directory), so that a crash or a
// full disk leaves the old file or the new one, never half of one, and two writers never
// share a temporary name.
//
// Example:
//   util::write_file_atomic("report.html", html);                 // throws FileError
//   util::replace_file_atomic("ckpt.pt", [&](const std::string& tmp) { archive.save_to(tmp); });
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace powertrain::util {

// Thrown by the writers below; what() names the file and the reason.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns the directory of `path` ("." for a bare file name).
inline std::string parent_dir(const std::string& path) {
  std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

// Returns "" when `path` ("-" = stdout, "" = nothing) can be written: it is not a
// directory and its directory exists and is writable. Otherwise returns why, with the fix.
inline std::string check_output_path(const std::string& path) {
  if (path.empty() || path == "-") return "";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return path + " is a directory: name a file";
  const std::string dir = parent_dir(path);
  if (!std::filesystem::is_directory(dir, ec)) return "directory " + dir + " does not exist: create it first";
  if (::access(dir.c_str(), W_OK) != 0) return "directory " + dir + " is not writable";
  return "";
}

namespace detail {
inline void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some file systems refuse fsync on directories
    ::close(fd);
  }
}
}  // namespace detail

// Creates a unique temporary file beside `path`, lets `write` fill it (by name), then
// syncs it to disk and renames it over `path`. The temporary file is removed when `write`
// throws (the exception is rethrown) or any step fails (FileError).
inline void replace_file_atomic(const std::string& path, const std::function<void(const std::string& tmp_path)>& write,
                                mode_t mode = 0644) {
  const std::string dir = parent_dir(path);
  std::string tmpl = (dir == "." && path.find('/') == std::string::npos ? std::string("./") : dir + "/") + "." +
                     std::filesystem::path(path).filename().string() + ".tmp-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw FileError("cannot write " + path + ": " + std::strerror(errno) + " (is " + dir +
                    " an existing, writable directory?)");
  }
  ::fchmod(fd, mode);
  ::close(fd);
  const std::string tmp(name.data());
  try {
    write(tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  bool synced = fd >= 0 && ::fsync(fd) == 0;
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (!synced) {
    ::unlink(tmp.c_str());
    throw FileError("cannot write " + path + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    throw FileError("cannot write " + path + ": " + std::strerror(err));
  }
  detail::fsync_dir(dir);
}

// Writes `text` to `path` atomically (see replace_file_atomic). Throws FileError naming
// the file and the reason (missing directory, no permission, disk full).
inline void write_file_atomic(const std::string& path, std::string_view text, mode_t mode = 0644) {
  replace_file_atomic(
      path,
      [&](const std::string& tmp) {
        int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0) throw FileError("cannot write " + path + ": " + std::strerror(errno));
        const char* p = text.data();
        size_t left = text.size();
        while (left > 0) {
          ssize_t n = ::write(fd, p, left);
          if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            throw FileError("cannot write " + path + ": " + std::strerror(err));
          }
          p += n;
          left -= static_cast<size_t>(n);
        }
        if (::close(fd) != 0) throw FileError("cannot write " + path + ": " + std::strerror(errno));
      },
      mode);
}

}  // namespace powertrain::util
