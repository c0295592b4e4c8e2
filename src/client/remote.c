/*
 * remote.c -- a client through ssh (remote.h): the address, the ssh
 * command line, the socketpair under the client, and client_open, which
 * picks the local socket or ssh for every front end.
 *
 * Must never: run a shell here (ssh is spawned from an argv by
 * os/proc-stdio.c), let ssh's stderr reach the terminal (it goes to a
 * pipe the client reads), or leave an ssh process behind (client_free
 * ends and reaps it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/shsplit.h"
#include "base/util.h"
#include "client/remote.h"
#include "os/proc.h"

void remote_url_free(struct remote_url *u)
{
	free(u->user);
	free(u->host);
	free(u->data_dir);
	memset(u, 0, sizeof(*u));
}

static int bad_url(const char *url, const char *why, struct aura_error *err)
{
	return aura_error_set(err, AURA_E_HOST_INVALID, "%.200s: %s", url, why);
}

static bool host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

int remote_url_parse(const char *url, struct remote_url *out, struct aura_error *err)
{
	memset(out, 0, sizeof(*out));
	static const char scheme[] = "ssh://";
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return bad_url(url, "not an ssh:// address", err);
	const char *p = url + sizeof(scheme) - 1;
	const char *slash = strchr(p, '/');
	const char *end = slash ? slash : p + strlen(p);
	if (strpbrk(url, " \t\n\r?#"))
		return bad_url(url, "spaces, ? and # have no place in it", err);

	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		if (at == p)
			return bad_url(url, "an empty user before @", err);
		for (const char *q = p; q < at; q++)
			if (!host_char_ok(*q) || (q == p && *q == '-'))
				return bad_url(url, "the user holds a character ssh would not take",
					       err);
		out->user = xstrndup(p, (size_t)(at - p));
		p = at + 1;
	}
	const char *host_end;
	if (*p == '[') { /* [IPv6] */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close || close == p + 1)
			goto bad_host;
		for (const char *q = p + 1; q < close; q++)
			if (!host_char_ok(*q) && *q != ':' && *q != '%') /* fe80::1%eth0 */
				goto bad_host;
		out->host = xstrndup(p + 1, (size_t)(close - p - 1));
		host_end = close + 1;
	} else {
		host_end = p;
		while (host_end < end && *host_end != ':')
			host_end++;
		if (host_end == p || *p == '-' || *p == '.')
			goto bad_host;
		for (const char *q = p; q < host_end; q++)
			if (!host_char_ok(*q))
				goto bad_host;
		out->host = xstrndup(p, (size_t)(host_end - p));
	}
	if (host_end < end) {
		if (*host_end != ':' || host_end + 1 == end) {
			remote_url_free(out);
			return bad_url(url, "expected :PORT after the host", err);
		}
		long port = 0;
		for (const char *q = host_end + 1; q < end; q++) {
			if (*q < '0' || *q > '9' || port > 65535) {
				port = -1;
				break;
			}
			port = port * 10 + (*q - '0');
		}
		if (port < 1 || port > 65535) {
			remote_url_free(out);
			return bad_url(url, "the port is not a number from 1 to 65535", err);
		}
		out->port = (int)port;
	}
	if (slash && slash[1]) {
		if (strncmp(slash, "/~", 2) == 0 && (slash[2] == '/' || !slash[2]))
			out->data_dir = xstrdup(slash[2] && slash[3] ? slash + 3 : ".");
		else
			out->data_dir = xstrdup(slash);
	}
	return 0;
bad_host:
	remote_url_free(out);
	return bad_url(url, "no host name, IPv4 or [IPv6] address after ssh://", err);
}

char *remote_quote(const char *word)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_-./:=@%+,";
	if (*word && strspn(word, safe) == strlen(word))
		return xstrdup(word);
	struct buf b;
	buf_init(&b);
	buf_append(&b, "'", 1);
	for (const char *p = word; *p; p++) {
		if (*p == '\'')
			buf_append(&b, "'\\''", 4);
		else
			buf_append(&b, p, 1);
	}
	buf_append(&b, "'", 1);
	char *s = xstrdup(b.data);
	buf_free(&b);
	return s;
}

void remote_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

static int split_cmd(const char *what, const char *cmd, const char *def, char ***words, int *n,
		     struct aura_error *err)
{
	struct aura_error e2;
	aura_error_clear(&e2);
	if (shsplit(cmd && *cmd ? cmd : def, words, n, &e2) < 0 || *n == 0) {
		if (*words)
			shsplit_free(*words);
		*words = NULL;
		return aura_error_set(err, AURA_E_HOST_INVALID, "%s: %s", what,
				      *n == 0 && !e2.detail[0] ? "no program named" : e2.detail);
	}
	return 0;
}

