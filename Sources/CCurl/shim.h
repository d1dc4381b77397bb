// Typed wrappers: curl_easy_setopt/getinfo are C variadics, which Swift cannot call.
#include <curl/curl.h>
static inline CURLcode scurl_setopt_long(CURL *h, CURLoption o, long v)        { return curl_easy_setopt(h, o, v); }
static inline CURLcode scurl_setopt_off (CURL *h, CURLoption o, curl_off_t v)  { return curl_easy_setopt(h, o, v); }
static inline CURLcode scurl_setopt_str (CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode scurl_setopt_ptr (CURL *h, CURLoption o, void *v)       { return curl_easy_setopt(h, o, v); }
static inline CURLcode scurl_setopt_write(CURL *h, curl_write_callback f)      { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode scurl_setopt_header(CURL *h, curl_write_callback f)     { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode scurl_setopt_xferinfo(CURL *h, curl_xferinfo_callback f){ return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }
static inline CURLcode scurl_getinfo_long(CURL *h, CURLINFO i, long *v)        { return curl_easy_getinfo(h, i, v); }
