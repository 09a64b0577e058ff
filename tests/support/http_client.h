#pragma once
// A blocking HTTP/1.1 client for tests: one keep-alive connection, raw access when a test needs
// to misbehave (slow bodies, oversized headers, half-sent requests).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace budgetd::test {

struct HttpResult {
  int status = 0;                              // 0: no answer (connection closed or reset)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = false;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();

  HttpResult get(const std::string& target);
  HttpResult post(const std::string& target, const std::string& body,
                  const std::string& content_type = "application/json",
                  const std::map<std::string, std::string>& headers = {});
  HttpResult request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers);

  // Raw socket access.
  void send_raw(const std::string& bytes);
  // Reads one response (status 0 if the connection closed first), waiting at most `timeout`.
  HttpResult read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closed the connection (reads EOF or reset within `timeout`).
  bool wait_closed(std::chrono::milliseconds timeout);
  void reconnect();
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One GET on a fresh connection.
HttpResult http_get(uint16_t port, const std::string& target);

}  // namespace budgetd::test
