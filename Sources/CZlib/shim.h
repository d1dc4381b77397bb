#include <zlib.h>
// inflateInit2 is a macro; Swift needs a function.
static inline int czlib_inflate_init_raw(z_stream *s) { return inflateInit2(s, -MAX_WBITS); }
// gzip framing (header, CRC32 and size trailer) for .gz files.
static inline int czlib_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 16 + MAX_WBITS); }
