/*
 * methods-stream.c -- the stream requests of doc/protocol.md: logs (a
 * chunk of job.log), subscribe, and the snapshot sent after its answer.
 * The dispatch table is server-methods.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/engine.h"
#include "base/log.h"
#include "base/paths.h"
#include "client/format.h"
#include "client/proto.h"
#include "server/params.h"
#include "server/server-int.h"
#include "base/util.h"

#define LOGS_CHUNK_MAX (256 * 1024) /* log bytes per `logs` answer */
#define SNAPSHOT_MAX   1000	    /* jobs in a subscribe snapshot */

/*
 * Up to LOGS_CHUNK_MAX bytes of job.log from offset, ending after a newline
 * when the chunk holds one; halved (again at a newline) while the answer's
 * JSON would pass srv_answer_max (the line cap, or half of client_buffer:
 * escaping can make it up to 6x larger). A read that reaches the end of
 * the file lets the job's log events flow to this client again, if a
 * log_gap held them back.
 */
int srv_m_logs(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	int64_t jid;
	json_t *offset = NULL;
	int rc;
	if ((rc = srv_param_job_id(params, &jid, err)) < 0 ||
	    (rc = srv_param_opt(params, "offset", srv_is_integer, "an integer", &offset, err)) < 0)
		return rc;
	int64_t off = offset ? json_integer_value(offset) : 0;
	if (off < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"offset\" must be >= 0");
	struct job j;
	job_init(&j);
	rc = engine_get(c->s->eng, jid, &j, err);
	int64_t pruned = j.pruned_ms;
	job_clear(&j);
	if (rc < 0)
		return rc;

	char *dir = paths_job_dir(c->s->paths, jid);
	char *path = xasprintf("%s/job.log", dir);
	free(dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && pruned > 0) {
		char when[64];
		fmt_time(when, sizeof(when), pruned);
		free(path);
		return aura_error_set(err, AURA_E_JOB_PRUNED,
				      "job %lld: its work directory and job.log were removed by "
				      "retention at %s",
				      (long long)jid, when);
	}
	if (fd < 0 && errno != ENOENT) {
		rc = aura_error_set(err, AURA_E_INTERNAL, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	size_t cap = srv_answer_max(c->s);
	size_t max = LOGS_CHUNK_MAX < cap / 2 ? LOGS_CHUNK_MAX : cap / 2;
	char *data = xmalloc(max);
	size_t n = 0;
	bool eof = fd < 0;
	while (fd >= 0 && n < max) {
		ssize_t r = pread(fd, data + n, max - n, (off_t)(off + (int64_t)n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = aura_error_set(err, AURA_E_INTERNAL, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0) {
			eof = true;
			break;
		}
		n += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	if (rc < 0) {
		free(data);
		return rc;
	}
	if (eof)
		srv_log_caught_up(c, jid);
	for (;;) {
		const char *nl = n ? memrchr(data, '\n', n) : NULL;
		if (nl)
			n = (size_t)(nl - data) + 1;
		json_t *res = json_object();
		json_object_set_new(res, "data", proto_stringn(data, n));
		json_object_set_new(res, "offset", json_integer(off + (int64_t)n));
		json_t *probe = proto_response_ok(id, json_incref(res));
		size_t len = json_dumpb(probe, NULL, 0, JSON_COMPACT) + 1;
		json_decref(probe);
		if (len <= cap || n == 0) {
			*result = res;
			break;
		}
		json_decref(res);
		n /= 2;
	}
	free(data);
	return 0;
}

int srv_m_subscribe(struct conn *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	json_t *ids = NULL, *logs = NULL, *progress = NULL;
	int rc;
	if ((rc = srv_param_opt(params, "ids", srv_is_array, "an array of job ids", &ids, err)) <
		0 ||
	    (rc = srv_param_opt(params, "logs", srv_is_boolean, "true or false", &logs, err)) < 0 ||
	    (rc = srv_param_opt(params, "progress", srv_is_boolean, "true or false", &progress,
				err)) < 0)
		return rc;
	if (c->s->shutdown_pending)
		return aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "no new subscriptions");
	size_t n = ids ? json_array_size(ids) : 0;
	int64_t *v = n ? xmalloc(n * sizeof(*v)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(ids, i);
		if (!json_is_integer(x) || json_integer_value(x) <= 0) {
			free(v);
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"ids\"[%zu] is not a job id", i);
		}
		v[i] = json_integer_value(x);
	}
	free(c->ids);
	c->ids = v;
	c->nids = n;
	c->logs = logs && json_is_true(logs);
	c->progress = !progress || json_is_true(progress);
	if (!c->subscribed)
		c->s->nsubscribed++;
	c->subscribed = true;
	c->ndirty = 0;
	*result = json_pack("{s:b}", "subscribed", 1);
	return 0;
}

/* After the subscribe answer: the snapshot, newest first, within the cap. */
void srv_send_snapshot(struct conn *c)
{
	struct page p;
	srv_page_init(&p);
	p.srv = c->s;
	if (c->nids == 0) {
		struct aura_error err = { 0 };
		if (engine_list(c->s->eng, -1, 0, SNAPSHOT_MAX, srv_page_add, &p, &err) < 0)
			log_error("server: snapshot for client fd %d: %s: %s", c->fd,
				  aura_error_name(err.code), err.detail);
	} else {
		for (size_t i = 0; i < c->nids && !p.truncated; i++) {
			struct job j;
			job_init(&j);
			if (engine_get(c->s->eng, c->ids[i], &j, NULL) == 0)
				srv_page_add(&j, &p);
			job_clear(&j);
		}
	}
	if (p.truncated)
		log_info("server: snapshot for client fd %d cut at %zu jobs (line cap)", c->fd,
			 json_array_size(p.jobs));
	json_t *ev = proto_event("snapshot");
	json_object_set_new(ev, "jobs", p.jobs);
	json_object_set_new(ev, "providers", srv_health_json(c->s));
	json_object_set_new(ev, "store", srv_store_json(c->s));
	srv_client_send(c, ev);
}
