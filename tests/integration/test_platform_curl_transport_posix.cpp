#include <catch2/catch.hpp>

#include "platform/curl_transport.hpp"
#include "support/receiver_posix.hpp"
#include "support/temp_dir.hpp"

using namespace pipeline;
using namespace pipeline::testing;
using nlohmann::json;

namespace {

HttpRequest post(const std::string& url, const std::string& body) {
  HttpRequest r;
  r.url = url;
  r.body = body;
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer abc"}};
  r.timeout = Millis(5000);
  return r;
}

MailRequest mail_to(int port, const std::string& scheme = "smtp") {
  MailRequest m;
  m.server = scheme + "://localhost:" + std::to_string(port);
  m.user = "mailer";
  m.password = "s3cret-pw";
  m.from = "pipeline@example.org";
  m.to = {"team@example.org", "oncall@example.org"};
  m.headers = {{"From", m.from},
               {"To", "team@example.org, oncall@example.org"},
               {"Subject", "[pipeline_runner] sales: failure on etl-1"},
               {"Date", "Fri, 04 Oct 2024 00:00:00 +0000"}};
  m.text = "Pipeline sales on etl-1: the run failed (failure).\nstage extract: exit 2\n";
  m.json = R"({"schema":"pipeline_runner.notify/1","event":"failure"})";
  m.timeout = Millis(10'000);
  return m;
}

// A port nobody listens on: bound, then closed.
int closed_port() {
  TempDir dir;
  Receiver r(dir.path(), "gone", {"http"});
  int port = r.port();
  r.stop();
  return port;
}

}  // namespace

TEST_CASE("curl: a webhook POST carries the body and headers; 2xx is delivered", "[notify]") {
  TempDir dir;
  Receiver hook(dir.path(), "hook", {"http"});
  auto transport = make_curl_transport("");
  DeliveryResult r = transport->send_http(post(hook.url("/T0/B0"), R"({"event":"failure"})"));
  CHECK(r.ok);
  CHECK(r.error.empty());
  auto got = hook.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0]["method"] == "POST");
  CHECK(got[0]["path"] == "/T0/B0");
  CHECK(got[0]["body"] == R"({"event":"failure"})");
  CHECK(got[0]["headers"]["content-type"] == "application/json");
  CHECK(got[0]["headers"]["authorization"] == "Bearer abc");
  CHECK(got[0]["headers"]["user-agent"].get<std::string>().rfind("pipeline_runner/", 0) == 0);
  CHECK_FALSE(got[0]["headers"].contains("expect"));

  HttpRequest ping;
  ping.method = "GET";
  ping.url = hook.url("/ping/uuid/fail");
  CHECK(transport->send_http(ping).ok);
  CHECK(hook.received().at(1)["method"] == "GET");
  CHECK(hook.received().at(1)["path"] == "/ping/uuid/fail");
}

TEST_CASE("curl: a refusal, a closed port and a silent receiver each fail with why", "[notify]") {
  TempDir dir;
  auto transport = make_curl_transport("");
  Receiver refusing(dir.path(), "refusing", {"http", "--status", "503"});
  DeliveryResult r = transport->send_http(post(refusing.url(), "{}"));
  CHECK_FALSE(r.ok);
  CHECK(r.error == "the server answered HTTP 503: the receiver refused it");

  r = transport->send_http(post("http://127.0.0.1:" + std::to_string(closed_port()) + "/", "{}"));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::Contains("Failed to connect") || Catch::Contains("refused"));

  // Accepts the connection and never answers: the timeout ends it.
  Receiver silent(dir.path(), "silent", {"http", "--silent"});
  HttpRequest slow = post(silent.url(), "{}");
  slow.timeout = Millis(300);
  auto started = std::chrono::steady_clock::now();
  r = transport->send_http(slow);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::Contains("timed out") || Catch::Contains("Timeout"));
  CHECK(took >= std::chrono::milliseconds(250));  // it waited (curl rounds to its tick)
  CHECK(took < std::chrono::seconds(5));          // bounded by its timeout, not by the receiver
}

TEST_CASE("curl: mail over STARTTLS with a login, the text and the JSON attached", "[notify]") {
  TempDir dir;
  TestCertificate cert(dir.path());
  Receiver smtp(dir.path(), "smtp",
                {"smtp", "--cert", cert.cert.string(), "--key", cert.key.string(), "--user",
                 "mailer", "--password", "s3cret-pw"});
  auto transport = make_curl_transport(cert.cert.string());
  DeliveryResult r = transport->send_mail(mail_to(smtp.port()));
  INFO(r.error);
  REQUIRE(r.ok);
  auto got = smtp.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0]["tls"] == true);
  CHECK(got[0]["login"] == "mailer");
  CHECK(got[0]["mail_from"] == "pipeline@example.org");
  CHECK(got[0]["rcpt_tos"] == json{"team@example.org", "oncall@example.org"});
  const std::string data = got[0]["data"];
  CHECK_THAT(data, Catch::Contains("Subject: [pipeline_runner] sales: failure on etl-1"));
  CHECK_THAT(data, Catch::Contains("Content-Type: multipart/mixed"));
  CHECK_THAT(data, Catch::Contains("Content-Type: text/plain; charset=utf-8"));
  CHECK_THAT(data, Catch::Contains("stage extract: exit 2"));
  CHECK_THAT(data, Catch::Contains("Content-Type: application/json"));
  CHECK_THAT(data, Catch::Contains("filename=\"alert.json\""));
  // The JSON part in base64, as sent.
  CHECK_THAT(data, Catch::Contains("eyJzY2hlbWEiOiJwaXBlbGluZV9ydW5uZXIubm90aWZ5LzEiLCJldmVudCI6"));
}

TEST_CASE("curl: mail is refused without a trusted certificate or the right login", "[notify]") {
  TempDir dir;
  TestCertificate cert(dir.path());
  Receiver smtp(dir.path(), "smtp",
                {"smtp", "--cert", cert.cert.string(), "--key", cert.key.string(), "--user",
                 "mailer", "--password", "s3cret-pw"});
  // The system's CAs do not know a self-signed certificate: TLS is verified, not skipped.
  DeliveryResult r = make_curl_transport("")->send_mail(mail_to(smtp.port()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::Contains("certificate") || Catch::Contains("SSL"));

  MailRequest wrong = mail_to(smtp.port());
  wrong.password = "guess";
  r = make_curl_transport(cert.cert.string())->send_mail(wrong);
  CHECK_FALSE(r.ok);
  CHECK(smtp.received().empty());
}

TEST_CASE("curl: smtps speaks TLS from the first byte", "[notify]") {
  TempDir dir;
  TestCertificate cert(dir.path());
  Receiver smtps(dir.path(), "smtps",
                 {"smtp", "--smtps", "--cert", cert.cert.string(), "--key", cert.key.string()});
  MailRequest m = mail_to(smtps.port(), "smtps");
  m.user.clear();
  DeliveryResult r = make_curl_transport(cert.cert.string())->send_mail(m);
  INFO(r.error);
  CHECK(r.ok);
  REQUIRE(smtps.received().size() == 1);
  CHECK(smtps.received()[0]["tls"] == true);
}
