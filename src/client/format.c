/*
 * format.c -- the human formats and the display width both front ends use
 * (format.h).
 *
 * Must never: print, or decide a width differently from how the TUI draws
 * the same text (src/tui/draw.c measures with fmt_text_width()).
 */
#include "config.h"

#include <langinfo.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "base/utf8.h"
#include "base/util.h"
#include "client/format.h"

const char *fmt_duration(char *buf, size_t n, double s)
{
	if (s < 0 || s != s) {
		str_copy(buf, "-", n);
		return buf;
	}
	long long t = (long long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%lld:%02lld", t / 60, t % 60);
	return buf;
}

const char *fmt_age(char *buf, size_t n, int64_t since_ms)
{
	if (since_ms <= 0) {
		str_copy(buf, "-", n);
		return buf;
	}
	int64_t s = (time_now_ms() - since_ms) / 1000;
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, n, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, n, "%lldd", (long long)(s / 86400));
	return buf;
}

const char *fmt_size(char *buf, size_t n, int64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%lld B", (long long)bytes);
	else
		snprintf(buf, n, "%.1f %s", v, units[u]);
	return buf;
}

const char *fmt_time(char *buf, size_t n, int64_t ms)
{
	if (ms <= 0) {
		str_copy(buf, "-", n);
		return buf;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "%lld", (long long)ms);
	return buf;
}

const char *fmt_percent(char *buf, size_t n, const struct job *j)
{
	if (j->state == JOB_SUCCEEDED)
		str_copy(buf, "100%", n);
	else if (j->state == JOB_QUEUED || (j->progress <= 0 && j->state != JOB_RUNNING) ||
		 (j->progress <= 0 && j->duration_us <= 0))
		str_copy(buf, "-", n); /* not started, or a total nobody knows */
	else {
		/* never "100%" for work that has not finished */
		double pct = j->progress * 100;
		if (pct > 99)
			pct = 99;
		snprintf(buf, n, "%.0f%%", pct < 0 ? 0.0 : pct);
	}
	return buf;
}

static bool utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && strcmp(cs, "UTF-8") == 0;
}

int fmt_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 1; /* shown as '?' (a tab as ' ') */
	if (cp < 0x7f)
		return 1;
	if (!utf8_locale())
		return utf8_cp_width(cp);
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

size_t fmt_text_width(const char *s)
{
	size_t cols = 0;
	uint32_t cp;
	if (!s)
		return 0;
	for (size_t n; (n = utf8_next(s, &cp)) > 0; s += n)
		cols += (size_t)fmt_cp_width(cp);
	return cols;
}
