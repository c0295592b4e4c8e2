/*
 * jobs.c -- the formatting shared by the job verbs: ids, JSON output, text
 * made safe for a terminal, table cells, the store warning (connecting is
 * connect.c, following jobs follow.c).
 *
 * Must never: exit(), or print anything the verb did not ask for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/jobs.h"
#include "base/utf8.h"
#include "client/proto.h"
#include "base/util.h"

void cli_warn_store(json_t *st)
{
	if (!json_is_false(json_object_get(st, "writable")))
		return;
	char t[32], about[256];
	struct aura_error err;
	json_int_t pending = json_integer_value(json_object_get(st, "pending"));
	snprintf(about, sizeof(about),
		 "warning: the server cannot write its store since %s; %lld change%s wait; no "
		 "job starts and no job can be changed until it can",
		 fmt_time(t, sizeof(t), json_integer_value(json_object_get(st, "since_ms"))),
		 (long long)pending, pending == 1 ? "" : "s");
	/* the store's error (code, detail) in the catalogue's words */
	proto_error_from_json(st, &err);
	aura_error_print_about(about, &err);
}

int cli_key_param(json_t *params, const char *key, struct aura_error *err)
{
	if (!key)
		return 0;
	size_t bad;
	if (!utf8_valid(key, &bad))
		return aura_error_set(err, AURA_E_PARAM_KEY_INVALID,
				      "--key is not UTF-8 (byte %zu)", bad);
	json_object_set_new(params, "key", json_string(key));
	return 0;
}

int cli_after_param(json_t *params, const char *what, const char *list, struct aura_error *err)
{
	if (!list || !*list)
		return 0;
	json_t *a = json_array();
	const char *p = list;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '#')
			p++;
		char *end;
		long long id = (*p >= '0' && *p <= '9') ? strtoll(p, &end, 10) : 0;
		if (id <= 0) {
			json_decref(a);
			return aura_error_set(err, AURA_E_USAGE,
					      "%s %s: job ids separated by commas (3,5)", what,
					      list);
		}
		json_array_append_new(a, json_integer(id));
		p = end;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p++ != ',') {
			json_decref(a);
			return aura_error_set(err, AURA_E_USAGE,
					      "%s %s: job ids separated by commas (3,5)", what,
					      list);
		}
	}
	json_object_set_new(params, "after", a);
	return 0;
}

void cli_note_existing(json_t *result)
{
	if (!json_is_true(json_object_get(result, "existing")))
		return;
	json_t *job = json_object_get(result, "job");
	char *key = xstrdup(json_string_value(json_object_get(job, "key")));
	char about[512];
	snprintf(about, sizeof(about), "job %lld already has key %s (nothing new queued)",
		 (long long)proto_get_int(job, "id", 0), key ? cli_text_clean(key, false) : "?");
	free(key);
	struct aura_error err;
	aura_error_set(&err, AURA_E_JOB_KEY_EXISTS, "%s", "");
	aura_error_print_about(about, &err);
}

void cli_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

bool cli_job_from(json_t *result, const char *key, struct job *out)
{
	if (proto_job_from_json(json_object_get(result, key), out) < 0) {
		struct aura_error err;
		aura_error_set(&err, AURA_E_INTERNAL, "the server sent a malformed job");
		aura_error_print(&err);
		return false;
	}
	return true;
}

