/*
 * server.h - the HTTP channel (CONTRACT.md §5) on libmicrohttpd.
 *
 * A thread pool (one epoll loop per thread) accepts keep-alive connections
 * and dispatches each request through one routing table of
 * {method, path, handler, auth} rows.  The dispatcher answers unknown paths
 * (404) and wrong methods (405), enforces the body cap (64 KiB: a body is
 * never kept past it; a Content-Length over it is refused up front, at once
 * when the client waits for 100-continue, else after its body is drained so
 * the client can read the 413), checks authentication once, gives each
 * request an arena freed when it completes, and counts every request for
 * /metrics.
 * Handlers never see the socket; conversation work is the engine's.  The
 * chat route runs a turn with engine_chat_start() and suspends the
 * connection while the turn waits for its session's lock or its commit, so
 * no worker is held by a waiting turn; the engine's callback resumes it and
 * engine_chat_continue() runs the turn or writes the answer.
 *
 * Routes: GET /health, GET /ready, GET /metrics, POST /api/chat/query
 * (X-API-Key), and the admin API of http/admin.h (POST /api/auth/login;
 * the /api/listings routes with Authorization: Bearer JWT, checked before
 * the body is read; the bulk import takes bodies up to 64 MiB, at most two
 * at once).  Every error is {"error": {"code", "message"}} with the
 * status of pt_err_http_status().
 *
 * Not here: signal handling (the `serve` command), TLS (put a proxy in front).
 */
#ifndef PT_HTTP_SERVER_H
#define PT_HTTP_SERVER_H

#include "engine/engine.h"
#include "util/error.h"

#define HTTP_CONNECTION_LIMIT 4096     /* open connections at once */
#define HTTP_CONNECTION_TIMEOUT 30     /* seconds a connection may idle */
/* libmicrohttpd's memory per connection: the request line and headers
 * must fit in it (a larger head is answered 431); the body goes to the
 * handler in pieces of it.  libmicrohttpd 0.9.75 zeroes, on every request
 * of a keep-alive connection, the whole pool when it resets it for the next
 * request and the unused part of the read buffer (half the pool) when it
 * shrinks it before the response head: 24 KB a request at 16 KiB, about 3%
 * of the server's CPU under chat load (perf), the same for /health.  32 KiB
 * by default was 4% of the CPU of a chat message.  Half of it again would
 * save about half of that, but heads over ~7 KB would get 431. */
#define HTTP_CONNECTION_MEMORY (16u << 10)
#define HTTP_REQUEST_ARENA_CAP (16u << 20)

typedef struct http_server http_server;

/* Starts serving on bind_addr:port ("127.0.0.1", "0.0.0.0", "::1", a host
 * name; port 0 picks a free port, see http_server_port).  threads: size of
 * the thread pool, <= 0 for the number of CPUs.  e is borrowed and must
 * outlive the server.  *out is stopped and freed with http_server_stop().
 * Errors: PT_ERR_IO (cannot resolve, bind or listen; the message says which
 * and why), PT_ERR_INTERNAL (libmicrohttpd refused to start), PT_ERR_NOMEM. */
int http_server_start(engine *e, const char *bind_addr, int port, int threads,
                      http_server **out, pt_error *err);

/* The port actually bound (useful after port 0). */
int http_server_port(const http_server *s);

/* Stops accepting, waits for requests in flight to finish, frees s.
 * NULL is ignored. */
void http_server_stop(http_server *s);

#endif
