#pragma once
/// A NotifyTransport that records what it was asked to send and fails on demand, and an
/// AlertOutbox in memory: the notifier tested without a network or a disk.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ports/alert_outbox.hpp"
#include "ports/notify_transport.hpp"

namespace pipeline::testing {

class FakeTransport final : public NotifyTransport {
 public:
  std::vector<HttpRequest> http;
  std::vector<MailRequest> mail;
  /// What the next deliveries answer, first to last; when empty, they succeed.
  std::vector<DeliveryResult> answers;
  /// Called as each delivery is made (a clock moved on, a stop requested).
  std::function<void()> on_send;

  DeliveryResult send_http(const HttpRequest& r) override {
    http.push_back(r);
    if (on_send) on_send();
    return next();
  }
  DeliveryResult send_mail(const MailRequest& m) override {
    mail.push_back(m);
    if (on_send) on_send();
    return next();
  }

 private:
  DeliveryResult next() {
    if (answers.empty()) return {true, {}};
    DeliveryResult r = answers.front();
    answers.erase(answers.begin());
    return r;
  }
};

/// Hands out one shared FakeTransport to whoever asks (the Machine's make_transport).
struct FakeTransports {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  fs::path last_ca_file;
  auto factory() {
    return [this](const fs::path& ca_file) -> std::unique_ptr<NotifyTransport> {
      last_ca_file = ca_file;
      struct Shared final : NotifyTransport {
        std::shared_ptr<FakeTransport> t;
        DeliveryResult send_http(const HttpRequest& r) override { return t->send_http(r); }
        DeliveryResult send_mail(const MailRequest& m) override { return t->send_mail(m); }
      };
      auto s = std::make_unique<Shared>();
      s->t = transport;
      return s;
    };
  }
};

class FakeOutbox final : public AlertOutbox {
 public:
  std::vector<PendingAlert> alerts;
  bool fail_add = false;

  std::int64_t add(const PendingAlert& a) override {
    if (fail_add) throw std::runtime_error("disk full");
    alerts.push_back(a);
    alerts.back().id = ++last_id_;
    return last_id_;
  }
  std::vector<PendingAlert> pending() override { return alerts; }
  void failed(std::int64_t id, const std::string& error, std::int64_t tried_ms,
              std::int64_t now_ms) override {
    for (auto& a : alerts) {
      if (a.id == id) {
        ++a.attempts;
        a.last_error = error;
        a.tried_ms = tried_ms;
        a.last_ms = now_ms;
      }
    }
  }
  void remove(std::int64_t id) override {
    alerts.erase(std::remove_if(alerts.begin(), alerts.end(),
                                [&](const PendingAlert& a) { return a.id == id; }),
                 alerts.end());
  }

 private:
  std::int64_t last_id_ = 0;
};

}  // namespace pipeline::testing
