// Y = X · Wᵀ modulo 2^64 for the share server (see include/CEISKernels.h).
//
// Arithmetic of the AVX2 path. AVX2 has no 64×64-bit multiply. It has 32×32→64-bit ones on the low
// halves of each 64-bit lane (vpmuldq signed, vpmuludq unsigned) and a 32×32→32-bit one on eight
// lanes (vpmulld). For a share word x and a signed 32-bit weight w, write x = h·2^32 + l with l the
// *signed* low half of x (l ∈ [−2^31, 2^31)) and h = (x + 2^31) >> 32 (the high half, rounded so
// that l is signed). Then
//
//     x·w ≡ l·w + 2^32·(h·w mod 2^32)   (mod 2^64)
//
// l·w is exactly vpmuldq(x, w), which reads the low half of x as signed. h·w mod 2^32 is what
// vpmulld computes, eight at a time, because the low half of a product does not depend on how the
// operands' top bits are read; the eight-lane sums wrap mod 2^32, which is all the high part needs,
// and are shifted left by 32 once, at the end. So 8 multiply-adds cost three multiplies and three
// adds. h is computed once per share element when the shares are packed, not per weight.
//
// Blocking. The batch micro-kernel keeps 2 rows × 2 outputs of accumulators in registers (8 of the
// 16 ymm registers; 3 rows spill), so each loaded weight meets 2 rows and each loaded share meets 2
// weights. Columns are cut into blocks of KC so the rows' packed shares stay in L1 while they meet
// OC outputs whose packed weights stay in L2. A single row has nothing to reuse a weight for: only
// the row is packed, and the weight rows stream once, as stored, four at a time (memory bandwidth
// is its limit for large layers, and packing them would read them twice).
//
// Everything is unsigned arithmetic (signed overflow is undefined in C; the ring wraps).

#include "CEISKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define EIS_HAVE_X86 1
#endif

/// Columns per cache block for batches (a multiple of 8): 2 rows × KC × 12 bytes (x and h) = 6 KiB of L1.
enum { KC = 256 };
/// Outputs per cache block (even): OC × KC × 4 bytes = 64 KiB of packed weights, kept in L2.
enum { OC = 64 };
/// Columns per cache block in the portable path (4 rows × 512 × 8 bytes = 16 KiB).
enum { PORTABLE_KC = 512 };

// MARK: Portable path

