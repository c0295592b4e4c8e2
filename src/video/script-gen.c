/*
 * script-gen.c -- the offline script writer: a topic and a duration in, a
 * script out (script_generate).
 *
 * The writer is a seeded template grammar: an angle per body scene, each
 * with its own sentences, filled greedily to a per-scene word budget
 * (with the shortfall or excess carried to the next scene), so the whole
 * narration lands on duration * 150 / 60 words. It never states facts it
 * cannot know: the sentences are true of almost any topic, and the topic
 * appears only where any noun phrase reads well ("about X", "of X").
 *
 * The sentences and the angles are in script-text.c.
 *
 * Must never: consult the clock, the locale or rand() (a script is a pure
 * function of topic, duration and seed), or let a sentence template be
 * filled from user text a second time (a topic holding "{T}" stays text).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "video/script.h"
#include "video/script-int.h"
#include "base/utf8.h"
#include "base/util.h"

/* ---- the writer ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int rng_below(uint64_t *s, int n)
{
	return n > 0 ? (int)(rng_next(s) % (uint64_t)n) : 0;
}

static int count_lines(const char *const *v)
{
	int n = 0;
	while (v[n])
		n++;
	return n;
}

enum role { ROLE_MID, ROLE_LEAD, ROLE_TAIL, ROLE_FILLER };

struct pool {
	const char *const *lines;
	int n;
	bool filler;	  /* every line is a filler */
	bool *used;	  /* said somewhere in the script */
	bool *scene_used; /* said in the scene being written */
};

struct gen {
	uint64_t rng;
	char *tref, *tfull, *tq, *plan, *recap;
	const char *len;
	struct pool opening, close, generic, filler, intro, plain, signoff, lead;
	struct pool angle[N_ANGLES];
	struct pool *all[8 + N_ANGLES];
	int npools;
};

static void pool_init(struct gen *g, struct pool *p, const char *const *lines, bool filler)
{
	p->lines = lines;
	p->n = count_lines(lines);
	p->filler = filler;
	p->used = xcalloc((size_t)p->n, sizeof(bool));
	p->scene_used = xcalloc((size_t)p->n, sizeof(bool));
	g->all[g->npools++] = p;
}

static enum role line_role(const struct pool *p, int i)
{
	if (p->filler)
		return ROLE_FILLER;
	return p->lines[i][0] == '^' ? ROLE_LEAD : p->lines[i][0] == '$' ? ROLE_TAIL : ROLE_MID;
}

/* Fill a template's slots from g (one pass: a value is never re-read as
 * a template) and capitalise the sentence. */
static char *render(const struct gen *g, const char *tpl)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	if (*tpl == '^' || *tpl == '$' || *tpl == '!')
		tpl++;
	for (const char *p = tpl; *p; p++) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		if (!e) {
			buf_append(&b, p, 1);
			continue;
		}
		size_t n = (size_t)(e - p - 1);
		const char *v = NULL;
		if (n == 1 && p[1] == 'T')
			v = g->tref;
		else if (n == 2 && strncmp(p + 1, "TF", 2) == 0)
			v = g->tfull;
		else if (n == 2 && strncmp(p + 1, "TQ", 2) == 0)
			v = g->tq;
		else if (n == 4 && strncmp(p + 1, "PLAN", 4) == 0)
			v = g->plan;
		else if (n == 5 && strncmp(p + 1, "RECAP", 5) == 0)
			v = g->recap;
		else if (n == 3 && strncmp(p + 1, "LEN", 3) == 0)
			v = g->len;
		buf_puts(&b, v ? v : "");
		p = e;
	}
	script_capitalize(b.data);
	return b.data;
}

