/*
 * fake_embed.h - starts and stops tests/fake/embed_server.py (a fake
 * OpenAI-compatible embeddings provider) for the unit tests that need one,
 * and reads its request counters.  Header-only: each test includes it once.
 * The server runs from the repository root (the tests' working folder) on
 * a free loopback port and requires the key "test-key".
 */
#ifndef PT_FAKE_EMBED_H
#define PT_FAKE_EMBED_H

#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"

static pid_t fake_pid;
static int fake_port;

static void fake_start(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    fake_pid = fork();
    if (fake_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", "tests/fake/embed_server.py", "--key", "test-key",
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[64] = "";
    if (f == NULL || fgets(line, sizeof line, f) == NULL ||
        sscanf(line, "PORT %d", &fake_port) != 1) {
        fprintf(stderr, "fake embeddings server did not start\n");
        exit(1);
    }
    fclose(f);
}

static void fake_stop(void)
{
    if (fake_pid > 0) {
        kill(fake_pid, SIGTERM);
        waitpid(fake_pid, NULL, 0);
        fake_pid = 0;
    }
}

static size_t fake_sink(char *d, size_t s, size_t n, void *ctx)
{
    buf_append(ctx, d, s * n);
    return s * n;
}

/* One request to the fake's control paths; the answer into b. */
static void fake_call(const char *path, bool post, buf *b)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", fake_port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fake_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
}

/* Requests and inputs the fake counted since the last reset (-1: unknown). */
__attribute__((unused)) static void fake_stats(long *requests, long *inputs)
{
    buf b = BUF_INIT(0);
    *requests = *inputs = -1;
    fake_call("/stats", false, &b);
    const char *s = buf_cstr(&b);
    const char *r = strstr(s, "\"requests\": "), *i = strstr(s, "\"inputs\": ");
    if (r && i) {
        *requests = strtol(r + 12, NULL, 10);
        *inputs = strtol(i + 10, NULL, 10);
    }
    buf_free(&b);
}

__attribute__((unused)) static void fake_reset(void)
{
    buf b = BUF_INIT(0);
    fake_call("/reset", true, &b);
    buf_free(&b);
}

#endif