/// The portable kernel for one weight type: four rows per pass over a weight row, wrapping sums.
#define EIS_PORTABLE_KERNEL(NAME, WEIGHT)                                                                   \
    static void NAME(const int64_t *x, size_t rows, size_t width, const WEIGHT *w, size_t o_begin,          \
                     size_t o_end, int64_t *y, size_t ldy) {                                                \
        uint64_t *out = (uint64_t *)y;                                                                      \
        for (size_t r = 0; r < rows; r++)                                                                   \
            for (size_t o = o_begin; o < o_end; o++) out[r * ldy + o] = 0;                                  \
        for (size_t k0 = 0; k0 < width; k0 += PORTABLE_KC) {                                                \
            size_t k1 = width - k0 < PORTABLE_KC ? width : k0 + PORTABLE_KC;                                \
            for (size_t r0 = 0; r0 < rows; r0 += 4) {                                                       \
                size_t nr = rows - r0 < 4 ? rows - r0 : 4;                                                  \
                const uint64_t *x0 = (const uint64_t *)x + r0 * width;                                      \
                for (size_t o = o_begin; o < o_end; o++) {                                                  \
                    const WEIGHT *wo = w + o * width;                                                       \
                    uint64_t acc[4] = {0, 0, 0, 0};                                                         \
                    if (nr == 4) {                                                                          \
                        for (size_t k = k0; k < k1; k++) {                                                  \
                            uint64_t wk = (uint64_t)(int64_t)wo[k];                                         \
                            acc[0] += x0[k] * wk;                                                           \
                            acc[1] += x0[width + k] * wk;                                                   \
                            acc[2] += x0[2 * width + k] * wk;                                               \
                            acc[3] += x0[3 * width + k] * wk;                                               \
                        }                                                                                   \
                    } else {                                                                                \
                        for (size_t i = 0; i < nr; i++)                                                     \
                            for (size_t k = k0; k < k1; k++) acc[i] += x0[i * width + k] * (uint64_t)(int64_t)wo[k]; \
                    }                                                                                       \
                    for (size_t i = 0; i < nr; i++) out[(r0 + i) * ldy + o] += acc[i];                      \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
    }

EIS_PORTABLE_KERNEL(multiply_i32_portable, int32_t)
EIS_PORTABLE_KERNEL(multiply_i64_portable, int64_t)

// MARK: AVX2 path

#ifdef EIS_HAVE_X86
#define EIS_AVX2 __attribute__((target("avx2")))
#define EIS_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))

/// The eight 32-bit lanes' sum, wrapping modulo 2^32.
EIS_AVX2_INLINE uint32_t horizontal_sum32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return (uint32_t)_mm_cvtsi128_si32(s);
}

/// The four 64-bit lanes' sum, wrapping.
EIS_AVX2_INLINE uint64_t horizontal_sum(__m256i v) {
    __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_extract_epi64(s, 1);
}

/// The 8-column group's products of R packed rows (R ≤ 2) and 2 weights, summed over `groups`.
///
/// Packed shares (`pack_shares`): for a block of R rows, group g holds R × 12 words: row 0's
/// x[0..3], x[4..7], then its 8 high halves h as 32-bit words in the order 0,4,1,5,2,6,3,7; then
/// row 1's, …. Packed weights (`pack_weights`): for an output pair, group g holds 16 Int32s: the
/// first output's 8 weights in the order 0,4,1,5,2,6,3,7, then the second's. In that order the even
/// 32-bit lanes of a weight vector are columns 0..3 and the odd lanes columns 4..7, so vpmuldq
/// multiplies x[0..3] by the vector and x[4..7] by the vector shifted right by 32 bits, and one
/// vpmulld multiplies all 8 high halves (mod 2^32 is all the high part needs): three multiplies
/// for 8 multiply-adds. Both layouts are sequential whatever the layer's width.
EIS_AVX2_INLINE void avx2_block(const int R, const uint64_t *px, const int32_t *pw, size_t groups,
                                uint64_t result[2][2]) {
    __m256i lo[2][2], hi[2][2];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)")
        for (int o = 0; o < 2; o++) {
            lo[r][o] = _mm256_setzero_si256();
            hi[r][o] = _mm256_setzero_si256();
        }
    for (size_t g = 0; g < groups; g++) {
        __m256i wv[2], wodd[2];
        wv[0] = _mm256_loadu_si256((const __m256i *)(pw + g * 16));
        wv[1] = _mm256_loadu_si256((const __m256i *)(pw + g * 16 + 8));
        wodd[0] = _mm256_srli_epi64(wv[0], 32);
        wodd[1] = _mm256_srli_epi64(wv[1], 32);
        const uint64_t *block = px + g * (size_t)R * 12;
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < R; r++) {
            __m256i x0 = _mm256_loadu_si256((const __m256i *)(block + r * 12));
            __m256i x1 = _mm256_loadu_si256((const __m256i *)(block + r * 12 + 4));
            __m256i hv = _mm256_loadu_si256((const __m256i *)(block + r * 12 + 8));
            _Pragma("clang loop unroll(full)")
            for (int o = 0; o < 2; o++) {
                lo[r][o] = _mm256_add_epi64(lo[r][o], _mm256_mul_epi32(x0, wv[o]));
                lo[r][o] = _mm256_add_epi64(lo[r][o], _mm256_mul_epi32(x1, wodd[o]));
                hi[r][o] = _mm256_add_epi32(hi[r][o], _mm256_mullo_epi32(hv, wv[o]));
            }
        }
    }
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)")
        for (int o = 0; o < 2; o++) {
            // The 8 high-part lanes summed mod 2^32, then moved to bits 32..63.
            result[r][o] = horizontal_sum(lo[r][o]) + ((uint64_t)horizontal_sum32(hi[r][o]) << 32);
        }
}

