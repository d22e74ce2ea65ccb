/* http.h: the HTTP deliveries of push (libcurl): a POST with retries and
 * backoff, and the HMAC-SHA256 signature of a body (libcrypto). */
#ifndef CP_HTTP_H
#define CP_HTTP_H

#include <stddef.h>

#include "config.h"

/* The result of a delivery. */
typedef struct cp_http_result {
  long status;              /* the last HTTP status; 0 when no response came */
  unsigned attempts;        /* requests made */
  char error[256];          /* what went wrong last ("" after a 2xx) */
  int final;                /* no response, and a retry cannot mend it (an untrusted
                               certificate, a bad URL) */
  long long retry_after;    /* the last answer's Retry-After, in seconds (0: none) */
} cp_http_result;

/* Initialises libcurl once for the process; returns -1 when it cannot. */
int cp_http_init(void);

/* POSTs body (len bytes of JSON) to url with the extra header lines headers
 * (NULL-terminated), under the sink's timeout, retrying a failed request
 * (no response, 408, 429 or 5xx) up to sink->retries times after
 * sink->backoff_ms, doubled each time, or after the answer's Retry-After
 * when longer; one that asks for more than 60 s is not retried. Returns 0 on a 2xx, else -1; *res
 * says what happened. */
int cp_http_post(const cp_sink_cfg *sink, const char *url, const char *body, size_t len,
                 const char *const *headers, cp_http_result *res);

/* Writes the HMAC-SHA256 of body under secret as 64 hex digits and a NUL
 * into out (65 bytes). Returns -1 when libcrypto fails. */
int cp_http_sign(const char *secret, const char *body, size_t len, char *out);

#endif
