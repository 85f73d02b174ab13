// A raw HTTP/1.1 client for tests: the request is written byte for byte to a TCP socket
// on 127.0.0.1 (nothing normalises paths on the way) and read until the server closes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace powertrain::test {

struct Reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;  // as sent (chunked bodies are not decoded)
};

// Returns a socket connected to 127.0.0.1:port (a failed connect fails the test).
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// Sends `request` as is to 127.0.0.1:port and reads until the server closes (or `max_s`).
inline Reply raw(int port, const std::string& request, double max_s = 10) {
  int fd = connect_loopback(port);
  timeval tv{};
  tv.tv_sec = 0;
  tv.tv_usec = 200000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a request it refuses
    sent += static_cast<size_t>(n);
  }
  std::string data;
  auto t0 = std::chrono::steady_clock::now();
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) { data.append(buf, static_cast<size_t>(n)); continue; }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;  // closed or reset
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_s) break;
  }
  ::close(fd);
  Reply r;
  size_t sep = data.find("\r\n\r\n");
  r.head = data.substr(0, sep);
  r.body = sep == std::string::npos ? "" : data.substr(sep + 4);
  if (data.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(data.substr(9, 3));
  return r;
}

inline Reply get(int port, const std::string& target, const std::string& host = "127.0.0.1") {
  return raw(port, "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
}

}  // namespace powertrain::test
