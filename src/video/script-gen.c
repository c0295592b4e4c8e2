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

/* ---- the writer's text ----------------------------------------------------- */

/*
 * Slots: {T} the topic where any noun phrase reads well (or "this topic"
 * when it is long or a question), {TF} the whole topic, {TQ} the topic as
 * asked (a question), {PLAN} and {RECAP} the body angles as a list, {LEN}
 * the video's length in words ("the next minute").
 *
 * Roles: a line starting with '^' may only open a scene (a lead-in), one
 * starting with '$' may only end it (a closing remark); a scene has at
 * most one of each. Other lines go in between, in the order chosen; one
 * starting with '!' is tried before the others of its pool.
 */
#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

struct angle {
	const char *phrase; /* for {PLAN} and {RECAP}: "where it began" */
	const char *headings[3];
	const char *visuals[2];
	const char *const *lines;
};

/* the word and sentence tables read best as written */
/* clang-format off */
static const struct angle angles[] = {
	{"where it began",
	 {"Where It Began", "The Origins", "How It Started"},
	 {"history", "vintage"},
	 L("^Let's go back to the beginning.", "^First, a little history.",
	   "Every story has a beginning, and {T} is no exception.",
	   "Long before anyone wrote guides about {T}, people were already curious about it.",
	   "The roots of {T} go back further than most people expect.",
	   "It began with a simple problem that someone wanted to solve.",
	   "Early attempts were rough, slow and often wrong, but each one taught something.",
	   "Over time, small improvements added up to something much bigger.",
	   "What started as a niche interest slowly found a wider audience.",
	   "Looking back, the early days of {T} explain a lot about the present.",
	   "Many of the ideas we take for granted were once controversial.",
	   "Each generation added its own layer, refining what came before.",
	   "The history is messy, full of detours and lucky accidents.",
	   "Knowing where {T} came from makes the present much easier to understand.",
	   "$Small beginnings, big consequences.")},
	{"how it works",
	 {"How It Works", "Under the Hood", "The Mechanics"},
	 {"closeup", "detail"},
	 L("^Here's how it works.", "^So how does it actually work?",
	   "At its core, {T} follows a few simple principles.",
	   "Think of it as a chain of steps, where each step depends on the one before.",
	   "The basic idea is easy to state, even if the details take time to master.",
	   "First comes the input, then a process, and finally a result you can see.",
	   "Most of the work happens out of sight, in ways that are easy to overlook.",
	   "Small changes at the start can lead to big differences at the end.",
	   "Once you see the pattern, the whole thing starts to make sense.",
	   "Experts break {T} into parts and study each one on its own.",
	   "The clever part is how those pieces fit together.",
	   "Timing, balance and feedback all play a role.",
	   "When one part fails, the others often have to compensate.",
	   "Understanding the mechanics of {T} turns mystery into something you can reason about.",
	   "$Step by step, it adds up.")},
	{"the key ideas",
	 {"The Key Ideas", "The Basics", "Core Concepts"},
	 {"concept", "diagram"},
	 L("^Let's start with the basics.", "^A few ideas do most of the work.",
	   "A few key ideas carry most of the weight when it comes to {T}.",
	   "The first is that context matters more than rules.",
	   "Another is that simple building blocks can create complex results.",
	   "There are trade-offs too: improving one thing often costs another.",
	   "Good vocabulary helps, because precise words make clear thinking possible.",
	   "If you remember only the basics, you already understand much of {T}.",
	   "These concepts connect to each other, and each one reinforces the rest.",
	   "Beginners often skip the fundamentals, and that is where confusion starts.",
	   "Once the core concepts click, the advanced material becomes far less intimidating.",
	   "It helps to picture each idea with a concrete example.",
	   "$Master those, and the rest follows.")},
	{"everyday examples",
	 {"In Everyday Life", "Real-World Examples", "Where You See It"},
	 {"people", "city"},
	 L("^Look around you.", "^Let's bring it down to earth.",
	   "You have probably met {T} today without even noticing.",
	   "It shows up in homes, workplaces and cities all over the world.",
	   "Some examples are obvious, while others hide in plain sight.",
	   "A simple everyday moment can reveal how {T} really works.",
	   "Businesses, schools and families all rely on it in different ways.",
	   "Once you start looking, you see examples of {T} everywhere.",
	   "The same principle appears at very different scales, from the personal to the global.",
	   "Real-world cases are rarely as neat as the textbook version.",
	   "Watching how people actually use {T} teaches more than any definition.",
	   "Everyday examples turn an abstract idea into something you can recognise.",
	   "$It really is everywhere.")},
	{"why it matters",
	 {"Why It Matters", "The Bigger Picture", "What Is at Stake"},
	 {"impact", "community"},
	 L("^Why does this matter?", "^So why should anyone care about {T}?",
	   "It quietly shapes decisions that affect a great many people.",
	   "When {T} is handled well, hardly anyone notices; when it goes wrong, everyone does.",
	   "It influences how we spend our time, our money and our attention.",
	   "Understanding {T} helps you ask better questions and make better choices.",
	   "The effects ripple outward, from individuals to whole communities.",
	   "It also connects to bigger themes like health, fairness and sustainability.",
	   "Ignoring it does not make it go away; it only makes it harder to manage.",
	   "People who understand {T} tend to spot problems earlier.",
	   "In short, it matters because it touches so many other things.",
	   "$The stakes are real.", "$It matters more than it seems.")},
	{"common misconceptions",
	 {"Common Misconceptions", "Myths and Facts", "What People Get Wrong"},
	 {"question", "puzzle"},
	 L("^Let's clear up a few myths.", "^Not everything you hear is true.",
	   "There are plenty of myths about {T}, and some of them are surprisingly stubborn.",
	   "One common mistake is to think it is simpler than it really is.",
	   "Another is to assume it is only for experts, which is rarely true.",
	   "Some misconceptions come from old information that was never updated.",
	   "Others spread because they make a good story, not because they are accurate.",
	   "A healthy habit is to ask where a claim about {T} comes from.",
	   "Often the truth is less dramatic, but far more interesting.",
	   "Clearing up these myths makes the real picture much easier to see.",
	   "If something sounds too neat to be true, it is worth checking twice.",
	   "Even experienced people hold a few outdated beliefs about {T}.",
	   "$When in doubt, check the facts.")},
	{"the hard parts",
	 {"The Hard Parts", "Challenges", "Limits and Trade-offs"},
	 {"obstacle", "mountain"},
	 L("^It is not always easy.", "^Now for the hard parts.",
	   "Of course, {T} comes with real challenges.",
	   "Some problems are technical, while others are about people and habits.",
	   "Costs, time and know-how are the usual limits.",
	   "There is rarely a single perfect solution, only better and worse trade-offs.",
	   "Progress can stall when the easy wins have already been made.",
	   "Honest discussion of these limits is a sign of a healthy field.",
	   "Many of the hardest questions about {T} are still open.",
	   "Working through these difficulties is where most of the real learning happens.",
	   "What looks like failure is often an early step toward a better approach.",
	   "$There are limits, and that is fine.")},
	{"a closer look at the details",
	 {"A Closer Look", "The Details", "Zooming In"},
	 {"macro", "texture"},
	 L("^Let's look closer.", "^Time to zoom in.",
	   "Let's focus on one side of {T} that often gets overlooked.",
	   "Up close, things that seemed simple turn out to be layered and subtle.",
	   "Tiny details can decide whether something works or fails.",
	   "Look carefully, and you will notice patterns repeating at different scales.",
	   "The closer you look, the more questions appear.",
	   "Specialists spend whole careers on details like these.",
	   "This is where {T} stops being abstract and becomes concrete.",
	   "Paying attention to the details is what separates a beginner from an expert.",
	   "$Details matter.")},
	{"practical tips",
	 {"Practical Tips", "Getting It Right", "Tips That Help"},
	 {"hands", "workspace"},
	 L("^Now for some practical advice.", "^A few tips.",
	   "If you want to get better at {T}, start small and stay consistent.",
	   "Pick one thing to practise, and give it your full attention.",
	   "Keep notes, because patterns only become clear over time.",
	   "Learn from people who have done it before, and ask them questions.",
	   "Avoid the temptation to change everything at once.",
	   "Measure what you can, so you know whether you are actually improving.",
	   "Mistakes are useful, as long as you understand why they happened.",
	   "Set aside regular time for {T}, even if it is only a few minutes.",
	   "Good tools help, but habits matter far more than equipment.",
	   "Share what you learn; explaining something is the best way to understand it.",
	   "$Start small, and keep going.")},
	{"how to get started",
	 {"Getting Started", "First Steps", "Where to Begin"},
	 {"beginner", "notebook"},
	 L("^So where do you begin?", "^Getting started is easier than it looks.",
	   "The best way to start with {T} is with curiosity, not perfection.",
	   "Find one good introduction and work through it slowly.",
	   "Try a small experiment and see what happens.",
	   "Join a community, online or nearby, where people talk about {T}.",
	   "Ask simple questions; they often lead to the deepest answers.",
	   "Give yourself permission to be a beginner for a while.",
	   "A few minutes a day adds up faster than you might think.",
	   "Keep a list of the things that surprise you along the way.",
	   "$Just take the first step.")},
	{"the open questions",
	 {"Open Questions", "Questions Worth Asking", "What We Still Don't Know"},
	 {"curiosity", "horizon"},
	 L("^Some questions remain.", "^Let's end this part with questions.",
	   "Even after all this, some questions about {T} remain open.",
	   "Who benefits most, and who gets left behind?",
	   "What would change if we approached it differently?",
	   "Which parts are well understood, and which are still guesswork?",
	   "How will new tools and new ideas reshape {T}?",
	   "Good questions are often more valuable than quick answers.",
	   "Asking them keeps the conversation honest and moving forward.",
	   "Researchers, practitioners and curious amateurs all contribute to the answers.",
	   "$Keep asking why.")},
	{"what comes next",
	 {"What Comes Next", "The Future", "Looking Ahead"},
	 {"future", "innovation"},
	 L("^What comes next?", "^So where is {T} heading?",
	   "New tools and fresh ideas are already changing the picture.",
	   "Some trends point to faster, cheaper and more accessible approaches.",
	   "Others raise new questions about responsibility and trust.",
	   "The next decade could look very different from the last one.",
	   "No one can predict the future exactly, but the direction is becoming clearer.",
	   "Whatever happens, people who understand {T} will be better prepared.",
	   "The most exciting developments may come from unexpected places.",
	   "It is a good time to pay attention to {T}.",
	   "$The future is open.", "$Watch this space.")},
};

