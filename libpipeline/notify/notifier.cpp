#include "notify/notifier.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "notify/alert_payload.hpp"
#include "util/error.hpp"
#include "util/paths.hpp"
#include "util/redact.hpp"
#include "util/time_format.hpp"

namespace pipeline {

using nlohmann::json;

struct Notifier::Outcome {
  bool ok = false;
  std::string error;
  bool permanent = false;  ///< refused for good: not kept for a retry
};

/// Expands the notify section's templates for one alert and remembers every secret it read,
/// so that no message about the delivery can carry one.
class Expander {
 public:
  Expander(const Config& config, const std::map<std::string, std::string>& environment,
           const PendingAlert& alert)
      : environment_(environment) {
    values_.scalars = {{"root", path_text(config.root)},    {"logs", path_text(config.logs)},
                       {"state", path_text(config.state)},  {"run_id", alert.run_id},
                       {"notify.event", alert.event},       {"notify.status", alert.status},
                       {"notify.pipeline", config.pipeline}};
    for (const auto& [name, path] : config.paths)
      values_.scalars["paths." + name] = path_text(path);
    values_.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = environment_.find(name);
      if (it == environment_.end()) return std::nullopt;
      secret(it->second, "${env." + name + "}");
      return it->second;
    };
    try {
      json payload = json::parse(alert.payload);
      values_.run_start = parse_rfc3339(payload.value("started_at", std::string()));
    } catch (const json::exception&) {
      // ${date:...} then has no value, and says so.
    }
  }

  std::string operator()(const Template& t) { return expand(t, values_); }

  /// A value that must never be written: every message is cleaned of it.
  void secret(const std::string& value, const std::string& name) { secrets_.add(value, name); }

  std::string redact(std::string text) const { return secrets_(std::move(text)); }

 private:
  const std::map<std::string, std::string>& environment_;
  PlaceholderValues values_;
  Redactor secrets_;
};

namespace {

constexpr const char* kWebhook = "webhook";
constexpr const char* kEmail = "email";
constexpr const char* kCommand = "command";

bool one_line(const std::string& s) {
  return s.find_first_of("\r\n") == std::string::npos;
}

// RFC 5322 date, in UTC: "Wed, 02 Dec 2026 22:30:00 +0000".
std::string mail_date(TimePoint t) {
  using namespace std::chrono;
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(floor<seconds>(t - day));
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02u %s %d %02d:%02d:%02d +0000",
                kDays[weekday(day).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return out;
}

std::string base64(std::string_view s) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < s.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) n |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) n |= static_cast<unsigned char>(s[i + 2]);
    b64 += kAlphabet[(n >> 18) & 63];
    b64 += kAlphabet[(n >> 12) & 63];
    b64 += i + 1 < s.size() ? kAlphabet[(n >> 6) & 63] : '=';
    b64 += i + 2 < s.size() ? kAlphabet[n & 63] : '=';
  }
  return b64;
}

// A header's value as RFC 5322 wants it on the wire: lines of at most 78 characters, folded
// (CRLF and a space) between words; ASCII as it is, anything else as RFC 2047 encoded words
// (UTF-8, base64) of at most 75 characters each, cut between characters. `name` is the
// header's name, which shares the first line.
std::string header_text(const std::string& name, const std::string& s) {
  constexpr std::size_t kLine = 78;
  const bool ascii =
      std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::vector<std::string> words;
  if (ascii) {
    std::istringstream in(s);
    for (std::string w; in >> w;) words.push_back(w);
  } else {
    // 42 bytes of UTF-8 are 56 of base64, 68 with "=?UTF-8?B?" and "?=": one fits the first
    // line beside "Subject: ".
    constexpr std::size_t kChunk = 42;
    for (std::size_t at = 0; at < s.size();) {
      std::size_t n = std::min(kChunk, s.size() - at);
      while (at + n < s.size() && n > 1 && (static_cast<unsigned char>(s[at + n]) & 0xC0) == 0x80) {
        --n;  // not in the middle of a character
      }
      words.push_back("=?UTF-8?B?" + base64(s.substr(at, n)) + "?=");
      at += n;
    }
  }
  std::string out;
  std::size_t line = name.size() + 2;  // "Subject: "
  for (const auto& w : words) {
    if (!out.empty()) {
      if (line + 1 + w.size() > kLine) {
        out += "\r\n";
        line = 0;
      }
      out += ' ';
      ++line;
    }
    out += w;
    line += w.size();
  }
  return out;
}

