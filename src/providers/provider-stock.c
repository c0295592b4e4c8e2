/*
 * provider-stock.c -- the flow shared by the stock sites (Pexels, Pixabay):
 * look in the cache by query, else search, pick a hit, stream it into the
 * cache (size cap, image/ or video/ content type), name it by its magic
 * bytes, and credit its author in the job's credits file.
 *
 * Must never: re-download an asset the cache holds, leave a partial file
 * under a cache name, or call back from inside stock_fetch_start. Ops must
 * be cancelled before their provider is freed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "os/loop.h"
#include "providers/services.h"
#include "base/util.h"

#define STOCK_PHOTO_MAX	 (40ULL * 1024 * 1024)
#define STOCK_VIDEO_MAX	 (200ULL * 1024 * 1024)
#define STOCK_SEARCH_MAX (4ULL * 1024 * 1024)

/* What stock_first_hit says when the answer has no hit at the index. */
#define NO_HIT "no result "

static const char *const exts[] = { "jpg", "png", "webp", "mp4", "bin", NULL };

struct stock_op {
	struct provider *p;
	struct loop *l;
	const struct stock_api *api;
	provider_file_fn cb;
	void *ctx;
	struct provider_call *call;
	uint64_t timer;
	char *query;
	bool video;
	enum stock_orientation orientation;
	int width, height;
	int index;
	char *base;    /* cache path without extension */
	char *credits; /* job credits file or NULL */
	char *credit;  /* this asset's credit line */
	int attempts;
	int64_t start;
	struct provider_outcome out;
};

static void op_free(struct stock_op *op)
{
	free(op->query);
	free(op->base);
	free(op->credits);
	free(op->credit);
	free(op);
}

void stock_op_cancel(struct stock_op *op)
{
	if (!op)
		return;
	provider_call_cancel(op->call);
	loop_timer_del(op->l, op->timer);
	op_free(op);
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static char *read_small(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	char *s = NULL;

	if (!f)
		return NULL;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		s = xstrdup(line);
	}
	fclose(f);
	return s;
}

