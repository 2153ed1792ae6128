/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/ctl (the control socket server: requests, limits, peer
 * credentials, idle clients) and rampartctl's argument handling and output
 * against a lib/ctl server in this process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "test_main.h"
#include "ctl/ctl_sock.h"

static char tmpdir[64];

/* ---- control socket ---- */

/* The daemon's command table for these tests (rampartd's own is in
 * app/rampartd/ctl_cmd.c): lib/ctl knows only what its caller names. */
static const struct ctl_cmd_def test_cmds[] = {
	{"status", false}, {"list-sas", false}, {"list-children", false}, {"stats", false},
	{"initiate", true}, {"terminate", true}, {"rekey", true}, {"reload", true},
	{"redirect", true},
};
#define TEST_CMDS .cmds = test_cmds, .n_cmds = sizeof(test_cmds) / sizeof(test_cmds[0])

static int handler_calls;

static int
test_handler(void *user, const char *cmd, json_t *args, json_t **reply)
{
	(void)user;
	handler_calls++;
	CU_ASSERT(json_is_object(args));
	if (strcmp(cmd, "status") == 0) {
		*reply = json_pack("{s:s, s:i, s:[{s:s, s:s, s:b, s:i}]}", "version", "test",
				   "workers", 2, "ports", "name", "pub", "role", "public",
				   "link_up", 1, "rx_pkts", 5);
		return 0;
	}
	if (strcmp(cmd, "initiate") == 0) {
		const char *conn = json_string_value(json_object_get(args, "conn"));

		if (conn == NULL || strcmp(conn, "ra") != 0) {
			*reply = json_pack("{s:s}", "error", "no such connection");
			return -ENOENT;
		}
		return 0;
	}
	if (strcmp(cmd, "rekey") == 0)
		return -EIO;		/* no reply object: strerror text */
	if (strcmp(cmd, "stats") == 0) {
		*reply = json_pack("{s:{s:i, s:i}, s:[{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
				   "s:i, s:i, s:{s:i, s:i}}]}",
				   "ike", "rx", 10, "tx", 11, "workers", "id", 1, "rx", 1, "tx", 2,
				   "c3", 3, "c4", 4, "c5", 5, "c6", 6, "c7", 7, "c8", 8, "c9", 9,
				   "class", "esp_in", 42, "punt", 43);
		return 0;
	}
	if (strcmp(cmd, "list-sas") == 0) {
		*reply = json_string("not an object");	/* handler bug */
		return 0;
	}
	*reply = json_object();
	return 0;
}

static int
client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(sun.sun_path, path, strlen(path) + 1);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	return fd;
}

/* Read one reply line while running the server; NULL after ~2 s. */
static json_t *
read_reply(struct ctl_sock *s, int fd)
{
	static char buf[65536];
	static size_t have;
	static int buf_fd = -1;
	char *nl;
	int i;

	if (buf_fd != fd) {
		buf_fd = fd;
		have = 0;
	}
	for (i = 0; i < 2000; i++) {
		ssize_t n;

		nl = memchr(buf, '\n', have);
		if (nl != NULL) {
			json_t *r = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
			size_t used = (size_t)(nl - buf) + 1;

			memmove(buf, nl + 1, have - used);
			have -= used;
			return r;
		}
		CU_ASSERT(ctl_sock_poll(s, test_handler, NULL) >= 0);
		n = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		else
			usleep(1000);
	}
	return NULL;
}

