// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: the measurement loops of the engine (bench.c): the pointer
 * chase and its permutation, and the read, write, copy and triad loops
 * in three instruction sets.
 *
 * Under an emulator (QEMU TCG) the speed of a loop depends on the
 * instructions far more than on the memory: every guest load or store is
 * a software TLB lookup, so 32-byte moves go about four times as far as
 * 8-byte ones.  The loops are therefore written per instruction set, with
 * intrinsics, rather than left to the vectoriser, so that what runs is
 * known and can be matched with a peer tool's loop.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#include "bench-private.h"

/* splitmix64: a small, good enough generator with a 64-bit state. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform value in [0, bound), bound > 0, without modulo bias. */
static uint64_t random_below(uint64_t *state, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound, r;

	do {
		r = next_random(state);
	} while (r >= limit);
	return r % bound;
}

/*
 * Sattolo's algorithm builds a uniformly random permutation that is one
 * cycle, so a chase from any line visits every line once before it comes
 * back.  The shuffle runs in an index array in the caller's memory, not
 * in the buffer: on slow memory (CXL under TCG) its random reads and
 * writes cost the buffer's latency each, some seconds for 16 MiB, while
 * writing the links is then one pass in address order.  Lines are random
 * over the whole buffer, across pages: the engine asks for 2 MiB pages,
 * which keep TLB misses rare up to the second-level TLB's reach.
 */
unsigned long long lp_bench_chase_build(void *buf, size_t size,
					 unsigned long long seed)
{
	uint64_t state = seed, n = size / LP_BENCH_LINE, i, j;
	uint32_t *next, t;
	char *base = buf;

	if (n < 2 || n > UINT32_MAX)
		return 0;
	next = malloc(n * sizeof(*next));
	if (!next)
		return 0;
	for (i = 0; i < n; i++)
		next[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		j = random_below(&state, i);	/* j < i: Sattolo, not Fisher-Yates */
		t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	for (i = 0; i < n; i++)
		*(void **)(base + i * LP_BENCH_LINE) =
			base + (size_t)next[i] * LP_BENCH_LINE;
	free(next);
	return n;
}

#define CHASE_STEP(p)	((p) = *(void *const *)(p))
#define CHASE_16(p)							\
	do {								\
		CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); \
		CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); \
		CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); \
		CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); CHASE_STEP(p); \
	} while (0)

/* Loads between two looks at the stop flag. */
#define CHASE_BATCH	256

unsigned long long lp_bench_chase(void **pos, unsigned long long loads,
				  const atomic_int *stop)
{
	unsigned long long done = 0;
	void *p = *pos;
	int k;

	/* One batch at least, so that even a spent budget measures some. */
	do {
		for (k = 0; k < CHASE_BATCH / 16; k++)
			CHASE_16(p);
		done += CHASE_BATCH;
	} while (done < loads &&
		 !atomic_load_explicit(stop, memory_order_relaxed));
	*pos = p;
	return done;
}

/*
 * The loops.  @bytes is a multiple of LP_BENCH_CHUNK_ALIGN and every
 * pointer is 64-byte aligned.  Each iteration moves 128 bytes per array
 * with one index register and indexed addressing, the shape of
 * likwid-bench's kernels: under TCG every guest instruction costs, so
 * per-array pointer increments (which set flags) are left out.
 *
 * read loads into registers and computes nothing (as likwid-bench's
 * load kernels): a sum would add an ALU operation per load, which an
 * emulator charges as much as the load itself.  The loads are in asm
 * so that the compiler keeps them.
 */

static uint64_t read_scalar(const void *src, size_t bytes)
{
	const char *s = src;
	size_t i;

	for (i = 0; i < bytes; i += 32)
		__asm__ volatile("mov (%0,%1), %%r8\n\t"
				 "mov 8(%0,%1), %%r9\n\t"
				 "mov 16(%0,%1), %%r10\n\t"
				 "mov 24(%0,%1), %%r11"
				 : : "r"(s), "r"(i)
				 : "r8", "r9", "r10", "r11", "memory");
	return 0;
}

