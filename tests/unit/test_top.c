/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `rampartctl top` rendering (app/rampartctl/ctl_top.c) from two fixed
 * `stats` replies: Mpps and Gbps per worker from counter deltas, the sum
 * line, drops by reason with their rate, IKE rates, and a counter that went
 * backwards (restart) shown as 0, not negative.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "ctl_top.h"

static char *
render(const char *prev_json, const char *cur_json, double dt)
{
	json_t *p = prev_json ? json_loads(prev_json, 0, NULL) : NULL;
	json_t *c = json_loads(cur_json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	top_render(f, p, c, dt);
	fclose(f);
	json_decref(p);
	json_decref(c);
	return buf;
}

#define W(id, rx, rxb, tx, txb, dec, enc, nr) \
	"{\"id\":" #id ",\"rx\":" #rx ",\"rx_bytes\":" #rxb ",\"tx\":" #tx ",\"tx_bytes\":" #txb \
	",\"dec_ok\":" #dec ",\"enc_ok\":" #enc ",\"drops\":{\"no_route\":" #nr "}," \
	"\"esp_drops\":{\"auth\":0}}"

/* A `stats` reply: IKE counters, child_up, the workers (W), drops. */
#define SNAP(sas, ch, ho, leases, rx, inv, up, af, cup, workers, nr, replay, total) \
	"{\"ike\":{\"sas\":" #sas ",\"children\":" #ch ",\"half_open\":" #ho \
	",\"pool_leases\":" #leases ",\"rx\":" #rx ",\"rx_invalid\":" #inv ",\"ike_up\":" #up \
	",\"ike_down\":0,\"auth_failed\":" #af "},\"control\":{\"child_up\":" #cup "}," \
	"\"workers\":[" workers "],\"drops\":{\"no_route\":" #nr \
	",\"ttl\":0,\"esp\":{\"auth\":0,\"replay\":" #replay "},\"total\":" #total "}}"

static const char prev[] =
	SNAP(3, 3, 0, 3, 100, 10, 3, 0, 3,
	     W(0, 1000000, 1000000000, 500000, 600000000, 400000, 300000, 5) ","
	     W(1, 0, 0, 0, 0, 0, 0, 0), 5, 7, 12);
/* 2 s later: worker 0 +3 M packets, +3 GB (12 Gbit/s); worker 1 restarted */
static const char cur[] =
	SNAP(5, 6, 1, 5, 140, 30, 5, 1, 6,
	     W(0, 4000000, 4000000000, 2500000, 2600000000, 3400000, 2300000, 25) ","
	     W(1, 2000000, 250000000, 0, 0, 0, 0, 0), 25, 9, 34);

/* One frame: rendered from @prev (NULL: none) and @cur over @dt seconds, it
 * holds every string of @want and none of @absent (both NULL-terminated). */
struct frame_case {
	const char *prev, *cur;
	double dt;
	const char *want[12];
	const char *absent[4];
};

static void
check_frame(const struct frame_case *fc)
{
	char *s = render(fc->prev, fc->cur, fc->dt);
	unsigned i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; fc->want[i] != NULL; i++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(s, fc->want[i]));
		if (strstr(s, fc->want[i]) == NULL)
			fprintf(stderr, "top: missing \"%s\" in:\n%s", fc->want[i], s);
	}
	for (i = 0; fc->absent[i] != NULL; i++)
		CU_ASSERT_PTR_NULL(strstr(s, fc->absent[i]));
	free(s);
}

static void
two_snapshots(void)
{
	static const struct frame_case fc = {
		prev, cur, 2.0,
		{
			"rampart top: 2 workers, interval 2.0 s\n",
			"tunnels: 5 IKE SAs, 6 child SAs, 1 half-open, 5 leases\n",
			/* IKE: (140-100)/2 rx, (30-10)/2 invalid, 1 up/s, 0.5 auth failures/s */
			"IKE per s: rx 20.0  invalid 10.0  SAs up 1.0  down 0.0  "
			"auth failed 0.5  children up 1.5\n",
			/* worker 0: 1.5 Mpps, 1.5 GB/s = 12 Gbps rx; 1 Mpps, 8 Gbps tx;
			 * 1.5, 1 Mpps; 10 drops/s */
			"     0    1.500   12.000    1.000    8.000    1.500    1.000       10\n",
			/* worker 1 went from 0 to 2 M packets (1 Mpps, 1 Gbps) */
			"     1    1.000    1.000    0.000    0.000    0.000    0.000        0\n",
			"   all    2.500   13.000    1.000    8.000    1.500    1.000\n",
			/* drops: non-zero reasons only, rate and total; esp reasons prefixed */
			"  no_route                   10.0           25\n",
			"  esp:replay                  1.0            9\n",
			NULL,
		},
		{ "ttl", "total ", NULL },
	};

	check_frame(&fc);
}

/* A restart between the snapshots (counters smaller): rates are 0, never negative. */
static void
counters_backwards(void)
{
	static const struct frame_case fc = {
		cur, prev, 1.0,
		{ "     0    0.000    0.000    0.000    0.000    0.000    0.000        0\n", NULL },
		{ "-0", NULL },
	};

	check_frame(&fc);
}

/* No previous snapshot: totals, and "-" for every rate. */
static void
first_frame(void)
{
	static const struct frame_case fc = {
		NULL, cur, 1.0,
		{
			"IKE per s: rx -  invalid -",
			"     0        -        -        -        -        -        -        -\n",
			"  no_route                      -           25\n",
			NULL,
		},
		{ NULL },
	};

	check_frame(&fc);
}

static const struct tu_test tests[] = {
	{ "two_snapshots", two_snapshots },
	{ "counters_backwards", counters_backwards },
	{ "first_frame", first_frame },
};

int
main(void)
{
	return tu_main("top", tests, TU_N(tests));
}