static void shuffle(uint64_t *rng, int *v, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = rng_below(rng, i + 1);
		int t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/* One scene's sentences by role, put in order by scene_text_join(). */
struct scene_text {
	char *lead, *tail;
	char **mid;
	int nmid;
	char **fill;
	int nfill;
	int words;
};

static void say(struct scene_text *st, char *s, enum role r)
{
	st->words += script_text_word_count(s);
	switch (r) {
	case ROLE_LEAD:
		st->lead = s;
		break;
	case ROLE_TAIL:
		st->tail = s;
		break;
	case ROLE_FILLER:
		st->fill = xrealloc(st->fill, (size_t)(st->nfill + 1) * sizeof(char *));
		st->fill[st->nfill++] = s;
		break;
	case ROLE_MID:
		st->mid = xrealloc(st->mid, (size_t)(st->nmid + 1) * sizeof(char *));
		st->mid[st->nmid++] = s;
		break;
	}
}

/* lead, the first sentence, the fillers, the other sentences, the tail */
static char *scene_text_join(struct scene_text *st)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	char **order = xcalloc((size_t)(st->nmid + st->nfill + 2), sizeof(char *));
	int n = 0;
	if (st->lead)
		order[n++] = st->lead;
	if (st->nmid)
		order[n++] = st->mid[0];
	for (int i = 0; i < st->nfill; i++)
		order[n++] = st->fill[i];
	for (int i = 1; i < st->nmid; i++)
		order[n++] = st->mid[i];
	if (st->tail)
		order[n++] = st->tail;
	for (int i = 0; i < n; i++) {
		if (i)
			buf_puts(&b, " ");
		buf_puts(&b, order[i]);
		free(order[i]);
	}
	free(order);
	free(st->mid);
	free(st->fill);
	return b.data;
}

static bool role_free(const struct scene_text *st, enum role r)
{
	return (r != ROLE_LEAD || !st->lead) && (r != ROLE_TAIL || !st->tail) &&
	       (r != ROLE_FILLER || !st->nfill);
}

/*
 * The first sentence of pool p, in a seeded order, that fits in `room`
 * words and whose role the scene still has free. fresh: only sentences
 * not yet said in the script; otherwise a middle sentence not said in
 * this scene, prefixed as a deliberate repetition. NULL if none.
 */
static char *take(struct gen *g, struct pool *p, const struct scene_text *st, int room, bool fresh,
		  enum role *role)
{
	int *order = xmalloc((size_t)(p->n ? p->n : 1) * sizeof(int));
	for (int i = 0; i < p->n; i++)
		order[i] = i;
	shuffle(&g->rng, order, p->n);
	for (int k = 0, front = 0; k < p->n; k++) {
		if (p->lines[order[k]][0] == '!') {
			int t = order[k];
			memmove(order + front + 1, order + front,
				(size_t)(k - front) * sizeof(int));
			order[front++] = t;
		}
	}
	char *out = NULL;
	for (int k = 0; k < p->n && !out; k++) {
		int i = order[k];
		enum role r = line_role(p, i);
		if ((fresh ? p->used[i] : p->scene_used[i]) || !role_free(st, r))
			continue;
		if (!fresh && r != ROLE_MID)
			continue;
		char *s = render(g, p->lines[i]);
		if (!fresh) {
			const char *pre = script_again_prefix[rng_below(
			    &g->rng, count_lines(script_again_prefix))];
			if (!(s[0] == 'I' && (s[1] == ' ' || s[1] == '\'')) && s[0] >= 'A' &&
			    s[0] <= 'Z')
				s[0] = (char)(s[0] - 'A' + 'a');
			char *t = xasprintf("%s %s", pre, s);
			free(s);
			s = t;
		}
		if (script_text_word_count(s) <= room) {
			p->used[i] = p->scene_used[i] = true;
			*role = r;
			out = s;
		} else {
			free(s);
		}
	}
	free(order);
	return out;
}

/* A sentence of p that fits room if there is one, else p's shortest:
 * every scene gets its first (or, in the close, its last) line. */
static void say_must(struct gen *g, struct pool *p, struct scene_text *st, int room)
{
	enum role r = ROLE_MID;
	char *s = take(g, p, st, room, true, &r);
	if (!s)
		s = take(g, p, st, room, false, &r);
	if (!s) {
		int best = -1, best_w = 0;
		for (int i = 0; i < p->n; i++) {
			char *t = render(g, p->lines[i]);
			int w = script_text_word_count(t);
			free(t);
			if (role_free(st, line_role(p, i)) && (best < 0 || w < best_w))
				best = i, best_w = w;
		}
		p->used[best] = p->scene_used[best] = true;
		r = line_role(p, best);
		s = render(g, p->lines[best]);
	}
	say(st, s, r);
}