int remote_argv(const struct remote_url *u, const char *ssh_cmd, const char *remote_cmd,
		bool autostart, char ***argv, struct aura_error *err)
{
	char **sw = NULL, **rw = NULL;
	int sn = 0, rn = 0;
	*argv = NULL;
	if (split_cmd("the ssh command (AURA_SSH_COMMAND, [client] ssh_command)", ssh_cmd, "ssh",
		      &sw, &sn, err) < 0)
		return -AURA_E_HOST_INVALID;
	if (split_cmd("the remote command (AURA_REMOTE_COMMAND, [client] remote_command)",
		      remote_cmd, "aura", &rw, &rn, err) < 0) {
		shsplit_free(sw);
		return -AURA_E_HOST_INVALID;
	}
	/* the remote login shell runs this one string: each word quoted */
	struct buf cmd;
	buf_init(&cmd);
	for (int i = 0; i < rn; i++) {
		char *q = remote_quote(rw[i]);
		buf_printf(&cmd, "%s%s", i ? " " : "", q);
		free(q);
	}
	if (u->data_dir) {
		char *q = remote_quote(u->data_dir);
		buf_printf(&cmd, " --data-dir %s", q);
		free(q);
	}
	buf_printf(&cmd, " dial-stdio%s", autostart ? "" : " --no-start");

	char **v = xcalloc((size_t)sn + 10, sizeof(*v));
	int n = 0;
	for (int i = 0; i < sn; i++)
		v[n++] = xstrdup(sw[i]);
	v[n++] = xstrdup("-T"); /* a pty would mangle the protocol's bytes */
	if (u->port) {
		v[n++] = xstrdup("-p");
		v[n++] = xasprintf("%d", u->port);
	}
	if (u->user) {
		v[n++] = xstrdup("-l");
		v[n++] = xstrdup(u->user);
	}
	v[n++] = xstrdup("--");
	v[n++] = xstrdup(u->host);
	v[n++] = xstrdup(cmd.data);
	v[n] = NULL;
	buf_free(&cmd);
	shsplit_free(sw);
	shsplit_free(rw);
	*argv = v;
	return 0;
}

int client_connect_remote(const char *url, const char *ssh_cmd, const char *remote_cmd,
			  bool autostart, int timeout_ms, struct client **out,
			  struct aura_error *err)
{
	struct remote_url u;
	char **argv;
	int rc;
	*out = NULL;
	if ((rc = remote_url_parse(url, &u, err)) < 0)
		return rc;
	if ((rc = remote_argv(&u, ssh_cmd, remote_cmd, autostart, &argv, err)) < 0) {
		remote_url_free(&u);
		return rc;
	}
	int sv[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "ssh %s: socketpair: %s",
				    u.host, strerror(errno));
		goto out;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "ssh %s: pipe: %s", u.host,
				    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto out;
	}
	pid_t pid = proc_spawn_stdio((const char *const *)argv, sv[1], ep[1]);
	int e = errno;
	close(sv[1]);
	close(ep[1]);
	struct client *c = client_new_fd(sv[0]);
	client_set_child(c, pid > 0 ? pid : 0, ep[0]);
	if (pid < 0) {
		rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "ssh %s: fork: %s", u.host,
				    strerror(e));
		client_free(c);
		goto out;
	}
	/* Connected means the server answered, as for a local socket. */
	rc = client_call_within(c, "ping", NULL, timeout_ms, NULL, err);
	if (rc < 0) {
		const char *said = client_child_said(c, 2000);
		char why[sizeof(err->detail)];
		str_copy(why, said ? said : err->detail, sizeof(why));
		if (rc == -AURA_E_SERVER_UNREACHABLE)
			rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "ssh %s: %s", u.host,
					    why);
		client_free(c);
		goto out;
	}
	*out = c;
out:
	remote_argv_free(argv);
	remote_url_free(&u);
	return rc;
}

int client_open(const struct cli_ctx *ctx, bool autostart, struct client **out,
		struct aura_error *err)
{
	if (ctx->host)
		return client_connect_remote(ctx->host, ctx->ssh_command, ctx->remote_command,
					     autostart, REMOTE_CONNECT_TIMEOUT_MS, out, err);
	return client_connect(&ctx->paths, "/proc/self/exe", ctx->cli_config, autostart, out, err);
}
