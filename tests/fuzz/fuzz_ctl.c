/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer entry point for the control-socket request path (lib/ctl): the
 * input is the byte stream one client writes on the UNIX socket. A real
 * ctl_sock (socket file in a private temporary directory, small request
 * limit so oversized lines are reached) serves it through ctl_sock_poll()
 * with a stub handler that decodes arguments the way rampartd's handler does
 * and answers with each reply shape the library must cope with (object,
 * error with and without text, a non-object). The harness reads every reply
 * and checks that each is one line of JSON: an object with a boolean "ok".
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl/ctl_sock.h"

#include "fuzz_asan.h"
#include "fuzz_entry.h"

enum {
	MAX_REQ = 512,
	REPLY_BUF = 8 << 20,
};

static struct ctl_sock *srv;
static char sock_path[108];
static char dir_path[64];
static char *rbuf;

static void
cleanup(void)
{
	ctl_sock_destroy(srv);
	rmdir(dir_path);
}

/* A daemon's command table: reads and mutating ones (rampartd's is in
 * app/rampartd/ctl_cmd.c). */
static const struct ctl_cmd_def fuzz_cmds[] = {
	{"status", false}, {"list-sas", false}, {"stats", false},
	{"initiate", true}, {"rekey", true}, {"reload", true},
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ctl_sock_cfg cfg = { .mode = 0600, .max_request_len = MAX_REQ, .cmds = fuzz_cmds,
				    .n_cmds = sizeof(fuzz_cmds) / sizeof(fuzz_cmds[0]) };
	int rc;

	(void)argc;
	(void)argv;
	snprintf(dir_path, sizeof(dir_path), "/tmp/fuzz-ctl-XXXXXX");
	if (mkdtemp(dir_path) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir_path);
	cfg.path = sock_path;
	rc = ctl_sock_create(&cfg, &srv);
	if (rc < 0) {
		fprintf(stderr, "ctl_sock_create: %s\n", strerror(-rc));
		abort();
	}
	rbuf = malloc(REPLY_BUF);
	if (rbuf == NULL)
		abort();
	atexit(cleanup);
	return 0;
}

/* rampartd's argument decoding, then a reply shape chosen from the id. */
static int
stub_handler(void *user, const char *cmd, json_t *args, json_t **reply)
{
	uint64_t id = 0;
	json_t *f;

	(void)user;
	if (!json_is_object(args))
		abort();		/* the library promises an object */
	if (strcmp(cmd, "initiate") == 0) {
		f = json_object_get(args, "conn");
		if (!json_is_string(f))
			return -EINVAL;
		*reply = json_pack("{ss}", "conn", json_string_value(f));
		return 0;
	}
	if (strcmp(cmd, "reload") == 0) {
		f = json_object_get(args, "file");
		if (f != NULL && !json_is_string(f)) {
			*reply = json_pack("{ss}", "error", "bad file");
			return -EINVAL;
		}
		*reply = json_pack("{si}", "conns", 1);
		return 0;
	}
	if (ctl_arg_id(args, "ike", &id) != 0 && ctl_arg_id(args, "child", &id) != 0)
		return strcmp(cmd, "status") == 0 ? 0 : -ENOENT;
	switch (id % 5) {
	case 0:
		*reply = json_pack("{sI}", "id_seen", (json_int_t)(id & 0x7fffffff));
		return 0;
	case 1:
		*reply = json_string("not an object");
		return 0;
	case 2:
		*reply = json_pack("{si}", "n", 7);
		return -ESRCH;
	case 3:
		*reply = json_array();
		return -EPERM;
	default:
		return -(int)(id % 200) - 1;
	}
}

static void
check_replies(const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		json_t *r, *ok;

		if (nl == NULL)
			abort();	/* every reply ends with a newline */
		r = json_loadb(buf + pos, (size_t)(nl - buf - pos), 0, NULL);
		ok = json_object_get(r, "ok");
		if (r == NULL || !json_is_boolean(ok))
			abort();
		if (json_is_false(ok) && !json_is_string(json_object_get(r, "error")))
			abort();
		json_decref(r);
		pos = (size_t)(nl - buf) + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t sent = 0, got = 0;
	bool shut = false;
	int fd, spins = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		abort();
	for (;;) {
		ssize_t n;

		if (sent < size) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		if (sent == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (ctl_sock_poll(srv, stub_handler, NULL) < 0)
			abort();
		n = recv(fd, rbuf + got, REPLY_BUF - got, 0);
		if (n == 0)
			break;		/* the server closed: everything answered */
		if (n > 0) {
			got += (size_t)n;
			if (got == REPLY_BUF)
				abort();	/* replies are bounded by requests */
			spins = 0;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			break;		/* reset: the server dropped us */
		} else if (++spins > 100000) {
			abort();	/* the server stopped making progress */
		}
	}
	close(fd);
	check_replies(rbuf, got);
	return 0;
}
