#include <mutex>

#include "platform/curl_api.hpp"

namespace pipeline::curl {

// Linked in statically (tools/windows/build-deps.sh builds it with Schannel, Windows' own TLS).
const Api* api(std::string& error) {
  static const Api table{&curl_global_init,   &curl_easy_init,     &curl_easy_setopt,
                         &curl_easy_perform,  &curl_easy_getinfo,  &curl_easy_cleanup,
                         &curl_easy_strerror, &curl_slist_append,  &curl_slist_free_all,
                         &curl_mime_init,     &curl_mime_addpart,  &curl_mime_data,
                         &curl_mime_type,     &curl_mime_filename, &curl_mime_encoder,
                         &curl_mime_free,     &curl_version_info};
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  error = ok ? "" : "libcurl could not initialise";
  return ok ? &table : nullptr;
}

}  // namespace pipeline::curl
