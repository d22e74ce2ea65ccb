/* http.c: POST with timeouts, retries and backoff over libcurl; HMAC-SHA256
 * signatures over OpenSSL's libcrypto. */
#include "http.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_BACKOFF_MS 60000

int cp_http_init(void)
{
  static int done;
  if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return -1;
  done = 1;
  return 0;
}

/* The response body is not needed: up to this much is read (and dropped),
 * then the transfer stops; the answer is its status. A receiver that
 * answers 2xx and then sends without end (gigabytes until timeout_ms) has
 * taken the events. */
#define MAX_BODY 65536

/* libcurl write callback: drops the body, and stops past MAX_BODY. */
static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
  size_t *seen = ctx;
  (void)p;
  *seen += size * n;
  return *seen > MAX_BODY ? 0 : size * n;
}

/* Sleeps ms milliseconds. */
static void sleep_ms(unsigned ms)
{
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Whether a request that failed with code rc can do better on a retry: an
 * untrusted certificate (or CA file) stays so. */
static int transient(CURLcode rc)
{
  return rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CACERT_BADFILE &&
         rc != CURLE_SSL_CERTPROBLEM && rc != CURLE_UNSUPPORTED_PROTOCOL &&
         rc != CURLE_URL_MALFORMAT;
}

/* Makes one request; fills res->status and res->error. Returns 0 on a 2xx. */
static int attempt(CURL *c, cp_http_result *res)
{
  char err[CURL_ERROR_SIZE] = "";
  size_t seen = 0;
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &seen);
  CURLcode rc = curl_easy_perform(c);
  res->attempts++;
  res->status = 0;
  res->final = 0;
  res->retry_after = 0;
  if (rc == CURLE_WRITE_ERROR && seen > MAX_BODY)   /* stopped reading a long body */
    rc = CURLE_OK;
  long code = 0;
  /* An answer is its status: a 2xx whose body then stalls or breaks off
   * (timeout_ms passes, the connection closes) has taken the events; a
   * retry would send them again and the push report a failure. */
  if (rc != CURLE_OK && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
      code >= 200 && code < 300)
    rc = CURLE_OK;
  if (rc != CURLE_OK) {
    snprintf(res->error, sizeof res->error, "%.190s%s", *err ? err : curl_easy_strerror(rc),
             rc == CURLE_PEER_FAILED_VERIFICATION
                 ? " (a private CA: name its certificates in the sink's ca_file)" : "");
    res->final = !transient(rc);
    return -1;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
  if (res->status >= 200 && res->status < 300) {
    res->error[0] = '\0';
    return 0;
  }
  /* Retry-After (seconds or an HTTP date; libcurl reads both): how long
   * the receiver asks us to wait before the next attempt. */
  curl_off_t after = 0;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after) != CURLE_OK || after < 0)
    after = 0;
  res->retry_after = (long long)after;
  int again = res->status == 408 || res->status == 429 || res->status >= 500;
  if (again && after > MAX_BACKOFF_MS / 1000)   /* (a 400 is not retried, whatever it asks) */
    snprintf(res->error, sizeof res->error,
             "HTTP %ld (Retry-After %lld s, past the %d s a push waits)", res->status,
             (long long)after, MAX_BACKOFF_MS / 1000);
  else
    snprintf(res->error, sizeof res->error, "HTTP %ld", res->status);
  return -1;
}

/* Returns 1 when a failed attempt is worth retrying: not when the receiver
 * asked for a longer wait (Retry-After) than a push gives it; the events
 * wait for the next push instead. */
static int retryable(const cp_http_result *res)
{
  if (res->retry_after > MAX_BACKOFF_MS / 1000)
    return 0;
  return (res->status == 0 && !res->final) || res->status == 408 || res->status == 429 ||
         res->status >= 500;
}

int cp_http_post(const cp_sink_cfg *sink, const char *url, const char *body, size_t len,
                 const char *const *headers, cp_http_result *res)
{
  memset(res, 0, sizeof *res);
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  for (size_t i = 0; h && headers && headers[i]; i++)
    h = curl_slist_append(h, headers[i]);
  if (!c || !h) {
    snprintf(res->error, sizeof res->error, "out of memory");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return -1;
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)sink->timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "crmpolicy");
  if (sink->proxy)   /* "" is no proxy, even where the environment names one */
    curl_easy_setopt(c, CURLOPT_PROXY, strcmp(sink->proxy, "none") ? sink->proxy : "");
  if (sink->ca_file) {   /* a private CA (a receiver's self-signed certificate), alone: */
    curl_easy_setopt(c, CURLOPT_CAINFO, sink->ca_file);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);   /* not the system's folder beside it */
  }
  unsigned wait = sink->backoff_ms;
  int ok = attempt(c, res);
  for (unsigned i = 0; ok != 0 && retryable(res) && i < sink->retries; i++) {
    /* the receiver's Retry-After, when longer than the backoff's wait */
    unsigned asked = (unsigned)res->retry_after * 1000;
    sleep_ms(asked > wait ? asked : wait);
    wait = wait > MAX_BACKOFF_MS / 2 ? MAX_BACKOFF_MS : wait * 2;
    ok = attempt(c, res);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return ok;
}

int cp_http_sign(const char *secret, const char *body, size_t len, char *out)
{
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac,
            &n))
    return -1;
  for (unsigned i = 0; i < n && i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", mac[i]);
  return 0;
}
