// Private to serve/: cpp-httplib's Server, guarded against slow and idle clients.
//
// httplib 0.11 gives every accepted connection a pool thread for its whole life, and its
// read timeout restarts with every byte: 40 clients trickling one header byte every few
// seconds held every thread and starved every other request. Here a connection takes a
// worker thread only once its request head (request line and headers) has arrived whole.
// Until then one thread waits on all such connections at once (poll), with a deadline for
// the whole head and a cap on how many may wait (beyond it the longest-waiting one is
// closed), so slow clients cost a file descriptor each, never a worker. Complete requests
// go to the workers, which run httplib's own request handling (process_request) on them.
//
// Example:
//   serve::GuardedServer svr(serve::GuardLimits{});
//   svr.Get("/", handler);
//   svr.bind_to_port("127.0.0.1", 8050);
//   svr.start();
//   svr.listen_after_bind();   // until svr.stop()
//   svr.finish();              // closes waiting connections, joins the threads
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace powertrain::serve {

struct GuardLimits {
  double head_timeout_s = 10;  // a request's head must arrive whole within this, from the connection
                               // (or the previous answer on a kept-alive connection)
  size_t max_waiting = 128;    // connections waiting for a head at once; beyond, the longest-waiting is closed
  size_t workers = 24;         // threads answering complete requests (a live event stream holds one)
  size_t max_ready = 256;      // complete requests waiting for a worker; beyond, answered 503
  size_t max_head_bytes = 65536;  // a longer head is answered 414 (long request line) or 431 by the waiting thread
};

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(GuardLimits limits);
  ~GuardedServer() override;
  GuardedServer(const GuardedServer&) = delete;
  GuardedServer& operator=(const GuardedServer&) = delete;

  // Starts the waiting and answering threads; call before listen_after_bind().
  void start();
  // After listen_after_bind() has returned (stop() first): closes the waiting connections,
  // lets the workers finish what they answer, and joins the threads. Idempotent.
  void finish();
  // Returns the raw HTTP response to one raw request, run through httplib's parsing and
  // this server's handlers as a connection's would be, without a socket (tests, fuzzing).
  std::string answer(const std::string& request);

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiting {
    int fd;
    std::string head;          // bytes received so far
    Clock::time_point since;   // when it began waiting (the oldest is closed first)
    size_t requests_left;      // keep-alive requests this connection may still make
  };
  struct Ready {
    int fd;
    std::string bytes;         // the complete head, and whatever followed it
    size_t requests_left;
  };

  // Called by httplib's accept loop for every new connection: hands it to the waiting thread.
  bool process_and_close_socket(socket_t sock) override;
  void wait_loop();
  void work_loop();
  void answer_connection(Ready ready);
  void add_waiting(int fd, std::string head, size_t requests_left);
  void wake();

  GuardLimits limits_;
  int wake_fd_ = -1;  // eventfd: new connections, or stop
  std::mutex mu_;
  std::condition_variable ready_cv_;
  std::vector<Waiting> incoming_;  // handed over, not yet polled
  std::deque<Ready> ready_;
  bool started_ = false;
  bool finishing_ = false;
  std::thread waiter_;
  std::vector<std::thread> workers_;
};

}  // namespace powertrain::serve