/*
 * Scalar write and copy: 8-byte moves, with @store "mov" or "movnti"
 * (the non-temporal store of a general-purpose register, SSE2, so part
 * of x86-64) and @fence after the loop.
 */
#define LOOP_WRITE_SCALAR(name, store, fence)				\
static void name(void *dst, size_t bytes)				\
{									\
	char *d = dst;							\
	size_t i;							\
									\
	for (i = 0; i < bytes; i += 32)					\
		__asm__ volatile(store " %2, (%0,%1)\n\t"			\
				 store " %2, 8(%0,%1)\n\t"		\
				 store " %2, 16(%0,%1)\n\t"		\
				 store " %2, 24(%0,%1)"			\
				 : : "r"(d), "r"(i), "r"((uint64_t)1)	\
				 : "memory");				\
	fence();							\
}

#define LOOP_COPY_SCALAR(name, store, fence)				\
static void name(void *dst, const void *src, size_t bytes)		\
{									\
	const char *s = src;						\
	char *d = dst;							\
	size_t i;							\
									\
	for (i = 0; i < bytes; i += 32)					\
		__asm__ volatile("mov (%1,%2), %%r8\n\t"			\
				 "mov 8(%1,%2), %%r9\n\t"		\
				 "mov 16(%1,%2), %%r10\n\t"		\
				 "mov 24(%1,%2), %%r11\n\t"		\
				 store " %%r8, (%0,%2)\n\t"		\
				 store " %%r9, 8(%0,%2)\n\t"		\
				 store " %%r10, 16(%0,%2)\n\t"		\
				 store " %%r11, 24(%0,%2)"		\
				 : : "r"(d), "r"(s), "r"(i)		\
				 : "r8", "r9", "r10", "r11", "memory");	\
	fence();							\
}

/* Ordinary stores need no fence: they are ordered already. */
#define NO_FENCE()	do { } while (0)

LOOP_WRITE_SCALAR(write_scalar, "mov", NO_FENCE)
LOOP_COPY_SCALAR(copy_scalar, "mov", NO_FENCE)

/*
 * Scalar triad: one double at a time (mulsd/addsd), not left to the
 * vectoriser; @store puts a double: through a volatile pointer, or its
 * bits through a general-purpose register to movnti.
 */
#define LOOP_TRIAD_SCALAR(name, store, fence)				\
__attribute__((optimize("no-tree-vectorize")))				\
static void name(void *dst, const void *b, const void *c, size_t bytes)	\
{									\
	const double *x = b, *y = c;					\
	const double s = LP_BENCH_SCALAR;				\
	size_t i, n = bytes / 8;					\
									\
	for (i = 0; i < n; i += 2) {					\
		store(dst, i, x[i] + s * y[i]);				\
		store(dst, i + 1, x[i + 1] + s * y[i + 1]);		\
	}								\
	fence();							\
}

static inline void store_double(void *a, size_t i, double v)
{
	((volatile double *)a)[i] = v;
}

static inline void store_nt_double(void *a, size_t i, double v)
{
	long long w;

	memcpy(&w, &v, sizeof(w));
	_mm_stream_si64((long long *)a + i, w);
}

LOOP_TRIAD_SCALAR(triad_scalar, store_double, NO_FENCE)

/*
 * Scalar with non-temporal stores.  Every non-temporal loop ends with an sfence, so that its weakly
 * ordered stores are done before the pass's clock stops.
 */
LOOP_WRITE_SCALAR(write_nt_scalar, "movnti", _mm_sfence)
LOOP_COPY_SCALAR(copy_nt_scalar, "movnti", _mm_sfence)

LOOP_TRIAD_SCALAR(triad_nt_scalar, store_nt_double, _mm_sfence)

