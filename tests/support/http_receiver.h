#pragma once
// A tiny HTTP server for tests that receive budgetd's notifications: it records every request
// and answers with the statuses it is told to (200 once the list runs out).
//
//   HttpReceiver r;                      // listens on 127.0.0.1:<port>
//   r.fail_next(2, 500);                 // the next two requests get 500
//   r.wait_for(3, std::chrono::seconds(10));
//   r.requests()[0].body;

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace budgetd::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string body;
  unsigned answered;
};

class HttpReceiver {
 public:
  HttpReceiver();
  ~HttpReceiver();
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void fail_next(int count, unsigned status);
  // Every request whose body contains `needle` gets `status` (after the fail_next list).
  void refuse_containing(std::string needle, unsigned status);
  // The body of 200 answers ("{}" unless set).
  void answer_with(std::string body);
  // Waits until at least `n` requests arrived; false on timeout.
  bool wait_for(size_t n, std::chrono::milliseconds timeout);
  std::vector<ReceivedRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  std::deque<unsigned> statuses_;
  std::vector<std::pair<std::string, unsigned>> refusals_;
  std::string ok_body_ = "{}";
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace budgetd::test