std::vector<const char*> channels_of(const NotifyConfig& n) {
  std::vector<const char*> out;
  if (n.webhook) out.push_back(kWebhook);
  if (n.email) out.push_back(kEmail);
  if (!n.command.empty()) out.push_back(kCommand);
  return out;
}

}  // namespace

void Notifier::after_run(const RunReport& run, const std::string& report_path,
                         const RunHealth& before) {
  const NotifyConfig& n = *s_.config.notify;
  deadline_ = s_.clock.monotonic() + n.budget;
  std::vector<PendingAlert> unkept;
  try {
    RunSummary summary = summary_of(run, report_path);
    std::optional<Millis> every;
    if (s_.config.schedule) every = s_.config.schedule->every;
    const std::int64_t now = unix_ms(s_.clock.now());
    for (const Alert& alert : alerts_for(n.on, before, summary, every)) {
      std::string payload = alert_payload(alert, run, report_path).dump();
      for (const char* channel : channels_of(n)) {
        PendingAlert a{0, channel, alert.event, run.run_id, summary.status, payload, now, 0, {}};
        if (s_.outbox) {
          try {
            s_.outbox->add(a);
            continue;
          } catch (const std::exception& e) {
            s_.events.emit(event_source::kNotify, event::kWarning,
                           std::string("the alert cannot be kept for a retry: ") + e.what(),
                           {{"channel", channel}, {"event", alert.event}});
          }
        }
        unkept.push_back(std::move(a));
      }
    }
    std::vector<PendingAlert> all;
    if (s_.outbox) {
      try {
        all = s_.outbox->pending();
      } catch (const std::exception& e) {
        s_.events.emit(event_source::kNotify, event::kWarning,
                       std::string("the kept alerts cannot be read: ") + e.what(), {});
      }
    }
    all.insert(all.end(), unkept.begin(), unkept.end());
    deliver_pending(run.run_id, all);
  } catch (const std::exception& e) {
    s_.events.emit(event_source::kNotify, event::kWarning,
                   std::string("notifications stopped: ") + e.what(), {});
  }
  ping(run);
}

std::string Notifier::held_back() const {
  if (s_.stop.requested()) return "the runner was asked to stop";
  if (s_.clock.monotonic() >= deadline_) {
    return "this run's delivery budget (notify.budget, " +
           format_duration(s_.config.notify->budget) + ") is spent";
  }
  return {};
}

Millis Notifier::within_budget(Millis timeout) const {
  return std::max(Millis(1), std::min(timeout, deadline_ - s_.clock.monotonic()));
}

std::int64_t Notifier::retry_gap(const PendingAlert& a, std::int64_t now) const {
  // A run every schedule interval: a gap longer than three of them (an hour at least) is a
  // clock that stepped or a machine that was off, not time spent retrying.
  Millis cap = std::chrono::hours(1);
  if (s_.config.schedule) cap = std::max(cap, 3 * s_.config.schedule->every);
  const std::int64_t since = a.last_ms != 0 ? a.last_ms : a.created_ms;
  return std::clamp<std::int64_t>(now - since, 0, cap.count());
}

