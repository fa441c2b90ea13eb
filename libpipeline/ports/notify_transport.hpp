#pragma once
/// How an alert leaves the machine: an HTTP request (webhook, heartbeat ping) or a mail over
/// SMTP. The real one is libcurl (platform/curl_transport); tests use a loopback receiver or
/// a fake. Each call is bounded by its timeout and never throws.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "util/duration.hpp"

namespace pipeline {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";  ///< "POST" or "GET"
  std::string url;
  HeaderList headers;
  std::string body;
  Millis timeout{10'000};
  /// Polled during the transfer (about once a second at least): true ends it at once (a stop
  /// signal). Unset: never.
  std::function<bool()> cancelled;
};

struct MailRequest {
  std::string server;  ///< smtp://host:port (STARTTLS required) or smtps://host:port
  std::string user;    ///< empty: no login
  std::string password;
  std::string from;
  std::vector<std::string> to;
  HeaderList headers;  ///< Subject, From, To, Date, Message-ID, ...
  std::string text;    ///< the body for people (UTF-8)
  std::string json;    ///< the payload, attached as alert.json
  Millis timeout{10'000};
  std::function<bool()> cancelled;  ///< as HttpRequest's
};

struct DeliveryResult {
  bool ok = false;
  std::string error;  ///< one line: why not (connection refused, HTTP 500, timed out, ...)
  /// The receiver refused it for good (HTTP 4xx but 408, 425 and 429; an SMTP 5xx answer):
  /// sending it again cannot help.
  bool permanent = false;
};

class NotifyTransport {
 public:
  virtual ~NotifyTransport() = default;
  /// ok when the server answered 2xx.
  virtual DeliveryResult send_http(const HttpRequest& request) = 0;
  /// ok when the server accepted the mail for every recipient.
  virtual DeliveryResult send_mail(const MailRequest& mail) = 0;
};

}  // namespace pipeline
