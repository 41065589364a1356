/*
 * buf.h - a growable byte buffer with a hard cap (for HTTP bodies, CSV
 * lines, rendered replies).  Heap-backed; the owner calls buf_free().
 * Appends past the cap fail with PT_ERR_TOO_LARGE and leave the buffer as
 * it was.  The contents are always NUL-terminated when len > 0 or after
 * buf_cstr().
 */
#ifndef PT_BUF_H
#define PT_BUF_H

#include <stddef.h>
#include <stdarg.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap;   /* 0 = unlimited */
} buf;

#define BUF_INIT(capacity) {NULL, 0, 0, (capacity)}

int buf_append(buf *b, const void *p, size_t n);      /* 0 or -PT_ERR_* */
/* Makes room for extra more bytes (and the NUL) without changing len. */
int buf_reserve(buf *b, size_t extra);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Always returns a NUL-terminated string ("" when empty and unallocated). */
const char *buf_cstr(buf *b);
void buf_reset(buf *b);   /* len = 0, keeps memory */
void buf_free(buf *b);    /* releases memory; b is empty and reusable */
/* Hands the heap data to the caller (who must free() it); b becomes empty. */
char *buf_detach(buf *b, size_t *len_out);

#endif