static json_t *
ask(struct ctl_sock *s, int fd, const char *line)
{
	CU_ASSERT_EQUAL(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	return read_reply(s, fd);
}

static bool
reply_ok(const json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const char *
reply_err(const json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return e != NULL ? e : "";
}

/* @line is answered with the error @err. */
static void
ask_refused(struct ctl_sock *s, int fd, const char *line, const char *err)
{
	json_t *r = ask(s, fd, line);

	CU_ASSERT_STRING_EQUAL(reply_err(r), err);
	json_decref(r);
}

static void
ctl_requests(void)
{
	struct ctl_sock_cfg cfg = {.max_request_len = 256, TEST_CMDS};
	struct ctl_sock_stats st;
	struct ctl_sock *s = NULL, *s2 = NULL;
	char path[100], big[1200];
	struct stat sb;
	json_t *r;
	int fd;

	snprintf(path, sizeof(path), "%s/sub/ctl.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT(S_ISSOCK(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	/* A live daemon on the path is not replaced. */
	CU_ASSERT_EQUAL(ctl_sock_create(&cfg, &s2), -EADDRINUSE);
	CU_ASSERT(ctl_sock_fd(s) >= 0);

	fd = client_connect(path);
	r = ask(s, fd, "{\"cmd\":\"ping\"}\n");
	CU_ASSERT(reply_ok(r));
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"status\",\"id\":7}\r\n");
	CU_ASSERT(reply_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "version")), "test");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"initiate\",\"args\":{\"conn\":\"zz\"}}\n");
	CU_ASSERT(!reply_ok(r));
	CU_ASSERT_STRING_EQUAL(reply_err(r), "no such connection");
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"rekey\"}\n");
	CU_ASSERT(!reply_ok(r));
	CU_ASSERT_STRING_EQUAL(reply_err(r), strerror(EIO));
	json_decref(r);

	r = ask(s, fd, "{\"cmd\":\"list-sas\"}\n");
	CU_ASSERT(!reply_ok(r));
	json_decref(r);

	r = ask(s, fd, "{nope\n");
	CU_ASSERT(!reply_ok(r));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply_err(r), "bad JSON"));
	json_decref(r);

	ask_refused(s, fd, "[1,2]\n", "request must be a JSON object");

	r = ask(s, fd, "{\"cmd\":\"format-disk\",\"id\":\"x\"}\n");
	CU_ASSERT_STRING_EQUAL(reply_err(r), "unknown command \"format-disk\"");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "id")), "x");
	json_decref(r);

	ask_refused(s, fd, "{\"cmd\":\"status\",\"args\":[1]}\n", "\"args\" must be an object");

	ask_refused(s, fd, "{\"cmd\":7}\n", "missing or non-string \"cmd\"");

	/* Oversized line: one error, the tail is skipped, the next line works. */
	memset(big, 'a', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(send(fd, big, strlen(big), MSG_NOSIGNAL), (ssize_t)strlen(big));
	ask_refused(s, fd, "}\n{\"cmd\":\"ping\",\"id\":1}\n", "request too long");
	r = read_reply(s, fd);
	CU_ASSERT(reply_ok(r));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);

	/* Two requests in one write are answered in order. */
	r = ask(s, fd, "{\"cmd\":\"ping\",\"id\":2}\n{\"cmd\":\"ping\",\"id\":3}\n");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	r = read_reply(s, fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);

	ctl_sock_stats_get(s, &st);
	CU_ASSERT_EQUAL(st.bad_json, 1);
	CU_ASSERT_EQUAL(st.oversized, 1);
	CU_ASSERT_EQUAL(st.unknown_cmd, 1);
	CU_ASSERT_EQUAL(st.bad_request, 3);
	CU_ASSERT_EQUAL(st.clients, 1);
	CU_ASSERT_EQUAL(handler_calls, 4);	/* status, initiate, rekey, list-sas */
	r = ctl_sock_stats_json(s);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "oversized")), 1);
	json_decref(r);

	/* A client that goes away is reaped. */
	close(fd);
	for (fd = 0; fd < 100 && st.clients != 0; fd++) {
		ctl_sock_poll(s, test_handler, NULL);
		ctl_sock_stats_get(s, &st);
	}
	CU_ASSERT_EQUAL(st.clients, 0);
	ctl_sock_destroy(s);
	CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
}

