#ifndef EIS_CCURL_SHIM_H
#define EIS_CCURL_SHIM_H

#include <curl/curl.h>

// Swift does not import C variadic functions, so curl_easy_setopt, curl_easy_getinfo and
// curl_multi_setopt are reached through these typed wrappers. Each passes exactly the C type
// that libcurl documents for the option, which is what makes the variadic call well defined.

/// Callback type for CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*eis_curl_data_callback)(char *data, size_t size, size_t nmemb, void *userdata);

static inline CURLcode eis_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode eis_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode eis_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode eis_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode eis_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode eis_curl_easy_setopt_write_callback(CURL *handle, eis_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode eis_curl_easy_setopt_header_callback(CURL *handle, eis_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode eis_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode eis_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode eis_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

/// CURLMsg.data is a union; Swift reads it clumsily, so the result code is extracted here.
static inline CURLcode eis_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

#endif
