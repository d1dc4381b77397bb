#include <zlib.h>
// inflateInit2 is a macro; Swift needs a function.
static inline int czlib_inflate_init_raw(z_stream *s) { return inflateInit2(s, -MAX_WBITS); }
