#ifndef EIS_CEISKERNELS_H
#define EIS_CEISKERNELS_H
// The share server's ring kernel: Y = X · Wᵀ modulo 2^64, with X (the shares) as 64-bit words and W
// (the encoded weights) as 32-bit or 64-bit signed integers. Written in C because the fast path needs
// AVX2's 32×32→64-bit multiplies chosen at run time, per function, which Swift cannot express
// (Sources/CEISKernels/RingKernel.c explains the arithmetic). Pure: no I/O, no threads; the
// functions may run concurrently on disjoint output ranges of one result.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction paths of the Int32-weight kernel.
typedef enum {
    /// Plain C, for any CPU.
    EIS_RING_PATH_PORTABLE = 0,
    /// x86-64 AVX2 (vpmuldq/vpmuludq), used only where the CPU and the OS support it.
    EIS_RING_PATH_AVX2 = 1,
} eis_ring_path;

/// 1 when this CPU can run `EIS_RING_PATH_AVX2`, else 0.
int eis_ring_avx2_available(void);

/// The best path this CPU can run.
eis_ring_path eis_ring_best_path(void);

/// Y[r][o] = Σ_j X[r][j]·W[o][j] mod 2^64 for every row r < rows and output o in [o_begin, o_end),
/// with W as Int32. X is [rows][width] row-major; W is [outputs][width] row-major; Y is
/// [rows][ldy] row-major and only its columns [o_begin, o_end) are written. `path` is clamped to
/// what the CPU supports.
void eis_ring_multiply_i32(const int64_t *x, size_t rows, size_t width, const int32_t *w, size_t o_begin,
                           size_t o_end, int64_t *y, size_t ldy, eis_ring_path path);

/// The same product for weights that need 64 bits (the rare fallback; portable C only).
void eis_ring_multiply_i64(const int64_t *x, size_t rows, size_t width, const int64_t *w, size_t o_begin,
                           size_t o_end, int64_t *y, size_t ldy);

#ifdef __cplusplus
}
#endif

#endif