enum { ANGLE_HOW = 1, ANGLE_WHY = 4, ANGLE_FUTURE = 11, N_ANGLES = 12 };

static const char *const intro_topic[] = {
	"Let's talk about {TF}.", "Today we're looking at {TF}.", "This is a short guide to {TF}.",
	"Here's a quick look at {TF}.", "Welcome to a short introduction to {TF}.",
	"Let's explore {TF}.", "This is {TF}.", "All about {TF}.", NULL,
};
static const char *const intro_question[] = {
	"Here's a question worth asking: {TQ}", "Today's question: {TQ}", "{TQ} Let's find out.",
	NULL,
};
static const char *const intro_plain[] = {
	"Here's a quick look.", "Let's dive in.", "Welcome to today's topic.", NULL,
};
static const char *const opening_lines[] = {
	"!In {LEN}, we'll cover {PLAN}.",
	"It is a subject with more depth than it first appears.",
	"Whether you are new to it or already curious, there is something here for you.",
	"By the end, you may see it in a new light.",
	"It touches more of daily life than most people realise.",
	"Some of it may surprise you.",
	"Plenty of people have opinions about {T}, but fewer know how it really works.",
	"It is one of those subjects that rewards a closer look.",
	"Here is what you need to know, in plain words.",
	"No background is needed, just a little curiosity.",
	"$Let's dive in.",
	"$Let's begin.",
	"$Let's start with the basics and build from there.",
	NULL,
};
static const char *const close_lead[] = {
	"So that's {T}, in a nutshell.",
	"That brings us to the end of this look at {T}.",
	"And that's a quick tour of {T}.",
	"To sum up, there is more to {T} than meets the eye.",
	"Let's wrap up.",
	"That's a wrap.",
	"Now you know.",
	NULL,
};
static const char *const close_lines[] = {
	"!Along the way, we covered {RECAP}.",
	"If you remember one thing, remember that the details matter.",
	"The more you learn, the more interesting it becomes.",
	"There is always more to discover.",
	"Hopefully, {T} feels a little more familiar now.",
	"Next time it comes up, you will know where to look.",
	"Curiosity is the best tool you have, so keep using it.",
	"Every expert was once a beginner, and the first step is simply paying attention.",
	"Take one idea from this and try it out for yourself.",
	"The story of {T} is still being written.",
	"It is a subject worth coming back to.",
	NULL,
};
static const char *const signoffs[] = {
	"Thanks for watching.",
	"Thanks for watching, and see you next time.",
	"Thanks for your time.",
	"Stay curious.",
	"Keep exploring, and stay curious.",
	NULL,
};
static const char *const generic_lines[] = {
	"It is worth pausing on that for a moment.",
	"Consider how this plays out in practice.",
	"Experts do not always agree on the details, and that is part of what makes {T} interesting.",
	"Different people come to {T} for very different reasons.",
	"There is more to say here than a short video can cover.",
	"Each of these points deserves a closer look of its own.",
	"That simple observation turns out to be surprisingly useful.",
	"It is a good reminder that context changes everything.",
	"The same idea keeps coming back in different forms.",
	"Seen from a distance, the pattern is clear; up close, it is full of nuance.",
	"This is also where a lot of the interesting debates happen.",
	"None of this happens in isolation.",
	"A good example makes the point better than any definition.",
	"That is easy to say, and harder to do well.",
	"It rewards patience, attention and a bit of curiosity.",
	"Small details here often have large consequences.",
	"There are always exceptions, and they are worth noticing.",
	"This part of {T} is easy to underestimate.",
	"The more closely you look, the more connections you find.",
	NULL,
};
/* Short remarks that top a scene up to its budget: each at most once a
 * script, and placed after the scene's first full sentence. */