static int pool_min_words(const struct gen *g, const struct pool *p)
{
	int min = -1;
	for (int i = 0; i < p->n; i++) {
		char *t = render(g, p->lines[i]);
		int w = script_text_word_count(t);
		free(t);
		if (min < 0 || w < min)
			min = w;
	}
	return min;
}

/* Fill st up to budget words from the pools in order: first sentences new
 * to the script, then (in long scenes only) ones said elsewhere, from the
 * first nrepeat pools. */
static void fill(struct gen *g, struct scene_text *st, int budget, struct pool **pools, int n,
		 int nrepeat)
{
	for (;;) {
		int room = budget - st->words;
		if (room <= 0)
			return;
		enum role r = ROLE_MID;
		char *s = NULL;
		for (int i = 0; i < n && !s; i++)
			s = take(g, pools[i], st, room, true, &r);
		/* a short remainder carries over to the next scene instead */
		for (int i = 0; i < nrepeat && !s && room >= 12; i++)
			s = take(g, pools[i], st, room, false, &r);
		if (!s)
			return;
		say(st, s, r);
	}
}

static void scene_begin(struct gen *g, struct scene_text *st)
{
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < g->npools; i++)
		memset(g->all[i]->scene_used, 0, (size_t)g->all[i]->n * sizeof(bool));
}

/* "a, b and c" from the first max distinct angles of ids. */
static char *join_phrases(const int *ids, int n, int max)
{
	int distinct[N_ANGLES], k = 0;
	for (int i = 0; i < n && k < max; i++) {
		bool dup = false;
		for (int j = 0; j < k; j++)
			dup = dup || distinct[j] == ids[i];
		if (!dup)
			distinct[k++] = ids[i];
	}
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (int i = 0; i < k; i++) {
		if (i)
			buf_puts(&b, i == k - 1 ? " and " : ", ");
		buf_puts(&b, script_angles[distinct[i]].phrase);
	}
	return b.data;
}

/* Body angles for n scenes, in a sensible order: how it works and why it
 * matters are chosen first, what comes next always last (from three body
 * scenes), where it began from four, the rest at random; past twelve,
 * angles return as a second part right after the first. */
static int *choose_angles(uint64_t *rng, int n, bool *second)
{
	int *ids = xcalloc((size_t)n, sizeof(int));
	bool chosen[N_ANGLES] = { false };
	int want = n < N_ANGLES ? n : N_ANGLES;
	int have = 0;
	if (want >= 1)
		chosen[rng_below(rng, 2) ? ANGLE_HOW : ANGLE_WHY] = true, have++;
	if (want >= 2)
		chosen[ANGLE_HOW] = chosen[ANGLE_WHY] = true, have = 2;
	if (want >= 3)
		chosen[ANGLE_FUTURE] = true, have++;
	if (want >= 4)
		chosen[0] = true, have++;
	while (have < want) {
		int a = rng_below(rng, N_ANGLES);
		if (!chosen[a])
			chosen[a] = true, have++;
	}
	bool twice[N_ANGLES] = { false };
	for (int extra = n - want; extra > 0;) {
		int a = rng_below(rng, N_ANGLES - 1); /* never "what comes next" twice */
		if (!twice[a])
			twice[a] = true, extra--;
	}
	int k = 0;
	for (int a = 0; a < N_ANGLES; a++) {
		if (!chosen[a])
			continue;
		second[k] = false;
		ids[k++] = a;
		if (twice[a]) {
			second[k] = true;
			ids[k++] = a;
		}
	}
	return ids;
}

