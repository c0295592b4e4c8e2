/*
 * http.c -- libcurl's multi interface on the aura loop: CURLMOPT_SOCKETFUNCTION
 * maps curl's sockets to loop fd watchers, CURLMOPT_TIMERFUNCTION to one loop
 * timer, and every readiness is handed back with curl_multi_socket_action.
 * One CURLSH shares DNS, connections and TLS sessions between requests.
 * The only file that includes <curl/curl.h>.
 *
 * Must never: block, disable TLS verification, log or copy a request header
 * into an error text, write a partial download under its final name, or call
 * a completion callback from inside a libcurl callback (curl forbids
 * re-entering the multi handle there).
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "providers/http.h"
#include "os/loop.h"
#include "base/util.h"

#define HTTP_DEFAULT_CONNECT_MS 10000
#define HTTP_DEFAULT_TIMEOUT_MS 60000
#define HTTP_DEFAULT_MAX	(8ULL * 1024 * 1024)
/* An error answer is only read for the log: keep its start, drop the rest. */
#define HTTP_ERROR_BODY_MAX 65536

enum xfer_fail { XF_NONE, XF_TOO_LARGE, XF_CTYPE, XF_WRITE };

struct xfer {
	struct http *h;
	int64_t id;
	CURL *easy;
	struct curl_slist *hdrs;
	http_done_fn cb;
	void *ctx;
	char errbuf[CURL_ERROR_SIZE];
	struct buf body;
	char *path;    /* download: final name */
	char *part;    /* download: name while it is written */
	int fd;	       /* download file, -1 until a 2xx body starts */
	char **ctypes; /* accepted content type prefixes, NULL-terminated */
	uint64_t max;
	uint64_t bytes;
	bool decided;	/* status/content type looked at (first body byte) */
	bool ok_status; /* 2xx */
	enum xfer_fail fail;
	int werrno;
	int64_t start;
	struct xfer *next;
};

struct http {
	struct loop *loop;
	CURLM *multi;
	CURLSH *share;
	uint64_t timer;
	int64_t next_id;
	struct xfer *xfers;
	size_t nxfers;
	int *fds; /* sockets we watch, so http_free can unwatch them */
	size_t nfds, capfds;
	struct metrics *metrics; /* the server's, for the providers: not used here */
};

void http_set_metrics(struct http *h, struct metrics *m)
{
	if (h)
		h->metrics = m;
}

struct metrics *http_metrics(const struct http *h)
{
	return h ? h->metrics : NULL;
}

static int curl_refs;

static void fds_add(struct http *h, int fd)
{
	for (size_t i = 0; i < h->nfds; i++)
		if (h->fds[i] == fd)
			return;
	XGROW(h->fds, h->nfds + 1, h->capfds, 8);
	h->fds[h->nfds++] = fd;
}

static void fds_del(struct http *h, int fd)
{
	for (size_t i = 0; i < h->nfds; i++)
		if (h->fds[i] == fd) {
			h->fds[i] = h->fds[--h->nfds];
			return;
		}
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	buf_free(&x->body);
	if (x->fd >= 0)
		close(x->fd);
	if (x->part)
		unlink(x->part); /* only still there when the download failed */
	free(x->part);
	free(x->path);
	if (x->ctypes)
		for (char **p = x->ctypes; *p; p++)
			free(*p);
	free(x->ctypes);
	free(x);
}

static void xfer_unlink(struct http *h, struct xfer *x)
{
	for (struct xfer **pp = &h->xfers; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			h->nxfers--;
			return;
		}
}

static bool ctype_ok(const struct xfer *x, const char *ct)
{
	if (!x->ctypes)
		return true;
	if (!ct)
		return false;
	for (char **p = x->ctypes; *p; p++)
		if (strncasecmp(ct, *p, strlen(*p)) == 0)
			return true;
	return false;
}

