/* What the two halves of test_agent share: the agent under test, the
 * checks, and the consumer's side of the rings (test_agent.c). */
#ifndef DWTRACE_TEST_AGENT_H
#define DWTRACE_TEST_AGENT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "agent_abi.h"

extern int failures;
#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                   \
		}                                                                     \
	} while (0)
#define REQUIRE(cond)                                                                  \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: required: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

#define PAGE 4096L

extern struct dwt_agent *A;                       /* the agent's control object */
extern void (*hit)(uint32_t, struct dwt_frame *); /* its dwt_hit */

uint64_t now_us(void);
struct dwt_site *site_at(uint32_t i);
/* Writes site i with its capture program (ops, nops of them), as dwtrace does. */
void set_site(uint32_t i, uint16_t kind, uint16_t flags, const struct dwt_cap_op *ops, uint32_t nops);
/* The ring owned by thread tid, or NULL. */
struct dwt_ring *ring_of(pid_t tid);
/* The consumer: the next record after *tail (PADs skipped), or NULL. */
const struct dwt_rec_hdr *next_record(struct dwt_ring *r, uint64_t *tail);
/* Blob i of record h, and its bytes. */
const struct dwt_blob *blob(const struct dwt_rec_hdr *h, uint32_t i);
const char *blob_data(const struct dwt_blob *b);
void frame_init(struct dwt_frame *f, uint64_t seed);
/* Makes pid the reader and activates once the watchdog watches it. */
void become_reader(pid_t pid);

/* test_agent_filter.c: --filter programs at entry and exit sites. */
void test_filter_sites(void);

/* test_agent_signals.c: the watchdog, fork, trap sites, foreign SIGTRAPs. */
void install_program_trap_handler(void);
int scenario(const char *so, const char *mode, int with_agent);
void test_reader_exit(void);
void test_pidfd_closed(void);
void test_fork(void);
void test_trap_site(void);
void test_foreign_raise(void);
void test_rearm(void);
void test_foreign_dispositions(const char *self, const char *so);

#endif
