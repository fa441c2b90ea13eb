#include "platform/curl_transport.hpp"

#include <algorithm>
#include <functional>

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

// Ends a transfer when its request says so (a stop signal); libcurl asks at least once a
// second, and on every chunk moved.
int progress(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto& asked = *static_cast<const std::function<bool()>*>(cancelled);
  return asked && asked() ? 1 : 0;
}

// HTTP answers that say "never": the request itself is refused, not the moment. 408 (request
// timeout), 425 (too early) and 429 (too many requests) are worth another try.
bool refused_for_good(long status) {
  return status >= 400 && status < 500 && status != 408 && status != 425 && status != 429;
}

// One transfer: the handle and what it points to, freed together.
struct Easy {
  explicit Easy(const curl::Api& a) : api(&a), h(a.easy_init()) {}
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  const curl::Api* api;
  CURL* h;
  curl_slist* headers = nullptr;
  curl_slist* recipients = nullptr;
  curl_mime* mime = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  ~Easy() {
    api->mime_free(mime);
    api->slist_free_all(recipients);
    api->slist_free_all(headers);
    api->easy_cleanup(h);
  }
  void add_header(const std::string& name, const std::string& value) {
    headers = api->slist_append(headers, (name + ": " + value).c_str());
  }
};

// A text part's line breaks as RFC 2045 wants them: CRLF, which the quoted-printable encoder
// keeps as line breaks (a bare LF it writes as "=0A", which a text part must not hold).
std::string crlf_lines(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

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
  return one_line(detail.empty() ? e.api->easy_strerror(code) : detail);
}

class CurlTransport final : public NotifyTransport {
 public:
  explicit CurlTransport(std::string ca_file) : ca_file_(std::move(ca_file)) {}

  DeliveryResult send_http(const HttpRequest& req) override {
    std::string answer;
    long status = 0;
    DeliveryResult r = transfer(
        req.url, req.timeout, req.cancelled, "http,https",
        [&](Easy& e) {
          const curl::Api& c = *e.api;
          for (const auto& [name, value] : req.headers) e.add_header(name, value);
          // No "Expect: 100-continue" pause before the body ("Name:" with nothing after it
          // takes a header of curl's own out).
          e.headers = c.slist_append(e.headers, "Expect:");
          c.easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
          if (req.method == "POST") {
            c.easy_setopt(e.h, CURLOPT_POSTFIELDS, req.body.data());
            c.easy_setopt(e.h, CURLOPT_POSTFIELDSIZE_LARGE,
                          static_cast<curl_off_t>(req.body.size()));
          }
          c.easy_setopt(e.h, CURLOPT_WRITEFUNCTION, &keep_answer);
          c.easy_setopt(e.h, CURLOPT_WRITEDATA, &answer);
        },
        &status);
    if (!r.ok || (status >= 200 && status < 300)) return r;
    std::string error = "the server answered HTTP " + std::to_string(status);
    if (!answer.empty()) error += ": " + one_line(answer);
    return {false, error, refused_for_good(status)};
  }

  DeliveryResult send_mail(const MailRequest& m) override {
    const std::string from = "<" + m.from + ">";
    long status = 0;
    DeliveryResult r = transfer(
        m.server, m.timeout, m.cancelled, "smtp,smtps",
        [&](Easy& e) {
          const curl::Api& c = *e.api;
          // smtp:// must upgrade with STARTTLS or fail; smtps:// is TLS from the start.
          c.easy_setopt(e.h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
          if (!m.user.empty()) {
            c.easy_setopt(e.h, CURLOPT_USERNAME, m.user.c_str());
            c.easy_setopt(e.h, CURLOPT_PASSWORD, m.password.c_str());
          }
          c.easy_setopt(e.h, CURLOPT_MAIL_FROM, from.c_str());
          for (const auto& to : m.to) {
            e.recipients = c.slist_append(e.recipients, ("<" + to + ">").c_str());
          }
          c.easy_setopt(e.h, CURLOPT_MAIL_RCPT, e.recipients);
          for (const auto& [name, value] : m.headers) e.add_header(name, value);
          c.easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
          // multipart/mixed: the text for people, and the payload as alert.json.
          e.mime = c.mime_init(e.h);
          curl_mimepart* text = c.mime_addpart(e.mime);
          const std::string lines = crlf_lines(m.text);
          c.mime_data(text, lines.data(), lines.size());
          c.mime_type(text, "text/plain; charset=utf-8");
          c.mime_encoder(text, "quoted-printable");
          curl_mimepart* json = c.mime_addpart(e.mime);
          c.mime_data(json, m.json.data(), m.json.size());
          c.mime_type(json, "application/json");
          c.mime_filename(json, "alert.json");
          c.mime_encoder(json, "base64");
          c.easy_setopt(e.h, CURLOPT_MIMEPOST, e.mime);
        },
        &status);
    // An SMTP 5xx (a refused login, sender or recipient) is for good; 4xx is for now.
    if (!r.ok && status >= 500 && status < 600) r.permanent = true;
    return r;
  }

 private:
  // Loads libcurl (once), prepares a transfer of url with what every transfer has, lets
  // set_up add its own, and performs it; ok when it completed (for HTTP, `status` then holds
  // the answer's status code).
  DeliveryResult transfer(const std::string& url, Millis timeout,
                          const std::function<bool()>& cancelled, const char* protocols,
                          const std::function<void(Easy&)>& set_up, long* status = nullptr) const {
    std::string error;
    const curl::Api* c = curl::api(error);
    if (!c) return {false, error};
    Easy e(*c);
    if (!e.h) return {false, "libcurl could not start a transfer"};
    c->easy_setopt(e.h, CURLOPT_URL, url.c_str());
    c->easy_setopt(e.h, CURLOPT_ERRORBUFFER, e.error);
    c->easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(e.h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    c->easy_setopt(e.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
#if LIBCURL_VERSION_NUM >= 0x075500
    c->easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, protocols);
#else
    (void)protocols;
#endif
    c->easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);
    c->easy_setopt(e.h, CURLOPT_SSL_VERIFYPEER, 1L);
    c->easy_setopt(e.h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_file_.empty()) c->easy_setopt(e.h, CURLOPT_CAINFO, ca_file_.c_str());
    static const std::string agent = std::string("pipeline_runner/") + kRunnerVersion;
    c->easy_setopt(e.h, CURLOPT_USERAGENT, agent.c_str());
    if (cancelled) {
      c->easy_setopt(e.h, CURLOPT_NOPROGRESS, 0L);
      c->easy_setopt(e.h, CURLOPT_XFERINFOFUNCTION, &progress);
      c->easy_setopt(e.h, CURLOPT_XFERINFODATA, &cancelled);
    }
    set_up(e);
    CURLcode code = c->easy_perform(e.h);
    if (status) c->easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, status);
    if (code == CURLE_ABORTED_BY_CALLBACK) return {false, "ended: the runner was asked to stop"};
    if (code != CURLE_OK) return {false, why(code, e)};
    return {true, {}};
  }

  std::string ca_file_;
};

}  // namespace

std::unique_ptr<NotifyTransport> make_curl_transport(std::string ca_file) {
  return std::make_unique<CurlTransport>(std::move(ca_file));
}

}  // namespace pipeline