#define EIS_AVX2_BLOCK(R)                                                                                 \
    static EIS_AVX2 void avx2_block_##R(const uint64_t *px, const int32_t *pw, size_t groups,             \
                                        uint64_t result[2][2]) {                                          \
        avx2_block(R, px, pw, groups, result);                                                            \
    }
EIS_AVX2_BLOCK(2)
EIS_AVX2_BLOCK(1)

/// One packed row against O ≤ 4 weight rows, over `groups` whole groups of 8 columns.
///
/// The row is packed once per product (`multiply_row_avx2`): per group, x at the even columns,
/// x at the odd columns, then the 8 high halves as 32-bit words in column order. The weight rows are
/// read as they are stored: the even 32-bit lanes of 8 loaded weights are the even columns, so
/// vpmuldq pairs them with the even x; shifted right by 32 bits they pair with the odd x; and one
/// vpmulld multiplies all 8 high halves. Three multiplies per 8 multiply-adds, as in `avx2_block`.
EIS_AVX2_INLINE void avx2_row(const int O, const uint64_t *px, const int32_t *w, size_t width, size_t groups,
                              uint64_t *out) {
    __m256i lo[4], hi[4];
    _Pragma("clang loop unroll(full)")
    for (int o = 0; o < O; o++) {
        lo[o] = _mm256_setzero_si256();
        hi[o] = _mm256_setzero_si256();
    }
    for (size_t g = 0; g < groups; g++) {
        __m256i even = _mm256_loadu_si256((const __m256i *)(px + g * 12));
        __m256i odd = _mm256_loadu_si256((const __m256i *)(px + g * 12 + 4));
        __m256i high = _mm256_loadu_si256((const __m256i *)(px + g * 12 + 8));
        _Pragma("clang loop unroll(full)")
        for (int o = 0; o < O; o++) {
            __m256i wv = _mm256_loadu_si256((const __m256i *)(w + o * width + g * 8));
            lo[o] = _mm256_add_epi64(lo[o], _mm256_mul_epi32(even, wv));
            lo[o] = _mm256_add_epi64(lo[o], _mm256_mul_epi32(odd, _mm256_srli_epi64(wv, 32)));
            hi[o] = _mm256_add_epi32(hi[o], _mm256_mullo_epi32(high, wv));
        }
    }
    _Pragma("clang loop unroll(full)")
    for (int o = 0; o < O; o++) out[o] = horizontal_sum(lo[o]) + ((uint64_t)horizontal_sum32(hi[o]) << 32);
}

static EIS_AVX2 void avx2_row_4(const uint64_t *px, const int32_t *w, size_t width, size_t groups, uint64_t *out) {
    avx2_row(4, px, w, width, groups, out);
}
static EIS_AVX2 void avx2_row_1(const uint64_t *px, const int32_t *w, size_t width, size_t groups, uint64_t *out) {
    avx2_row(1, px, w, width, groups, out);
}

/// The single-row product: streams the weight rows once, four at a time (memory bandwidth is the
/// limit for large layers); false when the packed row cannot be allocated.
static EIS_AVX2 int multiply_row_avx2(const int64_t *x, size_t width, const int32_t *w, size_t o_begin, size_t o_end,
                                      int64_t *y) {
    size_t groups = width / 8;
    uint64_t *px = malloc((groups + 1) * 12 * sizeof(uint64_t));
    if (px == NULL) return 0;
    const uint64_t *ux = (const uint64_t *)x;
    for (size_t g = 0; g < groups; g++) {
        uint64_t *dst = px + g * 12;
        uint32_t high[8];
        for (size_t i = 0; i < 4; i++) {
            dst[i] = ux[g * 8 + 2 * i];
            dst[4 + i] = ux[g * 8 + 2 * i + 1];
        }
        for (size_t i = 0; i < 8; i++) high[i] = (uint32_t)((ux[g * 8 + i] + 0x80000000u) >> 32);
        memcpy(dst + 8, high, sizeof high);
    }
    uint64_t *out = (uint64_t *)y;
    size_t o = o_begin;
    for (; o + 4 <= o_end; o += 4) avx2_row_4(px, w + o * width, width, groups, out + o);
    for (; o < o_end; o++) avx2_row_1(px, w + o * width, width, groups, out + o);
    for (o = o_begin; o < o_end; o++)
        for (size_t j = groups * 8; j < width; j++) out[o] += ux[j] * (uint64_t)(int64_t)w[o * width + j];
    free(px);
    return 1;
}

