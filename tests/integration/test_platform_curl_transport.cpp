// The curl transport on every platform (on Windows: libcurl on Schannel, under wine) against
// a loopback HTTP receiver of the test's own, on Asio: one request read, one answer given.
#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "platform/curl_transport.hpp"

using namespace pipeline;
namespace asio = boost::asio;

namespace {

class OneRequest {
 public:
  explicit OneRequest(std::string answer)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), answer_(std::move(answer)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~OneRequest() {
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  /// The request as received (head and body), once it was answered.
  std::string request() {
    thread_.join();
    return request_;
  }

 private:
  void serve() {
    asio::ip::tcp::socket s(io_);
    acceptor_.accept(s);
    std::string data;
    char buf[4096];
    boost::system::error_code ec;
    // The head, then as many bytes of body as Content-Length says.
    while (data.find("\r\n\r\n") == std::string::npos && !ec) {
      data.append(buf, s.read_some(asio::buffer(buf), ec));
    }
    std::size_t head = data.find("\r\n\r\n") + 4;
    std::size_t length = 0;
    if (auto at = data.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(data.substr(at + 16));
    }
    while (data.size() < head + length && !ec) data.append(buf, s.read_some(asio::buffer(buf), ec));
    request_ = data;
    asio::write(s, asio::buffer(answer_), ec);
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string answer_;
  std::string request_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("curl transport: a POST reaches a loopback receiver with its body and headers",
          "[notify]") {
  OneRequest receiver("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  HttpRequest req;
  req.url = receiver.url("/hooks/T0");
  req.body = R"({"schema":"pipeline_runner.notify/1","event":"failure"})";
  req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer t0k"}};
  req.timeout = Millis(10'000);
  DeliveryResult r = make_curl_transport("")->send_http(req);
  INFO(r.error);
  CHECK(r.ok);
  const std::string got = receiver.request();
  CHECK(got.rfind("POST /hooks/T0 HTTP/1.1\r\n", 0) == 0);
  CHECK_THAT(got, Catch::Contains("\r\nAuthorization: Bearer t0k\r\n"));
  CHECK_THAT(got, Catch::Contains("\r\nContent-Type: application/json\r\n"));
  CHECK_THAT(got, Catch::Contains("\r\nUser-Agent: pipeline_runner/"));
  CHECK(got.substr(got.find("\r\n\r\n") + 4) == req.body);
}

TEST_CASE("curl transport: a refusal says the status and what the receiver answered", "[notify]") {
  OneRequest receiver(
      "HTTP/1.1 403 Forbidden\r\nContent-Length: 13\r\nConnection: close\r\n\r\ntoken expired");
  HttpRequest req;
  req.method = "GET";
  req.url = receiver.url("/ping/uuid/fail");
  DeliveryResult r = make_curl_transport("")->send_http(req);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "the server answered HTTP 403: token expired");
  CHECK(receiver.request().rfind("GET /ping/uuid/fail HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("curl transport: a URL of another scheme is refused, not fetched", "[notify]") {
  HttpRequest req;
  req.url = "file:///etc/passwd";
  DeliveryResult r = make_curl_transport("")->send_http(req);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.error.empty());
}
