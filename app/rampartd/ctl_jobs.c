/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DH and signature work off the control lcore: lib/ike's job runner
 * (ike_ctx_set_job_runner) backed by plain pthreads.
 *
 * The control lcore submits a job by enqueueing it on the request ring
 * (single producer, multi consumer) and posting a semaphore; a helper thread
 * waits on the semaphore, dequeues one job, runs ike_job_run() (which only
 * touches what the job owns) and enqueues it on the completion ring (multi
 * producer, single consumer). The control loop polls the completion ring and
 * hands each job back to lib/ike with ike_job_done(), which frees and wipes
 * it. So lib/ike's state is only ever touched by the control lcore, and the
 * control lcore never waits for public-key crypto.
 *
 * The completion ring holds every job that can be in flight (request ring
 * size plus one per helper, plus what is shed), so a helper never waits for
 * room. When the request ring is full the job is shed (counted): it comes
 * back failed and lib/ike drops the half-open SA; the control lcore never
 * computes it itself, and a job is never lost.
 *
 * Shutdown (rd_jobs_fini, before ike_ctx_destroy): stop and join the
 * helpers, then return every job still queued, run or not, through
 * ike_job_done(), which wipes its secrets.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#include <rte_ring.h>

#include "ike/ike_crypto.h"
#include "rampartd.h"

enum {
	RD_JOB_RING = 2048,		/* queued requests */
	RD_JOB_BURST = 64,		/* completions dequeued at once */
};

static struct {
	unsigned n_threads;
	pthread_t th[CONF_MAX_CRYPTO_THREADS];
	struct rte_ring *req, *done;
	sem_t sem;
	bool sem_ok;
	volatile bool stop;
} jobs;

static void *
helper_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct ike_job *job;

		if (sem_wait(&jobs.sem) != 0)
			continue;		/* EINTR */
		/* Pairs with the release store in rd_jobs_fini(). */
		if (__atomic_load_n(&jobs.stop, __ATOMIC_ACQUIRE))
			break;
		if (rte_ring_mc_dequeue(jobs.req, (void **)&job) != 0)
			continue;
		ike_job_run(job);
		/* Sized for every job in flight: cannot fail (see above). */
		while (rte_ring_mp_enqueue(jobs.done, job) != 0)
			sched_yield();
		__atomic_fetch_add(&rd.st.jobs_run, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
submit_cb(void *user, struct ike_job *job)
{
	(void)user;
	rd.st.jobs_submitted++;
	if (rte_ring_sp_enqueue(jobs.req, job) == 0) {
		sem_post(&jobs.sem);
		return;
	}
	/* Full: the helpers are RD_JOB_RING jobs behind. Shed this one rather
	 * than compute it here: it completes next loop as failed, and lib/ike
	 * drops its half-open SA. The completion ring has room (see above). */
	rd.st.jobs_shed++;
	job->result = -EBUSY;
	if (rte_ring_mp_enqueue(jobs.done, job) != 0)
		ike_job_done(rd.ike, job, rd_now_ms());	/* cannot happen; never lose it */
}

int
rd_jobs_init(unsigned n_threads)
{
	unsigned i;
	int ret;

	if (n_threads == 0 || rd.ike == NULL)
		return 0;			/* inline: lib/ike's default */
	if (n_threads > CONF_MAX_CRYPTO_THREADS)
		n_threads = CONF_MAX_CRYPTO_THREADS;
	jobs.req = rte_ring_create("rd_job_req", RD_JOB_RING, SOCKET_ID_ANY, RING_F_SP_ENQ);
	jobs.done = rte_ring_create("rd_job_done", 4 * RD_JOB_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (jobs.req == NULL || jobs.done == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	if (sem_init(&jobs.sem, 0, 0) != 0) {
		ret = -errno;
		goto fail;
	}
	jobs.sem_ok = true;
	jobs.stop = false;
	for (i = 0; i < n_threads; i++) {
		char name[16];

		ret = -pthread_create(&jobs.th[i], NULL, helper_main, NULL);
		if (ret != 0)
			goto fail;
		jobs.n_threads = i + 1;
		snprintf(name, sizeof(name), "rd-crypto-%u", i);
		pthread_setname_np(jobs.th[i], name);
	}
	ike_ctx_set_job_runner(rd.ike, submit_cb, NULL);
	RD_LOG(INFO, "%u crypto helper thread(s) for DH and signatures\n", n_threads);
	return 0;
fail:
	rd_jobs_fini();
	return ret;
}

unsigned
rd_jobs_poll(unsigned max)
{
	struct ike_job *done[RD_JOB_BURST];
	unsigned n, i, total = 0;
	uint64_t now;

	if (jobs.done == NULL)
		return 0;
	do {
		n = rte_ring_sc_dequeue_burst(jobs.done, (void **)done,
					      max - total < RD_JOB_BURST ? max - total :
					      RD_JOB_BURST, NULL);
		if (n == 0)
			break;
		now = rd_now_ms();
		for (i = 0; i < n; i++)
			ike_job_done(rd.ike, done[i], now);
		rd.st.jobs_done += n;
		total += n;
	} while (total < max);
	return total;
}

void
rd_jobs_fini(void)
{
	struct ike_job *job;
	unsigned i;

	/* Pairs with the acquire load in helper_main(). */
	__atomic_store_n(&jobs.stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < jobs.n_threads; i++)
		sem_post(&jobs.sem);
	for (i = 0; i < jobs.n_threads; i++)
		pthread_join(jobs.th[i], NULL);
	jobs.n_threads = 0;
	if (rd.ike != NULL)
		ike_ctx_set_job_runner(rd.ike, NULL, NULL);
	/* Nothing runs jobs any more: give back what is left (ike_job_done
	 * wipes; a job that never ran fails its SA, which is going anyway). */
	if (jobs.done != NULL)
		while (rte_ring_dequeue(jobs.done, (void **)&job) == 0)
			ike_job_done(rd.ike, job, rd_now_ms());
	if (jobs.req != NULL)
		while (rte_ring_dequeue(jobs.req, (void **)&job) == 0)
			ike_job_done(rd.ike, job, rd_now_ms());
	rte_ring_free(jobs.req);
	rte_ring_free(jobs.done);
	jobs.req = jobs.done = NULL;
	if (jobs.sem_ok)
		sem_destroy(&jobs.sem);
	jobs.sem_ok = false;
}