void Notifier::deliver_pending(const std::string& run_id, const std::vector<PendingAlert>& alerts) {
  const std::int64_t now = unix_ms(s_.clock.now());
  const auto configured = channels_of(*s_.config.notify);
  std::vector<std::string> down;  // channels that failed in this run
  std::size_t kept = 0;
  std::string held;  // why the rest waits
  // The outbox is bounded: the oldest alerts beyond kOutboxMax go first, and say so.
  const std::size_t over = alerts.size() > kOutboxMax ? alerts.size() - kOutboxMax : 0;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    const PendingAlert& a = alerts[i];
    json data = {
        {"channel", a.channel}, {"event", a.event}, {"run_id", a.run_id}, {"attempts", a.attempts}};
    const std::string what = a.event + " alert of run " + a.run_id + " by " + a.channel;
    auto forget = [&](const std::string& why) {
      if (a.id != 0 && s_.outbox) s_.outbox->remove(a.id);
      data["error"] = why;
      s_.events.emit(event_source::kNotify, event::kFailed, what + " dropped: " + why, data);
    };
    if (std::none_of(configured.begin(), configured.end(),
                     [&](const char* c) { return a.channel == c; })) {
      forget("the config no longer has notify." + a.channel);
      continue;
    }
    if (i < over) {
      forget("the outbox keeps at most " + std::to_string(kOutboxMax) +
             " alerts; this was the oldest");
      continue;
    }
    const std::int64_t tried = a.tried_ms + retry_gap(a, now);
    if (tried > kAlertMaxAge.count()) {
      forget("not delivered in 24 h (" + std::to_string(a.attempts) +
             " attempts; last: " + a.last_error + ")");
      continue;
    }
    if (held.empty()) held = held_back();
    if (!held.empty() || std::find(down.begin(), down.end(), a.channel) != down.end()) {
      ++kept;
      continue;
    }
    Outcome out = deliver(a, run_id);
    data["attempts"] = a.attempts + 1;
    if (out.ok) {
      if (a.id != 0 && s_.outbox) s_.outbox->remove(a.id);
      s_.events.emit(event_source::kNotify, event::kSent, what + " sent", data);
      continue;
    }
    if (out.permanent) {
      // Refused for good: sending it again cannot help, and it must not hold the others back.
      forget("refused for good: " + out.error);
      continue;
    }
    down.push_back(a.channel);
    data["error"] = out.error;
    bool keep = a.id != 0 && s_.outbox;
    if (keep) {
      s_.outbox->failed(a.id, out.error, tried, now);
      ++kept;
    }
    s_.events.emit(event_source::kNotify, event::kFailed,
                   what + " not delivered: " + out.error +
                       (keep ? " (kept; the next runs retry it for 24 h)" : " (not kept)"),
                   data);
  }
  if (kept > 0) {
    s_.events.emit(event_source::kNotify, event::kKept,
                   std::to_string(kept) + " alert(s) wait for the next runs" +
                       (held.empty() ? "" : " (" + held + ")"),
                   {{"alerts", kept}, {"held_back", held.empty() ? json(nullptr) : json(held)}});
  }
}

Notifier::Outcome Notifier::deliver(const PendingAlert& alert, const std::string& run_id) {
  Expander x(s_.config, s_.environment, alert);
  try {
    Outcome out;
    if (alert.channel == kWebhook) out = send_webhook(alert, x);
    if (alert.channel == kEmail) out = send_email(alert, x);
    if (alert.channel == kCommand) out = run_command(alert, x, run_id);
    out.error = x.redact(out.error);
    return out;
  } catch (const std::exception& e) {
    return {false, x.redact(e.what())};
  }
}

Notifier::Outcome Notifier::send_webhook(const PendingAlert& alert, Expander& x) {
  const NotifyConfig::Webhook& w = *s_.config.notify->webhook;
  HttpRequest req;
  req.url = x(w.url);
  req.body = alert.payload;
  req.timeout = within_budget(w.timeout);
  req.cancelled = [stop = s_.stop] { return stop.requested(); };
  bool typed = false;
  for (const auto& [name, value] : w.headers) {
    std::string v = x(value);
    x.secret(v, "the value of header " + name);
    if (!one_line(v)) return {false, "header " + name + " holds a line break"};
    typed = typed || name == "Content-Type" || name == "content-type";
    req.headers.emplace_back(name, std::move(v));
  }
  if (!typed) req.headers.emplace_back("Content-Type", "application/json");
  DeliveryResult r = s_.transport.send_http(req);
  return {r.ok, r.error, r.permanent};
}

