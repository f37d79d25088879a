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
#include <immintrin.h>

#include "private.h"

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
 * back.  The shuffle runs in the buffer itself (each line's first word
 * holds an index), then the indices become addresses.  Lines are random
 * over the whole buffer, across pages: the engine asks for 2 MiB pages,
 * which keep TLB misses rare up to the second-level TLB's reach.
 */
unsigned long long lp_bench_chase_build(void *buf, size_t size,
					 unsigned long long seed)
{
	uint64_t state = seed, n = size / LP_BENCH_LINE, i, j, t;
	char *base = buf;

#define LINE_WORD(k) (*(uint64_t *)(base + (k) * LP_BENCH_LINE))
	if (n < 2)
		return 0;
	for (i = 0; i < n; i++)
		LINE_WORD(i) = i;
	for (i = n - 1; i > 0; i--) {
		j = random_below(&state, i);	/* j < i: Sattolo, not Fisher-Yates */
		t = LINE_WORD(i);
		LINE_WORD(i) = LINE_WORD(j);
		LINE_WORD(j) = t;
	}
	for (i = 0; i < n; i++)
		LINE_WORD(i) = (uint64_t)(uintptr_t)(base +
						     LINE_WORD(i) * LP_BENCH_LINE);
#undef LINE_WORD
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
 * pointer is 4 KiB aligned.  read returns the sum so that the loads stay.
 */

/* Scalar: keep the compiler from vectorising what is meant to be 64-bit. */
#define SCALAR __attribute__((optimize("no-tree-vectorize")))

SCALAR static uint64_t read_scalar(const void *src, size_t bytes)
{
	const uint64_t *s = src, *end = s + bytes / 8;
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

	for (; s < end; s += 4) {
		a0 += s[0];
		a1 += s[1];
		a2 += s[2];
		a3 += s[3];
	}
	return a0 + a1 + a2 + a3;
}

SCALAR static void write_scalar(void *dst, size_t bytes)
{
	uint64_t *d = dst, *end = d + bytes / 8;

	for (; d < end; d += 4) {
		((volatile uint64_t *)d)[0] = 1;
		((volatile uint64_t *)d)[1] = 1;
		((volatile uint64_t *)d)[2] = 1;
		((volatile uint64_t *)d)[3] = 1;
	}
}

SCALAR static void copy_scalar(void *dst, const void *src, size_t bytes)
{
	volatile uint64_t *d = dst;
	const uint64_t *s = src, *end = s + bytes / 8;

	for (; s < end; s += 4, d += 4) {
		d[0] = s[0];
		d[1] = s[1];
		d[2] = s[2];
		d[3] = s[3];
	}
}

SCALAR static void triad_scalar(void *dst, const void *b, const void *c,
				size_t bytes)
{
	volatile double *a = dst;
	const double *x = b, *y = c, *end = x + bytes / 8;
	const double s = LP_BENCH_SCALAR;

	for (; x < end; x += 2, y += 2, a += 2) {
		a[0] = x[0] + s * y[0];
		a[1] = x[1] + s * y[1];
	}
}

static uint64_t read_sse2(const void *src, size_t bytes)
{
	const __m128i *s = src, *end = s + bytes / 16;
	__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;

	for (; s < end; s += 4) {
		a0 = _mm_add_epi64(a0, _mm_load_si128(s));
		a1 = _mm_add_epi64(a1, _mm_load_si128(s + 1));
		a2 = _mm_add_epi64(a2, _mm_load_si128(s + 2));
		a3 = _mm_add_epi64(a3, _mm_load_si128(s + 3));
	}
	a0 = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
	return (uint64_t)_mm_cvtsi128_si64(a0) +
	       (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(a0, a0));
}

static void write_sse2(void *dst, size_t bytes)
{
	__m128i *d = dst, *end = d + bytes / 16;
	const __m128i v = _mm_set1_epi64x(1);

	for (; d < end; d += 4) {
		_mm_store_si128(d, v);
		_mm_store_si128(d + 1, v);
		_mm_store_si128(d + 2, v);
		_mm_store_si128(d + 3, v);
	}
}

static void copy_sse2(void *dst, const void *src, size_t bytes)
{
	const __m128i *s = src, *end = s + bytes / 16;
	__m128i *d = dst;

	for (; s < end; s += 4, d += 4) {
		__m128i v0 = _mm_load_si128(s), v1 = _mm_load_si128(s + 1);
		__m128i v2 = _mm_load_si128(s + 2), v3 = _mm_load_si128(s + 3);

		_mm_store_si128(d, v0);
		_mm_store_si128(d + 1, v1);
		_mm_store_si128(d + 2, v2);
		_mm_store_si128(d + 3, v3);
	}
}

static void triad_sse2(void *dst, const void *b, const void *c, size_t bytes)
{
	const double *x = b, *y = c, *end = x + bytes / 8;
	const __m128d s = _mm_set1_pd(LP_BENCH_SCALAR);
	double *a = dst;

	for (; x < end; x += 4, y += 4, a += 4) {
		_mm_store_pd(a, _mm_add_pd(_mm_load_pd(x),
				_mm_mul_pd(s, _mm_load_pd(y))));
		_mm_store_pd(a + 2, _mm_add_pd(_mm_load_pd(x + 2),
				_mm_mul_pd(s, _mm_load_pd(y + 2))));
	}
}

#define AVX2 __attribute__((target("avx2")))

AVX2 static uint64_t read_avx2(const void *src, size_t bytes)
{
	const __m256i *s = src, *end = s + bytes / 32;
	__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
	__m128i h;

	for (; s < end; s += 4) {
		a0 = _mm256_add_epi64(a0, _mm256_load_si256(s));
		a1 = _mm256_add_epi64(a1, _mm256_load_si256(s + 1));
		a2 = _mm256_add_epi64(a2, _mm256_load_si256(s + 2));
		a3 = _mm256_add_epi64(a3, _mm256_load_si256(s + 3));
	}
	a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1),
			      _mm256_add_epi64(a2, a3));
	h = _mm_add_epi64(_mm256_castsi256_si128(a0),
			  _mm256_extracti128_si256(a0, 1));
	return (uint64_t)_mm_cvtsi128_si64(h) +
	       (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(h, h));
}