/// The order of a group's 8 columns in packed high halves and weights (see `avx2_block`).
static const size_t lane_column[8] = {0, 4, 1, 5, 2, 6, 3, 7};

/// Packs rows [r0, r0 + R) of X, columns [k0, k0 + 8·groups): x as is, h = (x + 2^31) >> 32 as 32-bit
/// words in lane order; zero past the width.
static void pack_shares(const int64_t *x, size_t width, size_t r0, int R, size_t k0, size_t groups, uint64_t *px) {
    const uint64_t *ux = (const uint64_t *)x;
    for (size_t g = 0; g < groups; g++)
        for (int r = 0; r < R; r++) {
            const uint64_t *row = ux + (r0 + (size_t)r) * width;
            uint64_t *dst = px + (g * (size_t)R + (size_t)r) * 12;
            uint32_t high[8];
            for (size_t i = 0; i < 8; i++) {
                size_t k = k0 + g * 8 + i;
                dst[i] = k < width ? row[k] : 0;
            }
            for (size_t lane = 0; lane < 8; lane++) high[lane] = (uint32_t)((dst[lane_column[lane]] + 0x80000000u) >> 32);
            memcpy(dst + 8, high, sizeof high);
        }
}

/// Packs outputs [o0, o1) of W, columns [k0, k0 + 8·groups), as pairs in lane order; zero past the
/// width and for the missing partner of an odd last output.
static void pack_weights(const int32_t *w, size_t width, size_t o0, size_t o1, size_t k0, size_t groups, int32_t *pw) {
    size_t whole = (width - k0) / 8 < groups ? (width - k0) / 8 : groups;
    for (size_t pair = 0; o0 + 2 * pair < o1; pair++) {
        size_t o = o0 + 2 * pair;
        const int32_t *rows[2] = {w + o * width + k0, o + 1 < o1 ? w + (o + 1) * width + k0 : NULL};
        int32_t *dst = pw + pair * groups * 16;
        for (size_t half = 0; half < 2; half++) {
            const int32_t *src = rows[half];
            for (size_t g = 0; g < groups; g++) {
                int32_t *lanes = dst + g * 16 + half * 8;
                if (src == NULL) {
                    memset(lanes, 0, 32);
                } else if (g < whole) {
                    const int32_t *c = src + g * 8;
                    lanes[0] = c[0]; lanes[1] = c[4]; lanes[2] = c[1]; lanes[3] = c[5];
                    lanes[4] = c[2]; lanes[5] = c[6]; lanes[6] = c[3]; lanes[7] = c[7];
                } else {
                    for (size_t lane = 0; lane < 8; lane++) {
                        size_t k = g * 8 + lane_column[lane];
                        lanes[lane] = k0 + k < width ? src[k] : 0;
                    }
                }
            }
        }
    }
}

