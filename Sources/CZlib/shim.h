#ifndef ISOLATIOND_CZLIB_SHIM_H
#define ISOLATIOND_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2/inflateInit2 are macros; expose them as functions.
static inline int isolationd_deflateInit2(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
static inline int isolationd_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