/* topic keywords plus one visual word, kept a set */
static char *scene_keywords(const char *topic_kw, const char *visual)
{
	if (!*topic_kw)
		return xstrdup(visual);
	size_t vl = strlen(visual);
	for (const char *p = topic_kw; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, visual, vl) == 0 && (p[vl] == ',' || p[vl] == '\0'))
			return xstrdup(topic_kw);
	return xasprintf("%s,%s", topic_kw, visual);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int validate_topic(const char *topic, char **norm, struct aura_error *err)
{
	*norm = NULL;
	if (!topic)
		return aura_error_set(err, AURA_E_TOPIC_INVALID, "no topic was given");
	size_t bad;
	if (!utf8_valid(topic, &bad))
		return aura_error_set(err, AURA_E_TOPIC_INVALID,
				      "the topic is not valid UTF-8 (byte %zu)", bad);
	char *n = script_normalize_space(topic, strlen(topic));
	if (!*n) {
		free(n);
		return aura_error_set(err, AURA_E_TOPIC_INVALID, "the topic is empty");
	}
	size_t len = utf8_length(n);
	if (len > SCRIPT_TOPIC_MAX) {
		free(n);
		return aura_error_set(err, AURA_E_TOPIC_INVALID,
				      "the topic has %zu characters; at most %d are allowed", len,
				      SCRIPT_TOPIC_MAX);
	}
	if (script_text_word_count(n) == 0) {
		free(n);
		return aura_error_set(err, AURA_E_TOPIC_INVALID,
				      "the topic has no word (only punctuation or symbols)");
	}
	*norm = n;
	return 0;
}

/* The topic's forms. Mid-sentence, a leading capitalised article is
 * lowered ("about the Beatles"); otherwise the user's case is kept. */
static void topic_forms(struct gen *g, const char *norm, int duration_s, bool *question)
{
	size_t nl = strlen(norm);
	*question = norm[nl - 1] == '?';
	g->tq = xstrdup(norm);
	script_capitalize(g->tq);
	g->tfull = xstrdup(norm);
	for (size_t l = strlen(g->tfull); l > 1 && strchr(".!?;:,", g->tfull[l - 1]); l--)
		g->tfull[l - 1] = '\0';
	if (str_starts_with(g->tfull, "The ") || str_starts_with(g->tfull, "A ") ||
	    str_starts_with(g->tfull, "An "))
		g->tfull[0] = (char)(g->tfull[0] - 'A' + 'a');
	/* "the roots of how bees make honey" reads badly: a question, a
	 * clause ("how...", "why...") or a long topic is "this topic" */
	static const char *const wh[] = { "how ", "why ",   "what ",	"when ",  "where ",
					  "who ", "which ", "whether ", "is ",	  "are ",
					  "can ", "do ",    "does ",	"should " };
	bool clause = false;
	for (size_t i = 0; i < ARRAY_LEN(wh); i++)
		clause = clause || strncasecmp(norm, wh[i], strlen(wh[i])) == 0;
	bool long_topic = script_text_word_count(norm) > 6;
	g->tref = xstrdup(*question || clause || long_topic ? "this topic" : g->tfull);
	if (duration_s <= 40)
		g->len = "the next half minute";
	else if (duration_s <= 90)
		g->len = "the next minute";
	else if (duration_s <= 600)
		g->len = "the next few minutes";
	else
		g->len = "this video";
}

int script_generate(const char *topic, int duration_s, uint32_t seed, struct script *out,
		    struct aura_error *err)
{
	script_init(out);
	char *norm;
	int rc = validate_topic(topic, &norm, err);
	if (rc < 0)
		return rc;
	if (duration_s < SCRIPT_DURATION_MIN || duration_s > SCRIPT_DURATION_MAX) {
		free(norm);
		return aura_error_set(err, AURA_E_USAGE, "duration %d s is out of range (%d..%d s)",
				      duration_s, SCRIPT_DURATION_MIN, SCRIPT_DURATION_MAX);
	}

	struct gen g;
	memset(&g, 0, sizeof(g));
	g.rng = fnv1a(norm) ^ ((uint64_t)seed * 0xD6E8FEB86659FD93ULL) ^
		((uint64_t)(unsigned)duration_s << 40);
	rng_next(&g.rng);
	bool question;
	topic_forms(&g, norm, duration_s, &question);

	int total = script_target_words(duration_s);
	int nscenes = script_target_scenes(duration_s);
	int nbody = nscenes - 2;
	bool *second = xcalloc((size_t)nbody, sizeof(bool));
	int *ids = choose_angles(&g.rng, nbody, second);
	g.plan = join_phrases(ids, nbody, 3);
	g.recap = join_phrases(ids, nbody, 3);
	if (nbody > 3) {
		char *t = xasprintf("%s, and more", g.plan);
		free(g.plan);
		g.plan = t;
	}

