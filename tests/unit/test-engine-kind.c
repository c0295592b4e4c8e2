/*
 * test-engine-kind.c -- the engine's job kind hooks (engine_set_kind):
 * prepare is called for a new job of the kind and its answer is the
 * request's, active hears how many of the kind's jobs are queued or
 * running when that changes (submit, cancel, remove, recovery's stock
 * taking, 0 at shutdown). No job starts here: max_jobs is 0.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/conf.h"
#include "base/errors.h"
#include "base/job.h"
#include "base/paths.h"
#include "base/util.h"
#include "engine/engine.h"
#include "os/loop.h"
#include "store/store.h"
#include "sandbox.h"

struct fx {
	char *dir;
	struct aura_config cfg;
	struct aura_paths paths;
	struct store *st;
	struct loop *loop;
	struct engine *e;
	int prepared;		/* prepare calls */
	size_t told[16], ntold; /* what active heard, in order */
};

static int fake_prepare(json_t *params, const struct aura_config *cfg, struct job *j,
			struct aura_error *err)
{
	(void)cfg;
	const char *out = json_string_value(json_object_get(params, "output"));
	if (!out)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "no output");
	free(j->output);
	j->output = xstrdup(out);
	return 0;
}

static struct fx *F;

static int counting_prepare(json_t *params, const struct aura_config *cfg, struct job *j,
			    struct aura_error *err)
{
	F->prepared++;
	return fake_prepare(params, cfg, j, err);
}

static void fake_active(void *ctx, size_t n)
{
	struct fx *f = ctx;
	assert_true(f->ntold < ARRAY_LEN(f->told));
	f->told[f->ntold++] = n;
}

static const struct engine_kind fake_kind = {
	.name = "fake",
	.prepare = counting_prepare,
	.active = fake_active,
};

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = sandbox_new("engine-kind", &f->paths, &f->st);
	config_defaults(&f->cfg);
	f->cfg.max_jobs = 0; /* nothing starts: the counts follow requests only */
	f->loop = loop_new();
	F = f;
	*state = f;
	return 0;
}

static void fx_engine(struct fx *f)
{
	f->e = engine_new(f->loop, f->st, &f->cfg, &f->paths, NULL, NULL);
	engine_set_kind(f->e, JOB_KIND_VIDEO, &fake_kind, f);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	engine_free(f->e);
	loop_free(f->loop);
	store_close(f->st);
	paths_free(&f->paths);
	config_free(&f->cfg);
	rm_tree(f->dir);
	free(f->dir);
	free(f);
	F = NULL;
	return 0;
}

/* A prepared job of kind, submitted; its id. */
static int64_t submit(struct fx *f, enum job_kind kind)
{
	struct job j;
	struct aura_error err = { 0 };
	job_init(&j);
	j.kind = kind;
	j.name = xstrdup("a job");
	j.spec = xstrdup("{}");
	if (kind == JOB_KIND_VIDEO) {
		json_t *params = json_pack("{s:s}", "output", "/tmp/out.mp4");
		assert_int_equal(engine_prepare(f->e, &j, params, &err), 0);
		json_decref(params);
		assert_string_equal(j.output, "/tmp/out.mp4");
	}
	assert_int_equal(engine_submit(f->e, &j, &err), 0);
	int64_t id = j.id;
	job_clear(&j);
	return id;
}

static void test_prepare(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	struct aura_error err = { 0 };
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_VIDEO;
	json_t *params = json_object();
	/* the kind's error is the answer */
	assert_int_equal(engine_prepare(f->e, &j, params, &err), -AURA_E_PROTO_BAD_REQUEST);
	assert_int_equal(f->prepared, 1);
	assert_null(j.output);
	/* a kind nobody registered is not served */
	j.kind = JOB_KIND_FFMPEG;
	assert_int_equal(engine_prepare(f->e, &j, params, &err), -AURA_E_PROTO_BAD_REQUEST);
	assert_int_equal(f->prepared, 1);
	json_decref(params);
	job_clear(&j);
	submit(f, JOB_KIND_VIDEO);
	assert_int_equal(f->prepared, 2);
}

static void test_active_follows_queue(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int64_t a = submit(f, JOB_KIND_VIDEO);
	int64_t b = submit(f, JOB_KIND_VIDEO);
	int64_t c = submit(f, JOB_KIND_FFMPEG); /* another kind: not counted */
	assert_true(loop_run_once(f->loop, 0) >= 0);
	assert_int_equal(f->ntold, 2);
	assert_int_equal(f->told[0], 1);
	assert_int_equal(f->told[1], 2);
	assert_int_equal(engine_cancel(f->e, a, NULL), 0);
	assert_int_equal(engine_cancel(f->e, c, NULL), 0);
	assert_int_equal(f->ntold, 3);
	assert_int_equal(f->told[2], 1);
	assert_int_equal(engine_retry(f->e, a, NULL), 0); /* queued again */
	assert_int_equal(f->ntold, 4);
	assert_int_equal(f->told[3], 2);
	assert_int_equal(engine_remove(f->e, b, NULL), 0);
	assert_int_equal(engine_cancel(f->e, a, NULL), 0);
	assert_int_equal(f->ntold, 6);
	assert_int_equal(f->told[4], 1);
	assert_int_equal(f->told[5], 0);
}

/* A new engine takes stock of what waits in the store at recovery, and
 * tells 0 once it shuts down. */
static void test_active_after_recovery_and_shutdown(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	submit(f, JOB_KIND_VIDEO);
	submit(f, JOB_KIND_VIDEO);
	assert_true(loop_run_once(f->loop, 0) >= 0); /* its deferred schedule */
	engine_free(f->e);
	f->ntold = 0;
	fx_engine(f);
	assert_int_equal(f->ntold, 0); /* registering tells nothing */
	assert_int_equal(engine_recover(f->e, NULL), 0);
	assert_int_equal(f->ntold, 2);
	assert_int_equal(f->told[1], 2);
	engine_shutdown(f->e, false);
	assert_int_equal(f->ntold, 3);
	assert_int_equal(f->told[2], 0);
	assert_true(loop_run_once(f->loop, 0) >= 0);
	assert_int_equal(f->ntold, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_prepare),
		T(test_active_follows_queue),
		T(test_active_after_recovery_and_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
