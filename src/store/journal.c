/*
 * journal.c -- the store's write-behind journal (doc/store.md): while the
 * server batches, every write since the last successful commit is kept,
 * coalesced per row; when the database cannot take a write the store is
 * behind, writes only join the journal, and a commit replays it in one
 * transaction (the catch-up). Also the store's status for the server.
 *
 * Must never: drop a write that may still succeed, or reorder a write of
 * a row past a delete or a clear of its stages.
 */
#include "config.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/util.h"

/* --- the write-behind journal ---------------------------------------------------- */

/* A write that may succeed later: the lock, the disk, the file system. A
 * missing row or our own mistake never will. */
static bool retryable(int code)
{
	return code != AURA_E_JOB_NOT_FOUND && code != AURA_E_INTERNAL;
}

static void op_free(struct op *op)
{
	job_clear(&op->job);
	free(op->stage.name);
	op->stage.name = NULL;
}

void store_journal_clear(struct store *st)
{
	for (size_t i = 0; i < st->nops; i++)
		op_free(&st->ops[i]);
	free(st->ops);
	st->ops = NULL;
	st->nops = st->capops = 0;
}

/*
 * Keep a copy of one write. A write of a row replaces the journal's newest
 * write of the same row (the record is written whole, so only the last one
 * matters), unless something that must stay between them (a delete, a
 * clear of the job's stages) came after it.
 */
static void journal_add(struct store *st, const struct op *w)
{
	for (size_t i = st->nops; i-- > 0;) {
		struct op *o = &st->ops[i];
		if (o->id != w->id)
			continue;
		if (o->kind == OP_DELETE || (o->kind == OP_STAGE_CLEAR && w->kind == OP_STAGE_SET))
			break;
		if (w->kind == OP_JOB && (o->kind == OP_JOB || o->kind == OP_PROGRESS)) {
			job_clear(&o->job);
			job_copy(&o->job, &w->job);
			o->kind = OP_JOB;
			return;
		}
		if (w->kind == OP_PROGRESS && (o->kind == OP_JOB || o->kind == OP_PROGRESS)) {
			job_copy_progress(&o->job, &w->job);
			return;
		}
		if (w->kind == OP_STAGE_SET && o->kind == OP_STAGE_SET &&
		    strcmp(o->stage.name, w->stage.name) == 0) {
			o->stage.seq = w->stage.seq;
			o->stage.state = w->stage.state;
			o->stage.progress = w->stage.progress;
			o->stage.started_ms = w->stage.started_ms;
			o->stage.finished_ms = w->stage.finished_ms;
			return;
		}
	}
	XGROW(st->ops, st->nops + 1, st->capops, 16);
	struct op *o = &st->ops[st->nops++];
	memset(o, 0, sizeof(*o));
	o->kind = w->kind;
	o->id = w->id;
	job_init(&o->job);
	if (w->kind == OP_JOB)
		job_copy(&o->job, &w->job);
	else if (w->kind == OP_PROGRESS)
		job_copy_progress(&o->job, &w->job);
	o->job.id = w->id;
	o->stage = w->stage;
	o->stage.name = xstrdup(w->stage.name);
}

/* The database lacks the journal's writes from now on: roll back what
 * the batch holds (the journal has it) and remember why. */
static void go_behind(struct store *st, const struct aura_error *why)
{
	if (st->batch_open && !sqlite3_get_autocommit(st->db))
		store_run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
	st->batch_open = false;
	if (!st->behind)
		st->behind_since_ms = time_now_ms();
	st->behind = true;
	st->behind_code = why->code ? why->code : AURA_E_STORE_IO;
	free(st->behind_detail);
	st->behind_detail = xstrdup(why->detail);
}

/* One write of the server's loop: run it in the batch and keep a copy;
 * while the database cannot take it, only keep the copy. Outside batching
 * (and in explicit transactions) it is a plain statement. */
int store_write_op(struct store *st, const struct op *w, struct aura_error *err)
{
	assert(st->ready);
	if (!st->batching || st->in_tx)
		return store_sql_op(st, w, err);
	st->writes++;
	if (st->behind) {
		journal_add(st, w);
		return 0;
	}
	struct aura_error e = { 0 };
	int ret = store_batch_touch(st, &e);
	if (ret == 0)
		ret = store_sql_op(st, w, &e);
	if (ret == 0 || retryable(-ret)) {
		journal_add(st, w);
		if (ret < 0)
			go_behind(st, &e);
		return 0;
	}
	if (err)
		*err = e;
	return ret;
}

/* Replay the journal in one transaction; on success the database has
 * caught up. Rows deleted meanwhile are skipped. */
static int catch_up(struct store *st, struct aura_error *err)
{
	struct aura_error e = { 0 };
	int ret = store_run(st, st->stmt[SQL_BEGIN], "begin", &e);
	for (size_t i = 0; ret == 0 && i < st->nops; i++) {
		ret = store_sql_op(st, &st->ops[i], &e);
		if (ret < 0 && !retryable(-ret))
			ret = 0; /* the row is gone, or the write can never be made */
	}
	if (ret == 0)
		ret = store_commit_open(st, "catch-up of the journal", &e);
	else if (!sqlite3_get_autocommit(st->db))
		store_run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
	if (ret < 0) {
		go_behind(st, &e);
		if (err)
			*err = e;
		return ret;
	}
	st->behind = false;
	free(st->behind_detail);
	st->behind_detail = NULL;
	store_journal_clear(st);
	return 0;
}

int store_batch_commit(struct store *st, struct aura_error *err)
{
	if (st->behind)
		return catch_up(st, err);
	if (!st->batch_open) {
		store_journal_clear(st);
		return 0;
	}
	st->batch_open = false;
	struct aura_error e = { 0 };
	int ret = store_commit_open(st, "batch of writes", &e);
	if (ret == 0) {
		store_journal_clear(st);
		return 0;
	}
	go_behind(st, &e);
	if (err)
		*err = e;
	return ret;
}

void store_status(const struct store *st, struct store_status *out)
{
	out->behind = st->behind;
	out->code = st->behind ? st->behind_code : 0;
	out->detail = st->behind ? st->behind_detail : NULL;
	out->since_ms = st->behind ? st->behind_since_ms : 0;
	out->pending = st->behind ? st->nops : 0;
}

bool store_behind(const struct store *st)
{
	return st->behind;
}

uint64_t store_write_count(const struct store *st)
{
	return st->writes;
}

size_t store_pending_ids(const struct store *st, int64_t **ids)
{
	*ids = NULL;
	size_t n = 0;
	for (size_t i = 0; i < st->nops; i++) {
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = (*ids)[k] == st->ops[i].id;
		if (seen)
			continue;
		*ids = xrealloc(*ids, (n + 1) * sizeof(**ids));
		(*ids)[n++] = st->ops[i].id;
	}
	return n;
}
