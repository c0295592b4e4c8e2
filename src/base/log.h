/*
 * log.h -- leveled logging to DATA/logs/aura.log with size-based rotation
 * (aura.log.1 ... aura.log.N), optional copy to stderr, and redaction of
 * every registered secret.
 *
 * Must never: write a registered secret, block the server for long (writes
 * are small appends), or allocate in a signal handler (never call it there).
 */
#ifndef AURA_LOG_H
#define AURA_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/util.h"

/* Open (append) the log file; rotate when it would pass max_size bytes,
 * keeping `keep` old files. Returns 0 or -1 (errno). */
int log_open(const char *path, uint64_t max_size, int keep);
void log_close(void);
void log_set_level(enum log_level level);
void log_set_stderr(bool on); /* also copy lines to stderr */

/* Register a secret: any occurrence in a later log line (in any spelling,
 * see log_redact) becomes "[REDACTED]". */
void log_add_secret(const char *secret);
void log_clear_secrets(void);

void log_msg(enum log_level level, const char *fmt, ...) AURA_PRINTF(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Replace every registered secret in s, raw, JSON-escaped or URL-encoded,
 * and every token that looks like a key (log_looks_like_key) by
 * "[REDACTED]": returns a new string the caller frees. Exposed for job
 * logs and error texts. */
char *log_redact(const char *s);

/* Whether the n bytes at s are one token (letters, digits, _ and -) that
 * looks like an API key: sk-... or sk_... of 20 or more, or 32 or more with
 * upper and lower case letters and digits. */
bool log_looks_like_key(const char *s, size_t n);

#endif