/// The batch product; false when its packing buffers cannot be allocated (the caller falls back).
static EIS_AVX2 int multiply_batch_avx2(const int64_t *x, size_t rows, size_t width, const int32_t *w, size_t o_begin,
                                        size_t o_end, int64_t *y, size_t ldy) {
    size_t all_groups = (width + 7) / 8;
    uint64_t *px = malloc(rows * KC / 8 * 12 * sizeof(uint64_t));
    int32_t *pw = malloc((OC + 1) * KC * sizeof(int32_t));
    if (px == NULL || pw == NULL) {
        free(px);
        free(pw);
        return 0;
    }
    uint64_t *out = (uint64_t *)y;
    for (size_t r = 0; r < rows; r++)
        for (size_t o = o_begin; o < o_end; o++) out[r * ldy + o] = 0;
    for (size_t g0 = 0; g0 < all_groups; g0 += KC / 8) {
        size_t groups = all_groups - g0 < KC / 8 ? all_groups - g0 : KC / 8;
        size_t k0 = g0 * 8;
        // This column block of every row, in row blocks of 2 (the last block may hold 1).
        for (size_t r0 = 0; r0 < rows; r0 += 2) {
            int R = rows - r0 < 2 ? (int)(rows - r0) : 2;
            pack_shares(x, width, r0, R, k0, groups, px + r0 * groups * 12);
        }
        for (size_t o0 = o_begin; o0 < o_end; o0 += OC) {
            size_t o1 = o_end - o0 < OC ? o_end : o0 + OC;
            pack_weights(w, width, o0, o1, k0, groups, pw);
            for (size_t r0 = 0; r0 < rows; r0 += 2) {
                int R = rows - r0 < 2 ? (int)(rows - r0) : 2;
                const uint64_t *block = px + r0 * groups * 12;
                for (size_t pair = 0; o0 + 2 * pair < o1; pair++) {
                    uint64_t result[2][2];
                    const int32_t *pair_weights = pw + pair * groups * 16;
                    if (R == 2) avx2_block_2(block, pair_weights, groups, result);
                    else avx2_block_1(block, pair_weights, groups, result);
                    size_t o = o0 + 2 * pair;
                    for (int r = 0; r < R; r++) {
                        out[(r0 + (size_t)r) * ldy + o] += result[r][0];
                        if (o + 1 < o1) out[(r0 + (size_t)r) * ldy + o + 1] += result[r][1];
                    }
                }
            }
        }
    }
    free(px);
    free(pw);
    return 1;
}

/// The AVX2 product: the single-row path or the blocked batch path.
static int multiply_i32_avx2(const int64_t *x, size_t rows, size_t width, const int32_t *w, size_t o_begin,
                             size_t o_end, int64_t *y, size_t ldy) {
    if (rows == 1) return multiply_row_avx2(x, width, w, o_begin, o_end, y);
    return multiply_batch_avx2(x, rows, width, w, o_begin, o_end, y, ldy);
}
#endif

// MARK: Dispatch

int eis_ring_avx2_available(void) {
#ifdef EIS_HAVE_X86
    // Checks the CPUID bit and that the OS saves the ymm registers (XCR0). The runtime fills the CPU
    // model in a constructor before main, so no __builtin_cpu_init() (which would rewrite it while
    // other threads read it).
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

eis_ring_path eis_ring_best_path(void) {
    return eis_ring_avx2_available() ? EIS_RING_PATH_AVX2 : EIS_RING_PATH_PORTABLE;
}

void eis_ring_multiply_i32(const int64_t *x, size_t rows, size_t width, const int32_t *w, size_t o_begin,
                           size_t o_end, int64_t *y, size_t ldy, eis_ring_path path) {
#ifdef EIS_HAVE_X86
    if (path == EIS_RING_PATH_AVX2 && eis_ring_avx2_available() &&
        multiply_i32_avx2(x, rows, width, w, o_begin, o_end, y, ldy))
        return;
#else
    (void)path;
#endif
    multiply_i32_portable(x, rows, width, w, o_begin, o_end, y, ldy);
}

void eis_ring_multiply_i64(const int64_t *x, size_t rows, size_t width, const int64_t *w, size_t o_begin,
                           size_t o_end, int64_t *y, size_t ldy) {
    multiply_i64_portable(x, rows, width, w, o_begin, o_end, y, ldy);
}