char *cli_text_clean(char *s, bool lines)
{
	unsigned char *r = (unsigned char *)s, *w = r;
	if (!s)
		return s;
	while (*r) {
		unsigned char c = *r;
		if (c == '\t' || (c == '\n' && lines)) {
			*w++ = lines ? c : ' ';
			r++;
		} else if (c < 0x20 || c == 0x7f) {
			*w++ = '?';
			r++;
		} else if (c == 0xC2 && r[1] >= 0x80 && r[1] <= 0x9F) {
			*w++ = '?'; /* U+0080..U+009F: the C1 controls (CSI is one) */
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

static void json_clean(json_t *v, const char *key)
{
	if (json_is_string(v)) {
		const char *t = json_string_value(v);
		bool lines = key && (strcmp(key, "stderr_tail") == 0 || strcmp(key, "data") == 0);
		char *c = cli_text_clean(xstrdup(t), lines);
		if (strcmp(c, t) != 0)
			json_string_set(v, c);
		free(c);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			json_clean(x, k);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			json_clean(x, key);
		}
	}
}

void cli_json_clean(json_t *v)
{
	json_clean(v, NULL);
}

void print_cell(const char *s, size_t width)
{
	size_t cols = fmt_text_width(s);
	if (cols <= width) {
		fputs(s, stdout);
		for (size_t i = cols; i < width; i++)
			fputc(' ', stdout);
		return;
	}
	if (width == 0)
		return;
	/* cut after the last code point that fits with the ellipsis; a wide
	 * one that does not fit leaves a column to pad */
	const char *p = s;
	size_t used = 0;
	uint32_t cp;
	for (size_t n; (n = utf8_next(p, &cp)) > 0; p += n) {
		size_t w = (size_t)fmt_cp_width(cp);
		if (used + w > width - 1)
			break;
		used += w;
	}
	fwrite(s, 1, (size_t)(p - s), stdout);
	fputs("\xE2\x80\xA6", stdout);
	for (used++; used < width; used++)
		fputc(' ', stdout);
}

/* One id of a list: digits only (or "#" and digits), > 0, no overflow. */
static bool id_word(const char *s, size_t len, int64_t *out)
{
	if (len > 0 && s[0] == '#')
		s++, len--;
	if (len == 0 || len > 18)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v > 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int cli_parse_id_list(int argc, char **argv, int64_t **ids, size_t *n)
{
	int64_t *v = NULL;
	size_t len = 0, cap = 0;
	for (int i = 0; i < argc; i++) {
		const char *p = argv[i];
		for (;;) {
			size_t w = strcspn(p, ",");
			const char *dash = memchr(p, '-', w);
			int64_t lo, hi;
			bool good = dash ? id_word(p, (size_t)(dash - p), &lo) &&
					       id_word(dash + 1, w - (size_t)(dash - p) - 1, &hi)
					 : id_word(p, w, &lo);
			if (!dash)
				hi = lo;
			if (!good || hi < lo || hi - lo >= CLI_IDS_MAX - (int64_t)len) {
				free(v);
				bool ranged = (dash || memchr(p, ',', w)) && *p >= '0' && *p <= '9';
				if (!good && !ranged)
					return cli_usage_error("'%.*s' is not a job id", (int)w, p);
				if (!good)
					return cli_usage_error(
					    "'%.*s' is not a job id, range (3-9) or "
					    "list (3,5,7)",
					    (int)w, p);
				if (hi < lo)
					return cli_usage_error("'%.*s' is a range that goes down",
							       (int)w, p);
				return cli_usage_error("'%.*s' names more than %d jobs", (int)w, p,
						       CLI_IDS_MAX);
			}
			for (int64_t id = lo; id <= hi; id++) {
				XGROW(v, len + 1, cap, 16);
				v[len++] = id;
			}
			if (!p[w])
				break;
			p += w + 1;
		}
	}
	if (len > 1)
		qsort(v, len, sizeof(*v), cmp_id);
	size_t k = 0;
	for (size_t i = 0; i < len; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	*ids = v;
	*n = k;
	return 0;
}

int cli_parse_states(const char *list, unsigned allowed, unsigned *mask)
{
	*mask = 0;
	for (const char *p = list;;) {
		size_t w = strcspn(p, ",");
		char name[32];
		snprintf(name, sizeof(name), "%.*s", (int)(w < 31 ? w : 31), p);
		int st = w < 31 ? job_state_parse(name) : -1;
		if (st < 0 || !(allowed & (1u << st))) {
			char names[128] = "";
			for (int s = 0; s < JOB_STATE__COUNT; s++)
				if (allowed & (1u << s))
					snprintf(names + strlen(names),
						 sizeof(names) - strlen(names), "%s%s",
						 names[0] ? ", " : "",
						 job_state_name((enum job_state)s));
			return cli_usage_error("'%.*s' is not a state this takes (%s)", (int)w, p,
					       names);
		}
		*mask |= 1u << st;
		if (!p[w])
			return 0;
		p += w + 1;
	}
}

int cli_ids_in_states(struct client *cl, unsigned mask, int64_t **ids, size_t *n,
		      struct aura_error *err)
{
	int64_t *v = NULL;
	size_t len = 0, cap = 0;
	for (int s = 0; s < JOB_STATE__COUNT; s++) {
		if (!(mask & (1u << s)))
			continue;
		/* page through: one answer holds what fits in a line */
		for (int64_t off = 0;;) {
			json_t *res;
			json_t *p =
			    json_pack("{s:s,s:I}", "state", job_state_name((enum job_state)s),
				      "offset", (json_int_t)off);
			if (client_call(cl, "list", p, &res, err) < 0) {
				free(v);
				return -err->code;
			}
			json_t *jobs = json_object_get(res, "jobs");
			size_t got = json_array_size(jobs);
			for (size_t i = 0; i < got; i++) {
				XGROW(v, len + 1, cap, 16);
				v[len++] = proto_get_int(json_array_get(jobs, i), "id", 0);
			}
			off += (int64_t)got;
			bool more = got > 0 && off < proto_get_int(res, "total", 0);
			json_decref(res);
			if (!more)
				break;
		}
	}
	if (len > 1)
		qsort(v, len, sizeof(*v), cmp_id);
	*ids = v;
	*n = len;
	return 0;
}
