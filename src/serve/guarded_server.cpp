// GuardedServer: a connection waits for its whole request head in one poll thread, with a
// deadline and a cap, before a worker thread answers it through httplib (see the header).
#include "serve/guarded_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace powertrain::serve {
namespace {

using Clock = std::chrono::steady_clock;

// A request head is complete at its blank line (httplib accepts only CRLF line ends).
bool head_complete(const std::string& bytes) { return bytes.find("\r\n\r\n") != std::string::npos; }

// Sends a short answer without waiting (best effort: the client may not read), then closes.
void refuse_and_close(int fd, const char* status_line) {
  std::string text = std::string("HTTP/1.1 ") + status_line +
                     "\r\nConnection: close\r\nContent-Length: 0\r\nCache-Control: no-store\r\n\r\n";
  (void)::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

void close_connection(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

// Returns poll()'s answer for one descriptor and `events`, waiting at most `timeout_ms`.
int wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, std::max(timeout_ms, 0));
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char host[NI_MAXHOST], service[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

// One request of a connection as an httplib::Stream: first the bytes the waiting thread
// received, then the socket, every read bounded by the read timeout and the deadline.
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(int fd, std::string bytes, int read_timeout_ms, int write_timeout_ms, Clock::time_point deadline)
      : fd_(fd), buffer_(std::move(bytes)), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms),
        deadline_(deadline) {}

  bool is_readable() const override { return pos_ < buffer_.size() || wait_for(fd_, POLLIN, read_wait_ms()) > 0; }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, write_timeout_ms_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == buffer_.size()) {
      if (wait_for(fd_, POLLIN, read_wait_ms()) <= 0) return -1;
      char chunk[4096];
      ssize_t n;
      do n = ::recv(fd_, chunk, sizeof chunk, 0); while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      buffer_.assign(chunk, static_cast<size_t>(n));
      pos_ = 0;
    }
    const size_t n = std::min(size, buffer_.size() - pos_);
    std::memcpy(ptr, buffer_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (wait_for(fd_, POLLOUT, write_timeout_ms_) <= 0) return -1;
    ssize_t n;
    do n = ::send(fd_, ptr, size, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

  // Returns the bytes received but not read (the start of a pipelined next request).
  std::string leftover() const { return buffer_.substr(pos_); }

 private:
  int read_wait_ms() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left, read_timeout_ms_)));
  }

  int fd_;
  std::string buffer_;
  size_t pos_ = 0;
  int read_timeout_ms_;
  int write_timeout_ms_;
  Clock::time_point deadline_;
};

// A request with a body leaves it unread (the dashboard answers GET and HEAD only, before
// any body is read), so its connection is closed after the answer: the body must never be
// read as the next request.
bool has_body(const httplib::Request& req) {
  const std::string length = req.get_header_value("Content-Length");
  return (!length.empty() && length != "0") || req.has_header("Transfer-Encoding");
}

// Runs `fn` for each connection handed over: an accept loop that waits for nothing.
class InlineQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

}  // namespace

GuardedServer::GuardedServer(GuardLimits limits) : limits_(limits) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  new_task_queue = [] { return new InlineQueue; };
}

GuardedServer::~GuardedServer() {
  stop();
  finish();
  ::close(wake_fd_);
}

void GuardedServer::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || finishing_) return;
  started_ = true;
  waiter_ = std::thread([this] { wait_loop(); });
  for (size_t i = 0; i < std::max<size_t>(limits_.workers, 1); ++i) workers_.emplace_back([this] { work_loop(); });
}

void GuardedServer::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finishing_ = true;
  }
  wake();
  ready_cv_.notify_all();
  if (waiter_.joinable()) waiter_.join();
  for (auto& t : workers_) if (t.joinable()) t.join();
  workers_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  for (const Waiting& w : incoming_) close_connection(w.fd);
  incoming_.clear();
  for (const Ready& r : ready_) close_connection(r.fd);
  ready_.clear();
}

void GuardedServer::wake() {
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  add_waiting(sock, "", std::max<size_t>(keep_alive_max_count_, 1));
  return true;
}

void GuardedServer::add_waiting(int fd, std::string head, size_t requests_left) {
  std::unique_lock<std::mutex> lock(mu_);
  if (finishing_ || !started_) {
    lock.unlock();
    close_connection(fd);
    return;
  }
  incoming_.push_back({fd, std::move(head), Clock::now(), requests_left});
  lock.unlock();
  wake();
}