static uint64_t read_sse2(const void *src, size_t bytes)
{
	const char *s = src;
	size_t i;

	for (i = 0; i < bytes; i += 128)
		__asm__ volatile("movdqa (%0,%1), %%xmm0\n\t"
				 "movdqa 16(%0,%1), %%xmm1\n\t"
				 "movdqa 32(%0,%1), %%xmm2\n\t"
				 "movdqa 48(%0,%1), %%xmm3\n\t"
				 "movdqa 64(%0,%1), %%xmm4\n\t"
				 "movdqa 80(%0,%1), %%xmm5\n\t"
				 "movdqa 96(%0,%1), %%xmm6\n\t"
				 "movdqa 112(%0,%1), %%xmm7"
				 : : "r"(s), "r"(i)
				 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
				   "xmm5", "xmm6", "xmm7", "memory");
	return 0;
}

#define SSE2		/* part of x86-64: no target needed */
#define AVX2		__attribute__((target("avx2")))

AVX2 static uint64_t read_avx2(const void *src, size_t bytes)
{
	const char *s = src;
	size_t i;

	for (i = 0; i < bytes; i += 128)
		__asm__ volatile("vmovdqa (%0,%1), %%ymm0\n\t"
				 "vmovdqa 32(%0,%1), %%ymm1\n\t"
				 "vmovdqa 64(%0,%1), %%ymm2\n\t"
				 "vmovdqa 96(%0,%1), %%ymm3"
				 : : "r"(s), "r"(i)
				 : "xmm0", "xmm1", "xmm2", "xmm3", "memory");
	_mm256_zeroupper();
	return 0;
}

/*
 * write, copy and triad for SSE2 and AVX2: one template each, four
 * vectors an iteration (64 bytes an array with xmm, 128 with ymm), so
 * that the two differ in nothing but the width.  Intrinsics, not the
 * vectoriser, so that the instructions are known.
 */
#define LOOP_WRITE(name, attr, vec, set1, store, fence)			\
static attr void name(void *dst, size_t bytes)				\
{									\
	const vec v = set1(1);						\
	char *d = dst;							\
	size_t i;							\
									\
	for (i = 0; i < bytes; i += 4 * sizeof(vec)) {			\
		store((vec *)(d + i), v);				\
		store((vec *)(d + i + sizeof(vec)), v);			\
		store((vec *)(d + i + 2 * sizeof(vec)), v);		\
		store((vec *)(d + i + 3 * sizeof(vec)), v);		\
	}								\
}

#define LOOP_COPY(name, attr, vec, load, store, fence)			\
static attr void name(void *dst, const void *src, size_t bytes)		\
{									\
	const char *s = src;						\
	char *d = dst;							\
	size_t i;							\
									\
	for (i = 0; i < bytes; i += 4 * sizeof(vec)) {			\
		vec v0 = load((const vec *)(s + i));			\
		vec v1 = load((const vec *)(s + i + sizeof(vec)));	\
		vec v2 = load((const vec *)(s + i + 2 * sizeof(vec)));	\
		vec v3 = load((const vec *)(s + i + 3 * sizeof(vec)));	\
									\
		store((vec *)(d + i), v0);				\
		store((vec *)(d + i + sizeof(vec)), v1);		\
		store((vec *)(d + i + 2 * sizeof(vec)), v2);		\
		store((vec *)(d + i + 3 * sizeof(vec)), v3);		\
	}								\
	fence();							\
}

/* a = b + s * c: mul + add, not FMA, the two roundings of STREAM's C. */
#define TRIAD_STEP(a, x, y, k, s, load, store, mul, add)		\
	store((a) + (k), add(mul(s, load((y) + (k))), load((x) + (k))))

