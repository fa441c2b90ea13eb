#pragma once
/// NotifyTransport over libcurl: HTTP(S) for webhooks and pings, SMTP with STARTTLS required
/// (smtp://) or implicit TLS (smtps://) for mail. No redirects are followed, TLS peers are
/// verified (against ca_file when given, else the system's store), and every call ends within
/// its timeout.

#include <memory>
#include <string>

#include "ports/notify_transport.hpp"

namespace pipeline {

/// ca_file: a PEM bundle of the CAs to trust instead of the system's; "" for the system's.
std::unique_ptr<NotifyTransport> make_curl_transport(std::string ca_file);

}  // namespace pipeline
