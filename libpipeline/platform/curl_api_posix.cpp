#include <dlfcn.h>

#include <mutex>

#include "platform/curl_api.hpp"

namespace pipeline::curl {
namespace {

template <typename F>
bool find(void* lib, const char* name, F& fn, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
  return fn != nullptr;
}

}  // namespace

const Api* api(std::string& error) {
  static Api table{};
  static std::string why;
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    void* lib = nullptr;
    for (const char* name : {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"}) {
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib) break;
    }
    if (!lib) {
      why =
          "libcurl is not installed (notifications need it; on Debian: apt-get install "
          "libcurl4)";
      return;
    }
    std::string missing;
    find(lib, "curl_global_init", table.global_init, missing);
    find(lib, "curl_easy_init", table.easy_init, missing);
    find(lib, "curl_easy_setopt", table.easy_setopt, missing);
    find(lib, "curl_easy_perform", table.easy_perform, missing);
    find(lib, "curl_easy_getinfo", table.easy_getinfo, missing);
    find(lib, "curl_easy_cleanup", table.easy_cleanup, missing);
    find(lib, "curl_easy_strerror", table.easy_strerror, missing);
    find(lib, "curl_slist_append", table.slist_append, missing);
    find(lib, "curl_slist_free_all", table.slist_free_all, missing);
    find(lib, "curl_mime_init", table.mime_init, missing);
    find(lib, "curl_mime_addpart", table.mime_addpart, missing);
    find(lib, "curl_mime_data", table.mime_data, missing);
    find(lib, "curl_mime_type", table.mime_type, missing);
    find(lib, "curl_mime_filename", table.mime_filename, missing);
    find(lib, "curl_mime_encoder", table.mime_encoder, missing);
    find(lib, "curl_mime_free", table.mime_free, missing);
    find(lib, "curl_version_info", table.version_info, missing);
    if (!missing.empty()) {
      why = "the installed libcurl is too old (it lacks " + missing + ")";
      return;
    }
    // Kept loaded for the life of the process: the table points into it.
    ok = table.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!ok) why = "libcurl could not initialise";
  });
  error = why;
  return ok ? &table : nullptr;
}

}  // namespace pipeline::curl