#define LOOP_TRIAD(name, attr, vec, set1, load, store, mul, add, fence)	\
static attr void name(void *dst, const void *b, const void *c,		\
		      size_t bytes)					\
{									\
	const size_t w = sizeof(vec) / sizeof(double);			\
	const vec s = set1(LP_BENCH_SCALAR);				\
	const double *x = b, *y = c;					\
	double *a = dst;						\
	size_t i, n = bytes / 8;					\
									\
	for (i = 0; i < n; i += 4 * w) {				\
		TRIAD_STEP(a, x, y, i, s, load, store, mul, add);	\
		TRIAD_STEP(a, x, y, i + w, s, load, store, mul, add);	\
		TRIAD_STEP(a, x, y, i + 2 * w, s, load, store, mul, add); \
		TRIAD_STEP(a, x, y, i + 3 * w, s, load, store, mul, add); \
	}								\
	fence();							\
}

/*
 * write, copy and triad of one ISA (intrinsics' prefix @pfx, vectors of
 * @bits) with one kind of stores: @st for integer vectors, @stpd for
 * doubles; @fence after the loop.
 */
#define LOOPS_ISA(sfx, attr, pfx, bits, st, stpd, fence)		\
	LOOP_WRITE(write_##sfx, attr, __m##bits##i, pfx##_set1_epi64x,	\
		   st, fence)						\
	LOOP_COPY(copy_##sfx, attr, __m##bits##i, pfx##_load_si##bits,	\
		  st, fence)						\
	LOOP_TRIAD(triad_##sfx, attr, __m##bits##d, pfx##_set1_pd,	\
		   pfx##_load_pd, stpd, pfx##_mul_pd, pfx##_add_pd, fence)

LOOPS_ISA(sse2, SSE2, _mm, 128, _mm_store_si128, _mm_store_pd, NO_FENCE)
LOOPS_ISA(avx2, AVX2, _mm256, 256, _mm256_store_si256, _mm256_store_pd,
	  NO_FENCE)
/* Non-temporal: movntdq/movntpd, vmovntdq/vmovntpd, then sfence. */
LOOPS_ISA(nt_sse2, SSE2, _mm, 128, _mm_stream_si128, _mm_stream_pd,
	  _mm_sfence)
LOOPS_ISA(nt_avx2, AVX2, _mm256, 256, _mm256_stream_si256,
	  _mm256_stream_pd, _mm_sfence)

static const struct lp_bench_loops loops[] = {
	[POOL_BENCH_ISA_SCALAR] = {
		read_scalar, write_scalar, copy_scalar, triad_scalar,
		write_nt_scalar, copy_nt_scalar, triad_nt_scalar,
	},
	[POOL_BENCH_ISA_SSE2] = {
		read_sse2, write_sse2, copy_sse2, triad_sse2,
		write_nt_sse2, copy_nt_sse2, triad_nt_sse2,
	},
	[POOL_BENCH_ISA_AVX2] = {
		read_avx2, write_avx2, copy_avx2, triad_avx2,
		write_nt_avx2, copy_nt_avx2, triad_nt_avx2,
	},
};

bool lp_bench_isa_supported(int isa)
{
	switch (isa) {
	case POOL_BENCH_ISA_SCALAR:
	case POOL_BENCH_ISA_SSE2:	/* part of x86-64 */
		return true;
	case POOL_BENCH_ISA_AVX2:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx2");
	default:
		return false;
	}
}

const struct lp_bench_loops *lp_bench_get_loops(int isa)
{
	if (isa == POOL_BENCH_ISA_AUTO)
		isa = lp_bench_isa_supported(POOL_BENCH_ISA_AVX2) ?
		      POOL_BENCH_ISA_AVX2 : POOL_BENCH_ISA_SSE2;
	if (!lp_bench_isa_supported(isa))
		return NULL;
	return &loops[isa];
}

int lp_bench_resolve_isa(int isa)
{
	if (isa == POOL_BENCH_ISA_AUTO)
		return lp_bench_isa_supported(POOL_BENCH_ISA_AVX2) ?
		       POOL_BENCH_ISA_AVX2 : POOL_BENCH_ISA_SSE2;
	return isa;
}