	pool_init(&g, &g.opening, script_opening_lines, false);
	pool_init(&g, &g.close, script_close_lines, false);
	pool_init(&g, &g.generic, script_generic_lines, false);
	pool_init(&g, &g.filler, script_filler_lines, true);
	pool_init(&g, &g.intro, question ? script_intro_question : script_intro_topic, false);
	pool_init(&g, &g.plain, script_intro_plain, false);
	pool_init(&g, &g.signoff, script_signoffs, false);
	pool_init(&g, &g.lead, script_close_lead, false);
	int hsel[N_ANGLES];
	for (int a = 0; a < N_ANGLES; a++) {
		pool_init(&g, &g.angle[a], script_angles[a].lines, false);
		hsel[a] = rng_below(&g.rng, 3);
	}

	char *topic_kw = script_keywords_all(norm, 3, true);
	if (!*topic_kw) {
		/* only stopwords: the words themselves are better than nothing */
		free(topic_kw);
		topic_kw = script_keywords_all(norm, 3, false);
	}
	out->title = xstrdup(norm);
	script_capitalize(out->title);

	int used = 0;
	for (int i = 0; i < nscenes; i++) {
		/* cumulative targets: what one scene over- or undershoots, the
		 * next makes up */
		int budget = (int)(((int64_t)total * (i + 1) + nscenes / 2) / nscenes) - used;
		struct scene_text st;
		scene_begin(&g, &st);
		char *heading, *kw;
		if (i == 0) {
			/* name the topic, unless that alone would eat the words
			 * the other scenes need */
			enum role r = ROLE_MID;
			char *s = take(&g, &g.intro, &st, budget, true, &r);
			if (s) {
				say(&st, s, ROLE_LEAD);
			} else {
				int room = total - 5 * (nscenes - 1);
				struct scene_text probe;
				memset(&probe, 0, sizeof(probe));
				say_must(&g, &g.intro, &probe, room);
				bool fits = probe.words <= room;
				free(scene_text_join(&probe));
				if (fits)
					say_must(&g, &g.intro, &st, room);
				else
					say_must(&g, &g.plain, &st, budget);
				/* an intro opens the scene whatever the pool */
				if (!st.lead && st.nmid)
					st.lead = st.mid[--st.nmid];
			}
			struct pool *ps[] = { &g.opening, &g.generic, &g.filler };
			fill(&g, &st, budget, ps, 3, 1);
			heading = xstrdup(out->title);
			kw = xstrdup(topic_kw);
		} else if (i == nscenes - 1) {
			/* the lead opens, the sign-off (when there is room) ends */
			struct scene_text so;
			memset(&so, 0, sizeof(so));
			if (budget >= 8)
				say_must(&g, &g.signoff, &so, budget - pool_min_words(&g, &g.lead));
			say_must(&g, &g.lead, &st, budget - so.words);
			if (st.nmid)
				st.lead = st.mid[--st.nmid];
			struct pool *ps[] = { &g.close, &g.generic, &g.filler };
			fill(&g, &st, budget - so.words, ps, 3, 1);
			if (so.nmid) {
				st.tail = so.mid[0];
				st.words += so.words;
			}
			free(so.mid);
			heading = xstrdup(script_close_headings[rng_below(
			    &g.rng, count_lines(script_close_headings))]);
			kw = xstrdup(topic_kw);
		} else {
			int a = ids[i - 1];
			struct pool *ap = &g.angle[a];
			say_must(&g, ap, &st, budget);
			struct pool *ps[] = { ap, &g.generic, &g.filler };
			fill(&g, &st, budget, ps, 3, 2);
			/* a second part on the same angle takes the next heading */
			heading = xstrdup(
			    script_angles[a].headings[(hsel[a] + (second[i - 1] ? 1 : 0)) % 3]);
			kw = scene_keywords(topic_kw,
					    script_angles[a].visuals[rng_below(&g.rng, 2)]);
		}
		used += st.words;
		script_push(out, heading, scene_text_join(&st), kw);
	}

	for (int i = 0; i < g.npools; i++) {
		free(g.all[i]->used);
		free(g.all[i]->scene_used);
	}
	free(topic_kw);
	free(ids);
	free(second);
	free(g.tref);
	free(g.tfull);
	free(g.tq);
	free(g.plan);
	free(g.recap);
	free(norm);
	return 0;
}
