/*
 * test_lock.c - the local lock backend: one key is held by one taker at a
 * time, a lock may be released by another thread, keys that share a stripe
 * do not wait for each other, a full stripe makes the next taker wait, and
 * queued takers are handed the lock in the order they came, up to a cap.
 */
#include "test.h"

#include "../../src/engine/lock_local.c"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static lock_backend locks;

/* A blocking taker over enqueue: a waiter with its own condition variable
 * (the engine's blocking path waits the same way, on its turn). */
typedef struct blocked {
    lock_waiter w;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool granted;
} blocked;

static void blocked_grant(lock_waiter *w, uint64_t token)
{
    (void)token;
    blocked *k = w->ctx;
    pthread_mutex_lock(&k->mu);
    k->granted = true;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

static int acquire(const char *key, uint64_t *token, pt_error *err)
{
    blocked k = {.w = {.grant = blocked_grant, .ctx = &k}, .granted = false};
    pthread_mutex_init(&k.mu, NULL);
    pthread_cond_init(&k.cv, NULL);
    int rc = locks.ops->enqueue(&locks, key, &k.w, token, err);
    if (rc == 0) {
        pthread_mutex_lock(&k.mu);
        while (!k.granted)
            pthread_cond_wait(&k.cv, &k.mu);
        pthread_mutex_unlock(&k.mu);
        *token = k.w.hash;
    }
    pthread_cond_destroy(&k.cv);
    pthread_mutex_destroy(&k.mu);
    return rc < 0 ? rc : 0;
}

/* n keys ("k-<i>") whose hashes all fall into the stripe of "k-0" */
static void same_stripe_keys(char keys[][32], int n)
{
    uint64_t want = fnv1a("k-0") % LOCK_STRIPES;
    int found = 0;
    for (int i = 0; found < n; i++) {
        char k[32];
        snprintf(k, sizeof k, "k-%d", i);
        if (fnv1a(k) % LOCK_STRIPES == want)
            memcpy(keys[found++], k, sizeof k);
    }
}

typedef struct taker {
    const char *key;
    uint64_t token;
    atomic_int got;
    pthread_t th;
} taker;

static void *take(void *arg)
{
    taker *t = arg;
    pt_error err = {0};
    acquire(t->key, &t->token, &err);
    atomic_store(&t->got, 1);
    return NULL;
}

/* Waits up to ms for t to hold its lock. */
static int got_within(taker *t, int ms)
{
    for (int i = 0; i < ms; i++) {
        if (atomic_load(&t->got))
            return 1;
        usleep(1000);
    }
    return atomic_load(&t->got);
}

static void start(taker *t, const char *key)
{
    t->key = key;
    atomic_store(&t->got, 0);
    pthread_create(&t->th, NULL, take, t);
}

TEST(same_key_waits_for_release_from_another_thread)
{
    pt_error err = {0};
    uint64_t tok;
    unsigned long waits = locks.ops->waits(&locks);
    CHECK_INT(acquire("t1:s1", &tok, &err), 0);
    CHECK_INT(locks.ops->waits(&locks), waits);
    taker t;
    start(&t, "t1:s1");
    CHECK(!got_within(&t, 100), "a second taker of a held key must wait");
    CHECK_INT(locks.ops->waits(&locks), waits + 1);
    locks.ops->release(&locks, "t1:s1", tok);
    CHECK(got_within(&t, 2000), "the waiter must get the key once released");
    pthread_join(t.th, NULL);
    locks.ops->release(&locks, "t1:s1", t.token);
}

TEST(keys_of_one_stripe_do_not_wait_for_each_other)
{
    char keys[STRIPE_SLOTS + 1][32];
    same_stripe_keys(keys, STRIPE_SLOTS + 1);
    pt_error err = {0};
    uint64_t tok[STRIPE_SLOTS];
    unsigned long waits = locks.ops->waits(&locks);
    CHECK_INT(acquire(keys[0], &tok[0], &err), 0);
    /* every other key of the stripe, up to its slots, is taken at once */
    for (int i = 1; i < STRIPE_SLOTS; i++) {
        taker t;
        start(&t, keys[i]);
        CHECK(got_within(&t, 2000), "key %s shares a stripe with a held key and must not wait",
              keys[i]);
        pthread_join(t.th, NULL);
        tok[i] = t.token;
    }
    CHECK_INT(locks.ops->waits(&locks), waits);
    /* a full stripe makes the next key wait until a slot is freed */
    taker last;
    start(&last, keys[STRIPE_SLOTS]);
    CHECK(!got_within(&last, 100), "a full stripe must make the next taker wait");
    locks.ops->release(&locks, keys[3], tok[3]);
    CHECK(got_within(&last, 2000), "a freed slot must let the waiter in");
    pthread_join(last.th, NULL);
    tok[3] = last.token;
    locks.ops->release(&locks, keys[STRIPE_SLOTS], tok[3]);
    for (int i = 0; i < STRIPE_SLOTS; i++)
        if (i != 3)
            locks.ops->release(&locks, keys[i], tok[i]);
    /* all free again: the first key is taken without waiting */
    taker again;
    start(&again, keys[0]);
    CHECK(got_within(&again, 2000), "every slot must have been given back");
    pthread_join(again.th, NULL);
    locks.ops->release(&locks, keys[0], again.token);
}

/* Queued takers: a grant records its order; the lock is held for the
 * waiter when its grant runs. */
typedef struct queued {
    lock_waiter w;
    int order;
    uint64_t token;
} queued;
static atomic_int grants;

static void record_grant(lock_waiter *w, uint64_t token)
{
    queued *q = w->ctx;
    q->token = token;
    q->order = atomic_fetch_add(&grants, 1) + 1;
}

TEST(enqueue_hands_the_lock_over_in_order)
{
    pt_error err = {0};
    uint64_t tok = 0;
    atomic_store(&grants, 0);
    queued first = {.w = {.grant = record_grant, .ctx = &first}}, q[3];
    CHECK_INT(locks.ops->enqueue(&locks, "t2:s", &first.w, &tok, &err), 1);   /* free: taken */
    for (int i = 0; i < 3; i++) {
        q[i] = (queued){.w = {.grant = record_grant, .ctx = &q[i]}};
        uint64_t t = 0;
        CHECK_INT(locks.ops->enqueue(&locks, "t2:s", &q[i].w, &t, &err), 0);
    }
    CHECK_INT(atomic_load(&grants), 0);
    /* another key is not held up by the queue */
    uint64_t other;
    queued o = {.w = {.grant = record_grant, .ctx = &o}};
    CHECK_INT(locks.ops->enqueue(&locks, "t2:other", &o.w, &other, &err), 1);
    locks.ops->release(&locks, "t2:other", other);
    CHECK_INT(atomic_load(&grants), 0);
    /* each release hands the key to the next waiter, in the order they came */
    locks.ops->release(&locks, "t2:s", tok);
    CHECK_INT(q[0].order, 1);
    CHECK_INT(q[1].order, 0);
    /* the holder is now q[0]: a blocking taker queues behind q[2] */
    taker t;
    start(&t, "t2:s");
    CHECK(!got_within(&t, 50), "a blocking taker must wait behind the queue");
    locks.ops->release(&locks, "t2:s", q[0].token);
    CHECK_INT(q[1].order, 2);
    locks.ops->release(&locks, "t2:s", q[1].token);
    CHECK_INT(q[2].order, 3);
    CHECK(!got_within(&t, 50), "still q[2]'s turn");
    locks.ops->release(&locks, "t2:s", q[2].token);
    CHECK(got_within(&t, 2000), "the blocking taker comes last");
    pthread_join(t.th, NULL);
    locks.ops->release(&locks, "t2:s", t.token);
    /* free again */
    CHECK_INT(locks.ops->enqueue(&locks, "t2:s", &o.w, &tok, &err), 1);
    locks.ops->release(&locks, "t2:s", tok);
}

TEST(a_full_queue_refuses_the_next_taker)
{
    pt_error err = {0};
    uint64_t tok = 0;
    static queued q[LOCK_MAX_WAITING];
    atomic_store(&grants, 0);
    CHECK_INT(acquire("t3:flood", &tok, &err), 0);
    for (int i = 0; i < LOCK_MAX_WAITING; i++) {
        q[i] = (queued){.w = {.grant = record_grant, .ctx = &q[i]}};
        uint64_t t;
        CHECK_INT(locks.ops->enqueue(&locks, "t3:flood", &q[i].w, &t, &err), 0);
    }
    queued extra = {.w = {.grant = record_grant, .ctx = &extra}};
    uint64_t t;
    CHECK_INT(locks.ops->enqueue(&locks, "t3:flood", &extra.w, &t, &err), -PT_ERR_RATE_LIMITED);
    CHECK(strstr(err.msg, "already waiting") != NULL, "the reason: %s", err.msg);
    CHECK_INT(acquire("t3:flood", &t, &err), -PT_ERR_RATE_LIMITED);
    /* another conversation is not refused */
    CHECK_INT(acquire("t3:calm", &t, &err), 0);
    locks.ops->release(&locks, "t3:calm", t);
    /* the queue drains in order, and then the key takes new takers again */
    locks.ops->release(&locks, "t3:flood", tok);
    for (int i = 0; i < LOCK_MAX_WAITING; i++) {
        CHECK_INT(q[i].order, i + 1);
        locks.ops->release(&locks, "t3:flood", q[i].token);
    }
    CHECK_INT(acquire("t3:flood", &t, &err), 0);
    locks.ops->release(&locks, "t3:flood", t);
}

/* A waiter for a full stripe gets the first slot a release of another key
 * frees, ahead of the released key's own later taker. */
TEST(a_full_stripe_queues_and_hands_over)
{
    char keys[STRIPE_SLOTS + 1][32];
    same_stripe_keys(keys, STRIPE_SLOTS + 1);
    pt_error err = {0};
    uint64_t tok[STRIPE_SLOTS];
    atomic_store(&grants, 0);
    for (int i = 0; i < STRIPE_SLOTS; i++)
        CHECK_INT(acquire(keys[i], &tok[i], &err), 0);
    queued full = {.w = {.grant = record_grant, .ctx = &full}};
    queued same = {.w = {.grant = record_grant, .ctx = &same}};
    uint64_t t;
    CHECK_INT(locks.ops->enqueue(&locks, keys[STRIPE_SLOTS], &full.w, &t, &err), 0);
    CHECK_INT(locks.ops->enqueue(&locks, keys[2], &same.w, &t, &err), 0);
    locks.ops->release(&locks, keys[2], tok[2]);
    CHECK_INT(full.order, 1);
    CHECK_INT(same.order, 0);
    locks.ops->release(&locks, keys[5], tok[5]);
    CHECK_INT(same.order, 2);
    locks.ops->release(&locks, keys[STRIPE_SLOTS], full.token);
    locks.ops->release(&locks, keys[2], same.token);
    for (int i = 0; i < STRIPE_SLOTS; i++)
        if (i != 2 && i != 5)
            locks.ops->release(&locks, keys[i], tok[i]);
}

/* Four threads increment per-key counters under the lock, the keys chosen
 * to share a stripe: a lost update or two holders at once show up. */
#define STRESS_KEYS 3
#define STRESS_ROUNDS 20000
static char stress_keys[STRESS_KEYS][32];
static long stress_count[STRESS_KEYS];
static atomic_int stress_inside[STRESS_KEYS];
static atomic_int stress_overlap;

static void *stress(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    pt_error err = {0};
    for (int i = 0; i < STRESS_ROUNDS; i++) {
        int k = (int)(rand_r(&seed) % STRESS_KEYS);
        uint64_t tok;
        acquire(stress_keys[k], &tok, &err);
        if (atomic_fetch_add(&stress_inside[k], 1) != 0)
            atomic_fetch_add(&stress_overlap, 1);
        stress_count[k]++;
        atomic_fetch_sub(&stress_inside[k], 1);
        locks.ops->release(&locks, stress_keys[k], tok);
    }
    return NULL;
}

TEST(many_threads_never_hold_one_key_together)
{
    same_stripe_keys(stress_keys, STRESS_KEYS);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, stress, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    long sum = 0;
    for (int k = 0; k < STRESS_KEYS; k++)
        sum += stress_count[k];
    CHECK_INT(sum, 4L * STRESS_ROUNDS);
    CHECK_INT(atomic_load(&stress_overlap), 0);
}

TEST_MAIN(
    pt_error err = {0};
    locks.ops = &lock_local_ops;
    if (locks.ops->open(&locks, NULL, &err) != 0)
        return 1;
    RUN(same_key_waits_for_release_from_another_thread);
    RUN(keys_of_one_stripe_do_not_wait_for_each_other);
    RUN(enqueue_hands_the_lock_over_in_order);
    RUN(a_full_queue_refuses_the_next_taker);
    RUN(a_full_stripe_queues_and_hands_over);
    RUN(many_threads_never_hold_one_key_together);
    locks.ops->close(&locks);
)