static const char *const filler_lines[] = {
	"Think about that.", "Worth remembering.", "Keep that in mind.", "Simple, but powerful.",
	"That matters.", "Small things add up.", "Every detail counts.", "It adds up.", NULL,
};
/* Before a sentence said once already in the script: emphasis, not a slip. */
static const char *const again_prefix[] = {
	"Again,", "As we saw,", "Remember,", "Once more,", "It bears repeating:", NULL,
};
static const char *const close_headings[] = {"The Takeaway", "Wrapping Up", "In Short", NULL};
/* clang-format on */

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
			const char *pre =
			    again_prefix[rng_below(&g->rng, count_lines(again_prefix))];
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
		buf_puts(&b, angles[distinct[i]].phrase);
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
	bool chosen[N_ANGLES] = {false};
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
	bool twice[N_ANGLES] = {false};
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
	static const char *const wh[] = {"how ", "why ",   "what ",    "when ",	 "where ",
					 "who ", "which ", "whether ", "is ",	 "are ",
					 "can ", "do ",	   "does ",    "should "};
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

	pool_init(&g, &g.opening, opening_lines, false);
	pool_init(&g, &g.close, close_lines, false);
	pool_init(&g, &g.generic, generic_lines, false);
	pool_init(&g, &g.filler, filler_lines, true);
	pool_init(&g, &g.intro, question ? intro_question : intro_topic, false);
	pool_init(&g, &g.plain, intro_plain, false);
	pool_init(&g, &g.signoff, signoffs, false);
	pool_init(&g, &g.lead, close_lead, false);
	int hsel[N_ANGLES];
	for (int a = 0; a < N_ANGLES; a++) {
		pool_init(&g, &g.angle[a], angles[a].lines, false);
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
			struct pool *ps[] = {&g.opening, &g.generic, &g.filler};
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
			struct pool *ps[] = {&g.close, &g.generic, &g.filler};
			fill(&g, &st, budget - so.words, ps, 3, 1);
			if (so.nmid) {
				st.tail = so.mid[0];
				st.words += so.words;
			}
			free(so.mid);
			heading =
			    xstrdup(close_headings[rng_below(&g.rng, count_lines(close_headings))]);
			kw = xstrdup(topic_kw);
		} else {
			int a = ids[i - 1];
			struct pool *ap = &g.angle[a];
			say_must(&g, ap, &st, budget);
			struct pool *ps[] = {ap, &g.generic, &g.filler};
			fill(&g, &st, budget, ps, 3, 2);
			/* a second part on the same angle takes the next heading */
			heading =
			    xstrdup(angles[a].headings[(hsel[a] + (second[i - 1] ? 1 : 0)) % 3]);
			kw = scene_keywords(topic_kw, angles[a].visuals[rng_below(&g.rng, 2)]);
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

