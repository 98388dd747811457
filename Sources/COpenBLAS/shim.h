#ifndef EIS_COPENBLAS_SHIM_H
#define EIS_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface (Debian's libopenblas-dev): the gateway's local float work in whole
// models (attention, the float32 reference pass) and the kernel benchmark's float32 anchor.
#include <cblas.h>
#endif