static void append_credit(struct stock_op *op)
{
	int fd;
	char *line;

	if (!op->credits || !op->credit)
		return;
	fd = open(op->credits, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* credits are best effort: the asset is still usable */
	line = xasprintf("%s\n", op->credit);
	if (write(fd, line, strlen(line)) < 0) {
		/* nothing to do: see above */
	}
	free(line);
	close(fd);
}

static void deliver(struct stock_op *op)
{
	op->out.attempts = op->attempts;
	op->out.elapsed_ms = time_mono_ms() - op->start;
	if (op->out.code == 0)
		append_credit(op);
	op->cb(&op->out, op->ctx);
	op_free(op);
}

static void on_timer(struct loop *l, void *ctx)
{
	struct stock_op *op = ctx;

	(void)l;
	op->timer = 0;
	deliver(op);
}

static void fail(struct stock_op *op, const struct provider_result *r)
{
	op->out.code = r->code;
	str_copy(op->out.detail, r->detail, sizeof(op->out.detail));
	deliver(op);
}

/* Name the download by what it is, so FFmpeg picks the right demuxer. */
static const char *sniff(const char *path)
{
	unsigned char m[12] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(m, 1, sizeof(m), f) : 0;

	if (f)
		fclose(f);
	if (n >= 3 && m[0] == 0xff && m[1] == 0xd8 && m[2] == 0xff)
		return "jpg";
	if (n >= 8 && memcmp(m, "\x89PNG", 4) == 0)
		return "png";
	if (n >= 12 && memcmp(m, "RIFF", 4) == 0 && memcmp(m + 8, "WEBP", 4) == 0)
		return "webp";
	if (n >= 8 && memcmp(m + 4, "ftyp", 4) == 0)
		return "mp4";
	return NULL;
}

static void on_download(const struct provider_result *r, void *ctx)
{
	struct stock_op *op = ctx;
	char *tmp = xasprintf("%s.dl", op->base);
	const char *ext;

	op->call = NULL;
	op->attempts += r->attempts;
	if (r->code) {
		free(tmp);
		fail(op, r);
		return;
	}
	ext = sniff(tmp);
	if (!ext) {
		unlink(tmp);
		free(tmp);
		op->out.code = AURA_E_PROVIDER_BAD_RESPONSE;
		snprintf(op->out.detail, sizeof(op->out.detail),
			 "%s: the download is not a JPEG, PNG, WebP or MP4 file", op->api->name);
		deliver(op);
		return;
	}
	snprintf(op->out.path, sizeof(op->out.path), "%s.%s", op->base, ext);
	if (rename(tmp, op->out.path) < 0) {
		op->out.code = AURA_E_DATA_DIR;
		snprintf(op->out.detail, sizeof(op->out.detail), "cannot rename into the cache: %s",
			 strerror(errno));
		unlink(tmp);
	} else if (op->credit) {
		char *cp = xasprintf("%s.credit", op->base);
		struct aura_error err;
		provider_write_file(cp, op->credit, strlen(op->credit), &err);
		free(cp);
	}
	free(tmp);
	deliver(op);
}

static void on_search(const struct provider_result *r, void *ctx)
{
	struct stock_op *op = ctx;
	struct stock_query q = { .query = op->query,
				 .video = op->video,
				 .orientation = op->orientation,
				 .width = op->width,
				 .height = op->height,
				 .index = op->index };
	struct stock_hit hit = { 0 };
	struct aura_error err;
	static const char *const photo_types[] = { "image/", NULL };
	static const char *const video_types[] = { "video/", NULL };

	op->call = NULL;
	op->attempts += r->attempts;
	if (r->code) {
		fail(op, r);
		return;
	}
	aura_error_clear(&err);
	if (op->api->parse(r->body, r->body_len, &q, &hit, &err) < 0) {
		char *clip = provider_clip(op->p, r->body, r->body_len, 160);
		char *d = xasprintf("%s: %s: %s", op->api->name, err.detail, clip);
		op->out.code = err.code;
		op->out.no_more = str_starts_with(err.detail, NO_HIT);
		str_copy(op->out.detail, d, sizeof(op->out.detail));
		free(d);
		free(clip);
		deliver(op);
		return;
	}
	op->credit = hit.credit;
	{
		char *tmp = xasprintf("%s.dl", op->base);
		/* The file's own host gets no key (curl drops the custom header on
		 * a host change; the CDN needs none). */
		struct http_request req = { .url = hit.url,
					    .download_path = tmp,
					    .max_size =
						op->video ? STOCK_VIDEO_MAX : STOCK_PHOTO_MAX,
					    .content_types =
						op->video ? video_types : photo_types };
		op->call = provider_call_start(op->p, &req, on_download, op);
		free(tmp);
	}
	free(hit.url);
}

struct stock_op *stock_fetch_start(struct provider *p, struct loop *l, const struct stock_api *api,
				   const struct stock_query *q, provider_file_fn cb, void *ctx)
{
	struct stock_op *op = xcalloc(1, sizeof(*op));
	uint64_t h = 0xcbf29ce484222325ULL;
	char kind[64];
	char *dir;

	op->p = p;
	op->l = l;
	op->api = api;
	op->cb = cb;
	op->ctx = ctx;
	op->query = xstrdup(q->query ? q->query : "");
	op->video = q->video;
	op->orientation = q->orientation;
	op->width = q->width;
	op->height = q->height;
	op->index = q->index > 0 ? q->index : 0;
	op->credits = xstrdup(q->credits_path);
	op->start = time_mono_ms();

	/* The cache key: site, kind, orientation and the query, as typed. */
	if (q->video) /* the rendition depends on the output size */
		snprintf(kind, sizeof(kind), "%s/video/%d/%dx%d", api->name, (int)q->orientation,
			 q->width, q->height);
	else
		snprintf(kind, sizeof(kind), "%s/photo/%d", api->name, (int)q->orientation);
	if (op->index > 0) /* the next hits of a query (more clips for one scene) */
		snprintf(kind + strlen(kind), sizeof(kind) - strlen(kind), "#%d", op->index);
	h = fnv1a(h, kind, strlen(kind) + 1);
	h = fnv1a(h, op->query, strlen(op->query));
	dir = xasprintf("%s/%s", q->cache_dir, api->name);
	op->base = xasprintf("%s/%016llx", dir, (unsigned long long)h);
	if (mkdir_p(dir, 0700) < 0) {
		op->out.code = AURA_E_DATA_DIR;
		snprintf(op->out.detail, sizeof(op->out.detail), "cannot create %s: %s", dir,
			 strerror(errno));
		free(dir);
		op->timer = loop_timer_add(l, 0, on_timer, op);
		return op;
	}
	free(dir);

	for (const char *const *e = exts; *e; e++) {
		struct stat st;
		snprintf(op->out.path, sizeof(op->out.path), "%s.%s", op->base, *e);
		if (stat(op->out.path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			char *cp = xasprintf("%s.credit", op->base);
			op->credit = read_small(cp);
			free(cp);
			op->out.cached = true;
			op->timer = loop_timer_add(l, 0, on_timer, op);
			return op;
		}
	}
	op->out.path[0] = '\0';
	{
		char *url = api->search_url(p, q);
		char *auth = api->auth_header ? api->auth_header(p) : NULL;
		const char *hdrs[] = { "Accept: application/json", auth, NULL };
		static const char *const json_types[] = { "application/json", NULL };
		struct http_request req = { .url = url,
					    .headers = hdrs,
					    .max_size = STOCK_SEARCH_MAX,
					    .content_types = json_types };
		op->call = provider_call_start(p, &req, on_search, op);
		if (auth) {
			memset(auth, 0, strlen(auth));
			free(auth);
		}
		memset(url, 0, strlen(url)); /* Pixabay's holds the key */
		free(url);
	}
	return op;
}

/* ---- shared by the decoders ---------------------------------------------------- */

bool stock_is_http_url(const char *s)
{
	return s && (str_starts_with(s, "https://") || str_starts_with(s, "http://"));
}

json_t *stock_first_hit(const char *body, size_t len, const char *key, const struct stock_query *q,
			json_t **root, struct aura_error *err)
{
	json_t *arr, *hit;

	*root = json_loadb(body, len, 0, NULL);
	if (!*root) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "search answer is not JSON");
		return NULL;
	}
	arr = json_object_get(*root, key);
	if (!json_is_array(arr)) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "schema: no \"%s\" array", key);
		return NULL;
	}
	hit = json_array_get(arr, q->index > 0 ? (size_t)q->index : 0);
	if (!hit && q->index > 0)
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, NO_HIT "%d for \"%s\"",
			       q->index + 1, q->query);
	else if (!hit)
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "no results for \"%s\"",
			       q->query);
	return hit;
}