/* At the first body byte (or the end of an empty body): where does it go? */
static void xfer_decide(struct xfer *x)
{
	long status = 0;
	char *ct = NULL;

	x->decided = true;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	x->ok_status = status >= 200 && status < 300;
	if (!x->ok_status)
		return;
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	if (!ctype_ok(x, ct)) {
		x->fail = XF_CTYPE;
		return;
	}
	if (x->part) {
		x->fd = open(x->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (x->fd < 0) {
			x->fail = XF_WRITE;
			x->werrno = errno;
		}
	}
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	if (!x->decided)
		xfer_decide(x);
	if (x->fail != XF_NONE)
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	if (!x->ok_status) {
		/* An error answer: keep its start for the log, never fail on it. */
		if (x->body.len < HTTP_ERROR_BODY_MAX)
			buf_append(&x->body, p,
				   len < HTTP_ERROR_BODY_MAX - x->body.len
				       ? len
				       : HTTP_ERROR_BODY_MAX - x->body.len);
		x->bytes += len;
		return len;
	}
	if (x->bytes + len > x->max) {
		x->fail = XF_TOO_LARGE;
		return 0;
	}
	x->bytes += len;
	if (x->fd < 0) {
		buf_append(&x->body, p, len);
		return len;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(x->fd, p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			x->fail = XF_WRITE;
			x->werrno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	return len;
}

static void set_fail(struct http_response *r, int code, bool retryable, const char *fmt, ...)
    AURA_PRINTF(4, 5);
static void set_fail(struct http_response *r, int code, bool retryable, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	r->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* The transport outcome as a catalogue code; HTTP statuses stay for provider.c. */
static void map_result(struct xfer *x, CURLcode rc, struct http_response *r)
{
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

	switch (x->fail) {
	case XF_TOO_LARGE:
		set_fail(r, AURA_E_PROVIDER_BAD_RESPONSE, false,
			 "answer too large: more than %llu bytes", (unsigned long long)x->max);
		return;
	case XF_CTYPE:
		set_fail(r, AURA_E_PROVIDER_BAD_RESPONSE, false, "wrong content type: %s",
			 r->content_type ? r->content_type : "(none)");
		return;
	case XF_WRITE:
		set_fail(r, x->werrno == ENOSPC ? AURA_E_DISK_FULL : AURA_E_INTERNAL, false,
			 "cannot write the download: %s", strerror(x->werrno));
		return;
	case XF_NONE:
		break;
	}
	switch (rc) {
	case CURLE_OK:
		return;
	case CURLE_OPERATION_TIMEDOUT:
		set_fail(r, AURA_E_PROVIDER_TIMEOUT, true, "%s", why);
		return;
	case CURLE_FILESIZE_EXCEEDED:
		set_fail(r, AURA_E_PROVIDER_BAD_RESPONSE, false,
			 "answer too large: more than %llu bytes", (unsigned long long)x->max);
		return;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
		set_fail(r, AURA_E_PROVIDER_BAD_RESPONSE, false, "truncated answer: %s", why);
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		set_fail(r, AURA_E_PROVIDER_UNAVAILABLE, true, "%s", why);
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		set_fail(r, AURA_E_PROVIDER_UNAVAILABLE, false, "TLS verification failed: %s", why);
		return;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		set_fail(r, AURA_E_PROVIDER_NOT_CONFIGURED, false, "unusable URL: %s", why);
		return;
	default:
		set_fail(r, AURA_E_PROVIDER_UNAVAILABLE, false, "%s", why);
		return;
	}
}

static void xfer_finish(struct http *h, struct xfer *x, CURLcode rc)
{
	struct http_response r = { .retry_after_ms = -1 };
	char *ct = NULL;
	curl_off_t ra = -1;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	r.content_type = ct ? xstrdup(ct) : NULL;
	if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra >= 0 &&
	    (r.status == 429 || r.status == 503))
		r.retry_after_ms = (int64_t)ra * 1000;
	if (rc == CURLE_OK && !x->decided)
		xfer_decide(x); /* an empty body still has its type checked */
	map_result(x, rc, &r);
	if (x->fd >= 0) {
		if (close(x->fd) < 0 && r.code == 0)
			set_fail(&r, AURA_E_INTERNAL, false, "cannot write the download: %s",
				 strerror(errno));
		x->fd = -1;
	}
	if (r.code == 0 && x->part && x->ok_status) {
		if (x->bytes == 0 && access(x->part, F_OK) != 0)
			set_fail(&r, AURA_E_PROVIDER_BAD_RESPONSE, false, "empty download");
		else if (rename(x->part, x->path) < 0)
			set_fail(&r, AURA_E_INTERNAL, false, "cannot rename the download: %s",
				 strerror(errno));
		else {
			free(x->part);
			x->part = NULL;
		}
	}
	r.body = x->body.data ? x->body.data : (char *)"";
	r.body_len = x->body.len;
	r.bytes = x->bytes;
	r.elapsed_ms = time_mono_ms() - x->start;

	xfer_unlink(h, x);
	curl_multi_remove_handle(h->multi, x->easy);
	x->cb(&r, x->ctx);
	free(r.content_type);
	xfer_free(x);
}

static void drain(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		struct xfer *x = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			xfer_finish(h, x, m->data.result);
	}
}

static void on_fd(struct loop *l, int fd, int revents, void *ctx)
{
	struct http *h = ctx;
	int flags = 0, running;

	(void)l;
	if (revents & LOOP_READ)
		flags |= CURL_CSELECT_IN;
	if (revents & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	drain(h);
}

static void on_loop_timer(struct loop *l, void *ctx)
{
	struct http *h = ctx;
	int running;

	(void)l;
	h->timer = 0;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(h);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *ud, void *sockp)
{
	struct http *h = ud;
	int ev = 0;

	(void)e;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(h->loop, s);
		fds_del(h, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= LOOP_READ;
	if (what & CURL_POLL_OUT)
		ev |= LOOP_WRITE;
	if (loop_fd_set_events(h->loop, s, ev) < 0) {
		if (loop_fd_add(h->loop, s, ev, on_fd, h) < 0)
			return -1;
		fds_add(h, s);
	}
	return 0;
}

/* curl asks for one timer; the loop fires it on a later turn, never inside
 * this callback, so socket_action is not re-entered. */
static int on_curl_timer(CURLM *m, long ms, void *ud)
{
	struct http *h = ud;

	(void)m;
	loop_timer_del(h->loop, h->timer);
	h->timer = 0;
	if (ms >= 0)
		h->timer = loop_timer_add(h->loop, ms, on_loop_timer, h);
	return 0;
}

struct http *http_new(struct loop *l)
{
	struct http *h;

	if (curl_refs++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		curl_refs--;
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->loop = l;
	h->next_id = 1;
	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (!h->multi || !h->share) {
		http_free(h);
		return NULL;
	}
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	while (h->xfers) {
		struct xfer *x = h->xfers;
		h->xfers = x->next;
		curl_multi_remove_handle(h->multi, x->easy);
		xfer_free(x);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->share)
		curl_share_cleanup(h->share); /* closes the cached connections */
	for (size_t i = 0; i < h->nfds; i++)
		loop_fd_del(h->loop, h->fds[i]);
	free(h->fds);
	loop_timer_del(h->loop, h->timer);
	free(h);
	if (--curl_refs == 0)
		curl_global_cleanup();
}

int64_t http_start(struct http *h, const struct http_request *req, http_done_fn cb, void *ctx,
		   struct aura_error *err)
{
	struct xfer *x;
	CURL *e;
	const char *method = req->method ? req->method : "GET";

	if (!req->url ||
	    (!str_starts_with(req->url, "http://") && !str_starts_with(req->url, "https://")))
		return aura_error_set(err, AURA_E_PROVIDER_NOT_CONFIGURED,
				      "base_url must start with http:// or https://");
	x = xcalloc(1, sizeof(*x));
	x->fd = -1;
	x->h = h;
	x->cb = cb;
	x->ctx = ctx;
	x->max = req->max_size ? req->max_size : HTTP_DEFAULT_MAX;
	buf_init(&x->body);
	if (req->download_path) {
		x->path = xstrdup(req->download_path);
		x->part = xasprintf("%s.part", req->download_path);
	}
	if (req->content_types) {
		size_t n = 0;
		while (req->content_types[n])
			n++;
		x->ctypes = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			x->ctypes[i] = xstrdup(req->content_types[i]);
	}
	x->easy = e = curl_easy_init();
	if (!e) {
		xfer_free(x);
		return aura_error_set(err, AURA_E_INTERNAL, "curl_easy_init failed");
	}
	for (const char *const *p = req->headers; p && *p; p++)
		x->hdrs = curl_slist_append(x->hdrs, *p);
	if (req->body)
		x->hdrs = curl_slist_append(x->hdrs, "Expect:"); /* no 100-continue round trip */

	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
	curl_easy_setopt(e, CURLOPT_SHARE, h->share);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "aura/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms
							    : HTTP_DEFAULT_CONNECT_MS));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 (long)(req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS));
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	/* Stock sites redirect downloads to CDNs; curl drops our custom
	 * Authorization header when the host changes. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}

	x->start = time_mono_ms();
	x->id = h->next_id++;
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		xfer_free(x);
		return aura_error_set(err, AURA_E_INTERNAL, "curl_multi_add_handle failed");
	}
	x->next = h->xfers;
	h->xfers = x;
	h->nxfers++;
	return x->id;
}

void http_cancel(struct http *h, int64_t id)
{
	for (struct xfer *x = h->xfers; x; x = x->next)
		if (x->id == id) {
			xfer_unlink(h, x);
			curl_multi_remove_handle(h->multi, x->easy);
			xfer_free(x);
			return;
		}
}

size_t http_active(const struct http *h)
{
	return h ? h->nxfers : 0;
}

char *http_url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s ? s : "", 0);
	char *out;

	if (!e)
		abort(); /* only on out of memory, as x*() */
	out = xstrdup(e);
	curl_free(e);
	return out;
}

char *http_url_for_log(const char *url)
{
	const char *scheme_end, *host, *at, *end;
	struct buf b;

	if (!url)
		return xstrdup("(none)");
	end = url + strcspn(url, "?#");
	scheme_end = strstr(url, "://");
	host = scheme_end && scheme_end < end ? scheme_end + 3 : url;
	at = memchr(host, '@', (size_t)(end - host));
	if (at && memchr(host, '/', (size_t)(at - host)))
		at = NULL; /* an '@' in the path is not user info */
	buf_init(&b);
	buf_append(&b, url, (size_t)(host - url));
	if (at)
		host = at + 1;
	buf_append(&b, host, (size_t)(end - host));
	if (*end == '?')
		buf_puts(&b, "?...");
	return b.data ? b.data : xstrdup("");
}