static void
ctl_stale_and_limits(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl_sock_cfg cfg = {.max_clients = 1, .mode = 0660, TEST_CMDS};
	struct ctl_sock *s = NULL;
	char path[100], buf[256];
	struct stat sb;
	int fd, fd1, fd2, i;
	ssize_t n = 0;

	/* A socket file left by a crashed daemon is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0660);

	/* Over max_clients: told so and closed. */
	fd1 = client_connect(path);
	fd2 = client_connect(path);
	for (i = 0; i < 200; i++) {
		ctl_sock_poll(s, test_handler, NULL);
		n = recv(fd2, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n > 0)
			break;
		usleep(1000);
	}
	CU_ASSERT(n > 0);
	if (n > 0) {
		buf[n] = '\0';
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "too many clients"));
	}
	close(fd1);
	close(fd2);
	ctl_sock_destroy(s);

	/* Not a socket: left alone. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(ctl_sock_create(&cfg, &s), -EEXIST);
	unlink(path);
	cfg.group = "no-such-group-rampart";
	CU_ASSERT_EQUAL(ctl_sock_create(&cfg, &s), -ENOENT);
	ctl_sock_destroy(NULL);
}

/* Several clients with pipelined requests all get every answer. */
static void
ctl_many_clients(void)
{
	struct ctl_sock_cfg cfg = {TEST_CMDS};
	struct ctl_sock *s = NULL;
	char path[100], line[64];
	int fds[5], i, j;

	snprintf(path, sizeof(path), "%s/many.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	for (i = 0; i < 5; i++)
		fds[i] = client_connect(path);
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 40; j++) {
			snprintf(line, sizeof(line), "{\"cmd\":\"ping\",\"id\":%d}\n", i * 100 + j);
			CU_ASSERT_EQUAL(send(fds[i], line, strlen(line), MSG_NOSIGNAL),
					(ssize_t)strlen(line));
		}
	}
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 40; j++) {
			json_t *r = read_reply(s, fds[i]);

			CU_ASSERT(reply_ok(r));
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), i * 100 + j);
			json_decref(r);
		}
		close(fds[i]);
	}
	ctl_sock_destroy(s);
}

/* ---- control socket: peer credentials and idle clients ---- */

static struct ctl_peer seen_peer;
static int peer_calls;

/* @user is the server: record the peer of each handled request. */
static int
peer_handler(void *user, const char *cmd, json_t *args, json_t **reply)
{
	(void)cmd;
	(void)args;
	peer_calls++;
	CU_ASSERT_EQUAL(ctl_sock_peer(user, &seen_peer), 0);
	*reply = json_pack("{s:i}", "uid", (int)seen_peer.uid);
	return 0;
}

/*
 * Child: become uid 65534 with primary group @gid and supplementary groups
 * @groups, connect, send each of @lines and expect the reply to be ok or not
 * as @want_ok says. Exit status: 0 all as expected, 10 + i request i was not.
 */
static void
unpriv_child(const char *path, gid_t gid, const gid_t *groups, size_t n_groups,
	     const char *const lines[], const bool want_ok[], unsigned n)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 10};
	unsigned i;
	int fd;

	if (setgroups(n_groups, groups) != 0 || setgid(gid) != 0 || setuid(65534) != 0)
		_exit(2);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		_exit(3);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < n; i++) {
		char buf[1024];
		size_t have = 0;
		json_t *r;

		if (send(fd, lines[i], strlen(lines[i]), MSG_NOSIGNAL) != (ssize_t)strlen(lines[i]))
			_exit(4);
		while (have == 0 || buf[have - 1] != '\n') {
			ssize_t k = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);

			if (k <= 0)
				_exit(5);
			have += (size_t)k;
		}
		buf[have] = '\0';
		r = json_loads(buf, 0, NULL);
		if (r == NULL || json_is_true(json_object_get(r, "ok")) != want_ok[i] ||
		    (!want_ok[i] && strstr(buf, "permission denied") == NULL))
			_exit(10 + (int)i);
		json_decref(r);
	}
	close(fd);
	_exit(0);
}