AVX2 static void write_avx2(void *dst, size_t bytes)
{
	__m256i *d = dst, *end = d + bytes / 32;
	const __m256i v = _mm256_set1_epi64x(1);

	for (; d < end; d += 4) {
		_mm256_store_si256(d, v);
		_mm256_store_si256(d + 1, v);
		_mm256_store_si256(d + 2, v);
		_mm256_store_si256(d + 3, v);
	}
}

AVX2 static void copy_avx2(void *dst, const void *src, size_t bytes)
{
	const __m256i *s = src, *end = s + bytes / 32;
	__m256i *d = dst;

	for (; s < end; s += 4, d += 4) {
		__m256i v0 = _mm256_load_si256(s);
		__m256i v1 = _mm256_load_si256(s + 1);
		__m256i v2 = _mm256_load_si256(s + 2);
		__m256i v3 = _mm256_load_si256(s + 3);

		_mm256_store_si256(d, v0);
		_mm256_store_si256(d + 1, v1);
		_mm256_store_si256(d + 2, v2);
		_mm256_store_si256(d + 3, v3);
	}
}

AVX2 static void triad_avx2(void *dst, const void *b, const void *c,
			    size_t bytes)
{
	const double *x = b, *y = c, *end = x + bytes / 8;
	const __m256d s = _mm256_set1_pd(LP_BENCH_SCALAR);
	double *a = dst;

	/* mul + add, not FMA: the same two roundings as STREAM's C loop. */
	for (; x < end; x += 8, y += 8, a += 8) {
		_mm256_store_pd(a, _mm256_add_pd(_mm256_load_pd(x),
				_mm256_mul_pd(s, _mm256_load_pd(y))));
		_mm256_store_pd(a + 4, _mm256_add_pd(_mm256_load_pd(x + 4),
				_mm256_mul_pd(s, _mm256_load_pd(y + 4))));
	}
}

static const struct lp_bench_loops loops[] = {
	[POOL_BENCH_ISA_SCALAR] = {
		read_scalar, write_scalar, copy_scalar, triad_scalar,
	},
	[POOL_BENCH_ISA_SSE2] = {
		read_sse2, write_sse2, copy_sse2, triad_sse2,
	},
	[POOL_BENCH_ISA_AVX2] = {
		read_avx2, write_avx2, copy_avx2, triad_avx2,
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