Notifier::Outcome Notifier::send_email(const PendingAlert& alert, Expander& x) {
  const NotifyConfig::Email& e = *s_.config.notify->email;
  MailRequest mail;
  mail.server = x(e.server);
  mail.from = x(e.from);
  std::string to_header;
  for (const auto& to : e.to) {
    mail.to.push_back(x(to));
    to_header += (to_header.empty() ? "" : ", ") + mail.to.back();
  }
  if (e.user) {
    mail.user = x(*e.user);
    x.secret(mail.user, "the mail user");
  }
  if (e.password) {
    mail.password = x(*e.password);
    x.secret(mail.password, "the mail password");
  }
  for (const std::string* v : {&mail.server, &mail.from, &to_header}) {
    if (!one_line(*v)) return {false, "a mail address or server holds a line break"};
  }
  json payload = json::parse(alert.payload);
  mail.headers = {{"From", mail.from},
                  {"To", to_header},
                  {"Subject", header_text("Subject", alert_subject(payload))},
                  {"Date", mail_date(s_.clock.now())},
                  {"Message-ID", "<" + alert.run_id + "." + alert.event + "@pipeline-runner>"},
                  {"X-Pipeline-Runner-Event", alert.event}};
  mail.text = alert_text(payload);
  mail.json = alert.payload;
  mail.timeout = within_budget(e.timeout);
  mail.cancelled = [stop = s_.stop] { return stop.requested(); };
  DeliveryResult r = s_.transport.send_mail(mail);
  return {r.ok, r.error, r.permanent};
}

Notifier::Outcome Notifier::run_command(const PendingAlert& alert, Expander& x,
                                        const std::string& run_id) {
  const NotifyConfig& n = *s_.config.notify;
  ProcessSpec spec;
  for (const auto& t : n.command) spec.argv.push_back(x(t));
  spec.cwd = s_.config.root;
  spec.env = s_.environment;
  spec.env["PIPELINE_NOTIFY_JSON"] = alert.payload;
  spec.env["PIPELINE_NOTIFY_EVENT"] = alert.event;
  RecordLayout layout(s_.config);
  const std::string name = "notify." + alert.event;
  spec.stdout_log = RecordLayout::stage_output(layout.stage_logs(run_id), name, 1, "stdout");
  spec.stderr_log = RecordLayout::stage_output(layout.stage_logs(run_id), name, 1, "stderr");
  spec.timeout = within_budget(n.command_timeout);
  spec.grace = std::min<Millis>(spec.timeout, Millis(5000));
  ProcessResult r = s_.supervisor.run(spec);
  if (!r.started) return {false, "could not start " + spec.argv.front() + ": " + r.start_error};
  if (r.timed_out) return {false, "timed out after " + format_duration(spec.timeout)};
  if (r.exit_code == 0) return {true, {}};
  std::string why = r.signal ? "killed by signal " + std::to_string(*r.signal)
                             : "exit code " + std::to_string(r.exit_code.value_or(-1));
  if (!r.stderr_tail.empty()) why += ": " + r.stderr_tail.back();
  return {false, why};
}

void Notifier::ping(const RunReport& run) {
  const NotifyConfig& n = *s_.config.notify;
  if (!n.ping) return;
  const std::string status(to_string(run.status));
  PendingAlert about{0, "ping", "ping", run.run_id, status, "{}", 0, 0, {}};
  Expander x(s_.config, s_.environment, about);
  const bool failing = is_failing_status(status);
  json data = {{"channel", "ping"}, {"run_id", run.run_id}, {"failing", failing}};
  if (const std::string held = held_back(); !held.empty()) {
    data["error"] = held;
    s_.events.emit(event_source::kNotify, event::kFailed, "heartbeat ping not sent: " + held, data);
    return;
  }
  try {
    HttpRequest req;
    req.method = "GET";
    req.url = x(n.ping->url) + (failing ? "/fail" : "");
    req.timeout = within_budget(n.ping->timeout);
    req.cancelled = [stop = s_.stop] { return stop.requested(); };
    DeliveryResult r = s_.transport.send_http(req);
    if (r.ok) {
      s_.events.emit(event_source::kNotify, event::kSent,
                     std::string("heartbeat ping sent") + (failing ? " (/fail)" : ""), data);
      return;
    }
    data["error"] = x.redact(r.error);
  } catch (const std::exception& e) {
    data["error"] = x.redact(e.what());
  }
  s_.events.emit(event_source::kNotify, event::kFailed,
                 "heartbeat ping not delivered: " + data["error"].get<std::string>(), data);
}

}  // namespace pipeline