/* Serve @s until child @pid exits; returns its exit status (-1 on a signal). */
static int
serve_until_exit(struct ctl_sock *s, pid_t pid)
{
	int status = -1, i;

	for (i = 0; i < 10000; i++) {
		ctl_sock_poll(s, peer_handler, s);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* unpriv_child(@path, ...) in a child process, served by @s: its exit status. */
static int
unpriv_run(struct ctl_sock *s, const char *path, gid_t gid, const gid_t *groups,
	   size_t n_groups, const char *const lines[], const bool want_ok[], unsigned n)
{
	pid_t pid = fork();

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		unpriv_child(path, gid, groups, n_groups, lines, want_ok, n);
	return serve_until_exit(s, pid);
}

static void
ctl_peer_credentials(void)
{
	static const char *const lines[] = {
		"{\"cmd\":\"status\"}\n", "{\"cmd\":\"initiate\",\"args\":{\"conn\":\"ra\"}}\n",
		"{\"cmd\":\"terminate\",\"args\":{\"ike\":1}}\n", "{\"cmd\":\"rekey\"}\n",
		"{\"cmd\":\"reload\",\"args\":{\"file\":\"/etc/shadow\"}}\n",
		"{\"cmd\":\"list-children\"}\n",
		"{\"cmd\":\"redirect\",\"args\":{\"all\":true,\"to\":\"192.0.2.9\"}}\n",
	};
	static const bool outsider[] = {true, false, false, false, false, true, false};
	static const bool member[] = {true, true, true, true, true, true, true};
	struct ctl_sock_cfg cfg = {.mode = 0666, TEST_CMDS};
	struct ctl_sock_stats st;
	struct ctl_sock *s = NULL;
	struct ctl_peer p;
	struct group *gr = getgrgid(65534);
	char dir[100], path[128], grname[64];
	gid_t other = 65533, member_of[1] = {65534};
	pid_t pid;
	json_t *r;
	int fd;

	/* Dropping to another uid needs root: the test runs as root (make check). */
	CU_ASSERT_EQUAL_FATAL(geteuid(), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gr);	/* Debian: nogroup */
	snprintf(grname, sizeof(grname), "%s", gr->gr_name);
	snprintf(dir, sizeof(dir), "%s/peer", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	chmod(tmpdir, 0711);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	cfg.path = path;

	/* No group configured: a non-root peer may read, never mutate. */
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	CU_ASSERT_EQUAL(ctl_sock_peer(s, &p), -ENOENT);	/* outside a handler */
	peer_calls = 0;
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		unpriv_child(path, 65534, NULL, 0, lines, outsider, 7);
	CU_ASSERT_EQUAL(serve_until_exit(s, pid), 0);
	CU_ASSERT_EQUAL(peer_calls, 2);		/* status, list-children only */
	CU_ASSERT_EQUAL(seen_peer.uid, 65534);
	CU_ASSERT_EQUAL(seen_peer.gid, 65534);
	CU_ASSERT_EQUAL(seen_peer.pid, pid);
	CU_ASSERT(!seen_peer.admin);
	ctl_sock_stats_get(s, &st);
	CU_ASSERT_EQUAL(st.denied, 5);
	r = ctl_sock_stats_json(s);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "denied")), 5);
	json_decref(r);

	/* Root: everything reaches the handler. */
	fd = client_connect(path);
	r = ask(s, fd, "{\"cmd\":\"terminate\"}\n");
	CU_ASSERT(reply_ok(r));
	json_decref(r);
	/* ask() serves with test_handler: look at the peer through peer_handler. */
	{
		static const char req[] = "{\"cmd\":\"reload\"}\n";

		CU_ASSERT_EQUAL(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	}
	peer_calls = 0;
	for (int i = 0; i < 2000 && peer_calls == 0; i++) {
		ctl_sock_poll(s, peer_handler, s);
		usleep(500);
	}
	CU_ASSERT_EQUAL(peer_calls, 1);
	CU_ASSERT_EQUAL(seen_peer.uid, 0);
	CU_ASSERT(seen_peer.admin);
	close(fd);
	ctl_sock_destroy(s);

	/* With a control group: members (primary or supplementary) may mutate. */
	cfg.group = grname;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	peer_calls = 0;
	CU_ASSERT_EQUAL(unpriv_run(s, path, 65534, NULL, 0, lines, member, 7), 0);
	CU_ASSERT_EQUAL(peer_calls, 7);
	CU_ASSERT_EQUAL(unpriv_run(s, path, other, member_of, 1, lines, member, 7), 0);
	CU_ASSERT_EQUAL(seen_peer.gid, other);
	CU_ASSERT(seen_peer.admin);
	/* Neither primary nor supplementary member: refused. */
	CU_ASSERT_EQUAL(unpriv_run(s, path, other, NULL, 0, lines, outsider, 7), 0);
	ctl_sock_stats_get(s, &st);
	CU_ASSERT_EQUAL(st.denied, 5);
	ctl_sock_destroy(s);
	chmod(tmpdir, 0700);
}

/* A client that never completes a request is closed after the idle timeout;
 * one that keeps asking stays. */
static void
ctl_idle_timeout(void)
{
	struct ctl_sock_cfg cfg = {.idle_timeout_ms = 300, TEST_CMDS};
	struct ctl_sock_stats st;
	struct ctl_sock *s = NULL;
	char path[100], buf[64];
	int quiet, busy, trickle, i;
	ssize_t n = -1;
	json_t *r;

	snprintf(path, sizeof(path), "%s/idle.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	quiet = client_connect(path);
	busy = client_connect(path);
	trickle = client_connect(path);
	/* 1.2 s: busy pings every 100 ms, trickle sends one byte of a request. */
	for (i = 0; i < 12; i++) {
		r = ask(s, busy, "{\"cmd\":\"ping\"}\n");
		CU_ASSERT(reply_ok(r));
		json_decref(r);
		/* Fails with EPIPE once the server has closed it. */
		(void)!send(trickle, "{", 1, MSG_NOSIGNAL);
		usleep(100000);
		ctl_sock_poll(s, test_handler, NULL);
	}
	ctl_sock_stats_get(s, &st);
	CU_ASSERT_EQUAL(st.idle_closed, 2);
	CU_ASSERT_EQUAL(st.clients, 1);
	/* The closed ones see EOF. */
	n = recv(quiet, buf, sizeof(buf), MSG_DONTWAIT);
	CU_ASSERT_EQUAL(n, 0);
	n = recv(trickle, buf, sizeof(buf), MSG_DONTWAIT);
	CU_ASSERT(n == 0 || (n < 0 && errno == ECONNRESET));
	r = ctl_sock_stats_json(s);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "idle_closed")), 2);
	json_decref(r);
	close(quiet);
	close(busy);
	close(trickle);
	ctl_sock_destroy(s);
}

