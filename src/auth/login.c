/*
 * login.c - checking an email and password, and slowing down guessing; see
 * auth.h.
 *
 * Every failed login costs the same: one crypto_pwhash_str_verify, against
 * the user's hash or, for an unknown email, against a dummy hash made once
 * with the same (interactive) limits the `user create` command uses.  The
 * answer is one message for every failure, so neither the time nor the text
 * tells whether an email exists.  Argon2id takes 64 MiB per check, so a
 * counting semaphore lets at most AUTH_VERIFY_PARALLEL run at once.
 *
 * The limiter is a fixed hash table of client keys with a failure count
 * per fixed window; it never allocates after creation.
 */
#include "auth/auth.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define INVALID_LOGIN "invalid email or password"

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static bool dummy_ok;
static sem_t verify_sem;

static void dummy_init(void)
{
    char pw[33];
    unsigned char raw[16];
    sem_init(&verify_sem, 0, AUTH_VERIFY_PARALLEL);
    if (sodium_init() < 0)
        return;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
    dummy_ok = crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    sodium_memzero(pw, sizeof pw);
}

/* One password check under the semaphore.  true when it matches. */
static bool verify(const char *hash, const char *password, size_t len)
{
    sem_wait(&verify_sem);
    bool ok = crypto_pwhash_str_verify(hash, password, len) == 0;
    sem_post(&verify_sem);
    return ok;
}

int auth_login(store *s, const char *email, const char *password, arena *a, store_user *out,
               pt_error *err)
{
    int rc = 0;
    char lower[AUTH_EMAIL_MAX + 1];
    pt_error lookup = {0};
    store_user u = {0};

    memset(out, 0, sizeof *out);
    pthread_once(&dummy_once, dummy_init);
    if (!dummy_ok)
        return pt_fail(err, PT_ERR_NOMEM, "login: password hashing is not available");
    size_t elen = email ? strlen(email) : 0, plen = password ? strlen(password) : 0;
    bool plausible = email && password && elen > 0 && elen <= AUTH_EMAIL_MAX &&
                     plen <= AUTH_PASSWORD_MAX;
    if (plausible) {
        for (size_t i = 0; i <= elen; i++) {
            char c = email[i];
            lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        rc = s->ops->user_by_email(s, lower, a, &u, &lookup);
        if (rc && rc != -PT_ERR_NOT_FOUND)
            return pt_fail(err, -rc, "%s", lookup.msg);
    }
    bool known = plausible && rc == 0 && u.password_hash && u.password_hash[0];
    /* the same work whatever happened above */
    bool match = verify(known ? u.password_hash : dummy_hash, password ? password : "",
                        plausible ? plen : 0);
    if (!known || !match || auth_role_from_name(u.role) == ROLE_NONE)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, INVALID_LOGIN);
    *out = u;
    return 0;
}

/* ---- limiter ------------------------------------------------------------- */

#define PROBE 8

typedef struct limiter_slot {
    char key[64];             /* "" when free */
    time_t window_start;
    int failures;
} limiter_slot;

struct auth_limiter {
    pthread_mutex_t mu;
    int max_failures;
    int window;
    limiter_slot slots[AUTH_LIMITER_SLOTS];
};

int auth_limiter_new(int max_failures, int window, auth_limiter **out, pt_error *err)
{
    *out = NULL;
    if (max_failures < 1 || window < 1)
        return pt_fail(err, PT_ERR_INVALID, "login limiter: %d failures per %d s is not positive",
                       max_failures, window);
    auth_limiter *l = calloc(1, sizeof *l);
    if (l == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "login limiter: out of memory");
    pthread_mutex_init(&l->mu, NULL);
    l->max_failures = max_failures;
    l->window = window;
    *out = l;
    return 0;
}

void auth_limiter_free(auth_limiter *l)
{
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static uint32_t key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The slot of key (NULL when it has none and create is false).  With
 * create, a free or expired slot of its probe run is taken, else the one
 * whose window started first.  Caller holds l->mu. */
static limiter_slot *slot_find(auth_limiter *l, const char *key, time_t now, bool create)
{
    char k[64];
    snprintf(k, sizeof k, "%s", key ? key : "");
    uint32_t h = key_hash(k);
    limiter_slot *victim = NULL;
    bool victim_reusable = false;
    for (int i = 0; i < PROBE; i++) {
        limiter_slot *s = &l->slots[(h + (uint32_t)i) % AUTH_LIMITER_SLOTS];
        if (s->key[0] && strcmp(s->key, k) == 0)
            return s;
        bool reusable = s->key[0] == '\0' || now - s->window_start >= l->window;
        if (reusable) {
            if (!victim_reusable) {
                victim = s;
                victim_reusable = true;
            }
        } else if (!victim_reusable &&
                   (victim == NULL || s->window_start < victim->window_start)) {
            victim = s;
        }
    }
    if (!create)
        return NULL;
    memcpy(victim->key, k, sizeof k);
    victim->window_start = now;
    victim->failures = 0;
    return victim;
}

int auth_limiter_check(auth_limiter *l, const char *key, time_t now)
{
    int wait = 0;
    pthread_mutex_lock(&l->mu);
    limiter_slot *s = slot_find(l, key, now, false);
    if (s && now - s->window_start < l->window && s->failures >= l->max_failures)
        wait = (int)(s->window_start + l->window - now);
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void auth_limiter_fail(auth_limiter *l, const char *key, time_t now)
{
    pthread_mutex_lock(&l->mu);
    limiter_slot *s = slot_find(l, key, now, true);
    if (now - s->window_start >= l->window) {
        s->window_start = now;
        s->failures = 0;
    }
    s->failures++;
    pthread_mutex_unlock(&l->mu);
}
