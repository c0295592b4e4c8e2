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