static void target_size(const struct stock_query *q, long *w, long *h)
{
	*w = q->width > 0 ? q->width : q->orientation == STOCK_PORTRAIT ? 1080 : 1920;
	*h = q->height > 0 ? q->height : q->orientation == STOCK_LANDSCAPE ? 1080 : 1920;
	if (q->width <= 0 && q->height <= 0 && q->orientation == STOCK_SQUARE)
		*w = *h = 1080;
}

static bool covers(long w, long h, long tw, long th)
{
	return w >= tw && h >= th;
}

void stock_pick_offer(struct stock_pick *pk, const struct stock_query *q, const char *url, long w,
		      long h)
{
	long tw, th;
	bool take;

	if (!stock_is_http_url(url) || w < 0 || h < 0)
		return;
	target_size(q, &tw, &th);
	if (!pk->url)
		take = true;
	else if (covers(w, h, tw, th) != covers(pk->w, pk->h, tw, th))
		take = covers(w, h, tw, th);
	else if (covers(w, h, tw, th))
		take = w * h < pk->w * pk->h;
	else
		take = w * h > pk->w * pk->h;
	if (take) {
		pk->url = url;
		pk->w = w;
		pk->h = h;
	}
}

int stock_hit_set(struct stock_hit *out, const char *url, const char *kind, const char *who,
		  const char *site, const char *page, const char *home, struct aura_error *err)
{
	if (!stock_is_http_url(url))
		return aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE,
				      "schema: the hit has no file URL");
	out->url = xstrdup(url);
	out->credit =
	    xasprintf("%s by %s on %s: %s", kind, who ? who : "unknown", site, page ? page : home);
	return 0;
}