void GuardedServer::wait_loop() {
  const auto head_timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits_.head_timeout_s));
  std::vector<Waiting> waiting;
  std::vector<pollfd> fds;
  std::vector<Ready> complete;
  char chunk[4096];
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finishing_) break;
      for (Waiting& w : incoming_) {
        if (head_complete(w.head)) {  // a pipelined request already whole
          complete.push_back({w.fd, std::move(w.head), w.requests_left});
          continue;
        }
        if (waiting.size() >= std::max<size_t>(limits_.max_waiting, 1)) {
          // Full: the connection that has waited longest goes (a slow client, as a rule).
          auto oldest = std::min_element(waiting.begin(), waiting.end(),
                                         [](const Waiting& a, const Waiting& b) { return a.since < b.since; });
          refuse_and_close(oldest->fd, "408 Request Timeout");
          waiting.erase(oldest);
        }
        waiting.push_back(std::move(w));
      }
      incoming_.clear();
    }

    // Complete requests go to the workers (or are refused when too many are queued).
    for (Ready& r : complete) {
      std::unique_lock<std::mutex> lock(mu_);
      if (ready_.size() >= std::max<size_t>(limits_.max_ready, 1)) {
        lock.unlock();
        refuse_and_close(r.fd, "503 Service Unavailable");
        continue;
      }
      ready_.push_back(std::move(r));
      lock.unlock();
      ready_cv_.notify_one();
    }
    complete.clear();

    const auto now = Clock::now();
    auto next_deadline = now + std::chrono::seconds(1);
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    for (const Waiting& w : waiting) {
      fds.push_back(pollfd{w.fd, POLLIN, 0});
      next_deadline = std::min(next_deadline, w.since + head_timeout);
    }
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - now).count() + 1;
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait_ms)));
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t count = 0;
      (void)::read(wake_fd_, &count, sizeof count);
    }

    const auto after = Clock::now();
    std::vector<Waiting> still;
    still.reserve(waiting.size());
    for (size_t i = 0; i < waiting.size(); ++i) {
      Waiting& w = waiting[i];
      if (n > 0 && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t got;
        do got = ::recv(w.fd, chunk, sizeof chunk, MSG_DONTWAIT); while (got < 0 && errno == EINTR);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          close_connection(w.fd);  // the client went away
          continue;
        }
        if (got > 0) w.head.append(chunk, static_cast<size_t>(got));
        if (head_complete(w.head)) {
          complete.push_back({w.fd, std::move(w.head), w.requests_left});
          continue;
        }
        if (w.head.size() > limits_.max_head_bytes) {
          // As httplib would answer: a request line over its 8 KiB limit is 414.
          const bool long_line = w.head.find("\r\n") > CPPHTTPLIB_REQUEST_URI_MAX_LENGTH;
          refuse_and_close(w.fd, long_line ? "414 URI Too Long" : "431 Request Header Fields Too Large");
          continue;
        }
      }
      if (after >= w.since + head_timeout) {
        refuse_and_close(w.fd, "408 Request Timeout");
        continue;
      }
      still.push_back(std::move(w));
    }
    waiting.swap(still);
  }
  for (const Waiting& w : waiting) close_connection(w.fd);
  for (const Ready& r : complete) close_connection(r.fd);
}

void GuardedServer::work_loop() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    ready_cv_.wait(lock, [this] { return finishing_ || !ready_.empty(); });
    if (ready_.empty()) return;  // finishing, nothing left
    Ready r = std::move(ready_.front());
    ready_.pop_front();
    const bool closing = finishing_;
    lock.unlock();
    if (closing) {
      close_connection(r.fd);
      continue;
    }
    answer_connection(std::move(r));
  }
}

void GuardedServer::answer_connection(Ready r) {
  const auto ms = [](time_t s, time_t us) { return static_cast<int>(s * 1000 + us / 1000); };
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(limits_.head_timeout_s));
  ConnectionStream strm(r.fd, std::move(r.bytes), ms(read_timeout_sec_, read_timeout_usec_),
                        ms(write_timeout_sec_, write_timeout_usec_), deadline);
  bool connection_closed = false;
  bool body = false;
  const bool ok = process_request(strm, /*close_connection=*/r.requests_left <= 1, connection_closed,
                                  [&body](httplib::Request& req) { body = has_body(req); });
  if (!ok || connection_closed || body || r.requests_left <= 1 || svr_sock_ == INVALID_SOCKET) {
    close_connection(r.fd);
    return;
  }
  add_waiting(r.fd, strm.leftover(), r.requests_left - 1);  // kept alive: wait for its next head
}

std::string GuardedServer::answer(const std::string& request) {
  httplib::detail::BufferStream strm;
  strm.write(request.data(), request.size());
  bool connection_closed = false;
  process_request(strm, /*close_connection=*/true, connection_closed, nullptr);
  return strm.get_buffer().substr(request.size());
}

}  // namespace powertrain::serve
