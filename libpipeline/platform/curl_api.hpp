#pragma once
/// The libcurl functions the transport calls, found when the first alert is sent: on Linux
/// from libcurl.so.4, opened then (linked at start, its 30-odd libraries cost every run about
/// 8 ms before main, notification or not); on Windows linked in. Types from <curl/curl.h>.

#include <curl/curl.h>

#include <string>

namespace pipeline::curl {

struct Api {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  curl_mime* (*mime_init)(CURL*);
  curl_mimepart* (*mime_addpart)(curl_mime*);
  CURLcode (*mime_data)(curl_mimepart*, const char*, size_t);
  CURLcode (*mime_type)(curl_mimepart*, const char*);
  CURLcode (*mime_filename)(curl_mimepart*, const char*);
  CURLcode (*mime_encoder)(curl_mimepart*, const char*);
  void (*mime_free)(curl_mime*);
  curl_version_info_data* (*version_info)(CURLversion);
};

/// The functions, loaded once (thread-safe); nullptr with why in `error` when libcurl cannot
/// be found or lacks one of them.
const Api* api(std::string& error);

}  // namespace pipeline::curl
