#include "platform/curl_transport.hpp"

#include <algorithm>

#include "platform/curl_api.hpp"
#include "util/version.hpp"

namespace pipeline {
namespace {

// What a receiver answers is not ours to keep: enough of it to say why it refused.
constexpr std::size_t kKeptAnswer = 300;

std::size_t keep_answer(char* data, std::size_t size, std::size_t count, void* out) {
  auto* answer = static_cast<std::string*>(out);
  std::size_t n = size * count;
  if (answer->size() < kKeptAnswer) answer->append(data, std::min(n, kKeptAnswer - answer->size()));
  return n;
}

struct Easy {
  explicit Easy(const curl::Api& api) : c_(&api), h(api.easy_init()) {}
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  const curl::Api* c_;
  CURL* h;
  curl_slist* headers = nullptr;
  curl_slist* recipients = nullptr;
  curl_mime* mime = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  ~Easy() {
    c_->mime_free(mime);
    c_->slist_free_all(recipients);
    c_->slist_free_all(headers);
    c_->easy_cleanup(h);
  }
};

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Why a transfer failed: curl's own words, the detailed ones when it has them.
std::string why(CURLcode code, const Easy& e) {
  std::string detail = e.error;
  return one_line(detail.empty() ? e.c_->easy_strerror(code) : detail);
}

class CurlTransport final : public NotifyTransport {
 public:
  explicit CurlTransport(std::string ca_file) : ca_file_(std::move(ca_file)) {}

  DeliveryResult send_http(const HttpRequest& req) override {
    std::string error;
    c_ = curl::api(error);
    if (!c_) return {false, error};
    Easy e(*c_);
    if (!e.h) return {false, "libcurl could not start a transfer"};
    common(e, req.url, req.timeout, "http,https");
    for (const auto& [name, value] : req.headers) {
      e.headers = c_->slist_append(e.headers, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" pause before the body.
    e.headers = c_->slist_append(e.headers, "Expect:");
    c_->easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
    if (req.method == "POST") {
      c_->easy_setopt(e.h, CURLOPT_POSTFIELDS, req.body.data());
      c_->easy_setopt(e.h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    std::string answer;
    c_->easy_setopt(e.h, CURLOPT_WRITEFUNCTION, &keep_answer);
    c_->easy_setopt(e.h, CURLOPT_WRITEDATA, &answer);
    CURLcode code = c_->easy_perform(e.h);
    if (code != CURLE_OK) return {false, why(code, e)};
    long status = 0;
    c_->easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return {true, {}};
    error = "the server answered HTTP " + std::to_string(status);
    if (!answer.empty()) error += ": " + one_line(answer);
    return {false, error};
  }

  DeliveryResult send_mail(const MailRequest& m) override {
    std::string error;
    c_ = curl::api(error);
    if (!c_) return {false, error};
    Easy e(*c_);
    if (!e.h) return {false, "libcurl could not start a transfer"};
    common(e, m.server, m.timeout, "smtp,smtps");
    // smtp:// must upgrade with STARTTLS or fail; smtps:// is TLS from the start.
    c_->easy_setopt(e.h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!m.user.empty()) {
      c_->easy_setopt(e.h, CURLOPT_USERNAME, m.user.c_str());
      c_->easy_setopt(e.h, CURLOPT_PASSWORD, m.password.c_str());
    }
    const std::string from = "<" + m.from + ">";
    c_->easy_setopt(e.h, CURLOPT_MAIL_FROM, from.c_str());
    for (const auto& to : m.to)
      e.recipients = c_->slist_append(e.recipients, ("<" + to + ">").c_str());
    c_->easy_setopt(e.h, CURLOPT_MAIL_RCPT, e.recipients);
    for (const auto& [name, value] : m.headers) {
      e.headers = c_->slist_append(e.headers, (name + ": " + value).c_str());
    }
    c_->easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
    // multipart/mixed: the text for people, and the payload as alert.json.
    e.mime = c_->mime_init(e.h);
    curl_mimepart* text = c_->mime_addpart(e.mime);
    c_->mime_data(text, m.text.data(), m.text.size());
    c_->mime_type(text, "text/plain; charset=utf-8");
    c_->mime_encoder(text, "quoted-printable");
    curl_mimepart* json = c_->mime_addpart(e.mime);
    c_->mime_data(json, m.json.data(), m.json.size());
    c_->mime_type(json, "application/json");
    c_->mime_filename(json, "alert.json");
    c_->mime_encoder(json, "base64");
    c_->easy_setopt(e.h, CURLOPT_MIMEPOST, e.mime);
    CURLcode code = c_->easy_perform(e.h);
    if (code != CURLE_OK) return {false, why(code, e)};
    return {true, {}};
  }

 private:
  void common(Easy& e, const std::string& url, Millis timeout, const char* protocols) const {
    c_->easy_setopt(e.h, CURLOPT_URL, url.c_str());
    c_->easy_setopt(e.h, CURLOPT_ERRORBUFFER, e.error);
    c_->easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
    c_->easy_setopt(e.h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    c_->easy_setopt(e.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
#if LIBCURL_VERSION_NUM >= 0x075500
    c_->easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, protocols);
#else
    (void)protocols;
#endif
    c_->easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);
    c_->easy_setopt(e.h, CURLOPT_SSL_VERIFYPEER, 1L);
    c_->easy_setopt(e.h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_file_.empty()) c_->easy_setopt(e.h, CURLOPT_CAINFO, ca_file_.c_str());
    static const std::string agent = std::string("pipeline_runner/") + kRunnerVersion;
    c_->easy_setopt(e.h, CURLOPT_USERAGENT, agent.c_str());
  }

  std::string ca_file_;
  const curl::Api* c_ = nullptr;
};

}  // namespace

std::unique_ptr<NotifyTransport> make_curl_transport(std::string ca_file) {
  return std::make_unique<CurlTransport>(std::move(ca_file));
}

}  // namespace pipeline