/* ---- rampartctl ---- */

/* Run rampartctl with @argv while serving @s; returns its exit status and its
 * stdout+stderr in @out. */
static int
run_ctl(struct ctl_sock *s, char *const argv[], char *out, size_t out_len)
{
	int pfd[2], status = -1, i;
	size_t have = 0;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(pfd) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 5000; i++) {
		ssize_t n;

		if (s != NULL)
			ctl_sock_poll(s, test_handler, NULL);
		n = read(pfd[0], out + have, out_len - 1 - have);
		if (n > 0)
			have += (size_t)n;
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	if (i == 5000) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	for (;;) {
		ssize_t n = read(pfd[0], out + have, out_len - 1 - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
	close(pfd[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* rampartctl runs (arguments after the binary, PATH: the test socket), whether
 * the test server answers, the exit code and what the output holds. */
static const struct {
	const char *argv[7];
	bool served;
	int exit;
	const char *has[3];
} cli_runs[] = {
	{ { NULL }, false, 2, { "missing command" } },
	{ { "-s", "PATH", "frobnicate", NULL }, false, 2,
	  { "unknown command 'frobnicate'", "usage:" } },
	{ { "-s", "PATH", "rekey", "--child", "x1", NULL }, false, 2, { "bad id 'x1'" } },
	{ { "-s", "PATH", "initiate", NULL }, false, 2, { NULL } },
	{ { "-s", "/nonexistent/x.sock", "status", NULL }, false, 1, { "is rampartd running?" } },
	{ { "-s", "PATH", "status", NULL }, true, 0, { "version", "PORT", "public" } },
	{ { "-s", "PATH", "stats", NULL }, true, 0, { "ike.rx", "class.esp_in", "42" } },
	{ { "-s", "PATH", "initiate", "zz", NULL }, true, 1, { "no such connection" } },
};

static void
rampartctl_cli(void)
{
	const char *bin = getenv("RAMPARTCTL");
	struct ctl_sock_cfg cfg = {TEST_CMDS};
	struct ctl_sock *s = NULL;
	char path[100], out[8192];
	size_t i;

	if (bin == NULL) {
		fprintf(stderr, "\n(RAMPARTCTL not set: skipped)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/cli.sock", tmpdir);
	cfg.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_sock_create(&cfg, &s), 0);
	for (i = 0; i < sizeof(cli_runs) / sizeof(cli_runs[0]); i++) {
		char *a[8] = { (char *)bin };
		unsigned k;

		for (k = 0; cli_runs[i].argv[k] != NULL; k++)
			a[k + 1] = (char *)(strcmp(cli_runs[i].argv[k], "PATH") == 0 ? path :
					    cli_runs[i].argv[k]);
		CU_ASSERT_EQUAL(run_ctl(cli_runs[i].served ? s : NULL, a, out, sizeof(out)),
				cli_runs[i].exit);
		for (k = 0; k < 3 && cli_runs[i].has[k] != NULL; k++)
			CU_ASSERT_PTR_NOT_NULL(strstr(out, cli_runs[i].has[k]));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "--json", "status", NULL};
		json_t *r;

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 0);
		r = json_loads(out, 0, NULL);
		CU_ASSERT(reply_ok(r));
		json_decref(r);
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "rekey", "--ike", "3", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, strerror(EIO)));
	}
	{
		char *const a[] = {(char *)bin, "-s", path, "initiate", "ra", NULL};

		CU_ASSERT_EQUAL(run_ctl(s, a, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, "ok\n");
	}
	ctl_sock_destroy(s);
}

/* radius section and remote_auth eap-radius: values, and each mistake a
 * clear error that never shows the secret. */

/* ctl_arg_id: the one decoder of id arguments (rampartd's and the fuzz target's). */
static void
ctl_arg_ids(void)
{
	json_t *a = json_pack("{s:i, s:s, s:s, s:s, s:i, s:b}", "n", 42, "hex", "0x2a",
			      "dec", "17", "junk", "12ab", "neg", -1, "bool", 1);
	uint64_t id = 7;

	CU_ASSERT_FATAL(a != NULL);
	CU_ASSERT(ctl_arg_id(a, "n", &id) == 0 && id == 42);
	CU_ASSERT(ctl_arg_id(a, "hex", &id) == 0 && id == 42);
	CU_ASSERT(ctl_arg_id(a, "dec", &id) == 0 && id == 17);
	CU_ASSERT_EQUAL(ctl_arg_id(a, "junk", &id), -EINVAL);
	CU_ASSERT_EQUAL(ctl_arg_id(a, "neg", &id), -ENOENT);
	CU_ASSERT_EQUAL(ctl_arg_id(a, "bool", &id), -ENOENT);
	CU_ASSERT_EQUAL(ctl_arg_id(a, "absent", &id), -ENOENT);
	json_decref(a);
}

static const struct tu_test tests[] = {
	{ "ctl_requests", ctl_requests },
	{ "ctl_stale_and_limits", ctl_stale_and_limits },
	{ "ctl_many_clients", ctl_many_clients },
	{ "ctl_peer_credentials", ctl_peer_credentials },
	{ "ctl_idle_timeout", ctl_idle_timeout },
	{ "rampartctl_cli", rampartctl_cli },
	{ "ctl_arg_ids", ctl_arg_ids },
};

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return tu_main_tmpdir("ctl", tmpdir, sizeof(tmpdir), tests, TU_N(tests));
}
