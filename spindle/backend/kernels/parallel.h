/* parallel_for: split tasks [0, count) into up to `threads` contiguous ranges and run body on each,
   the calling thread taking the first; returns when all are done.

   The other ranges go to a pool of worker threads, started on first use and kept for later calls:
   starting or waking a thread costs about 100 microseconds on a virtual machine, which is what a
   small convolution takes. Each library that includes this header has its own pool. A call made while the pool is busy (another Python thread, the GIL being released
   around kernels) runs all its ranges itself; a forked child (DataLoader workers) starts a pool of
   its own, as threads do not survive fork. */
#ifndef SPINDLE_PARALLEL_H
#define SPINDLE_PARALLEL_H

#include <pthread.h>
#include <unistd.h>

typedef void (*range_function)(long first, long last, void *context);

#define MAX_THREADS 64

/* Spins before sleeping, by a worker waiting for work and by a call waiting for its workers:
   about a millisecond, so that the kernels of one training step, a few milliseconds apart, find
   their workers awake (waking a sleeping thread is what costs the 100 microseconds). */
#define SPINS 20000

#if defined(__x86_64__) || defined(__i386__)
#define PAUSE() __builtin_ia32_pause()
#else
#define PAUSE() ((void)0)
#endif

/* What one worker is handed: its range of one call. A worker reads only its own slot, so the
   calls' parameters never change under a worker that is still looking at an earlier call. */
typedef struct {
    long generation;               /* incremented (atomically, last) to hand the slot over */
    long first, last;
    range_function body;
    void *context;
} slot_t;

static struct {
    pthread_mutex_t busy;          /* held by the call using the pool */
    pthread_mutex_t lock;          /* guards sleeping and the condition variables */
    pthread_cond_t start, done;
    pid_t owner;                   /* the process whose threads these are */
    long workers;                  /* started worker threads: slots 1 .. workers */
    long sleeping;                 /* workers asleep on start */
    long pending;                  /* ranges of the current call not yet finished (atomic) */
    slot_t slots[MAX_THREADS];
} pool;

static long next_generation(long index, long seen) {
    long generation;
    for (int spin = 0; spin < SPINS; spin++) {
        generation = __atomic_load_n(&pool.slots[index].generation, __ATOMIC_ACQUIRE);
        if (generation != seen) return generation;
        PAUSE();
    }
    pthread_mutex_lock(&pool.lock);
    pool.sleeping++;
    while ((generation = __atomic_load_n(&pool.slots[index].generation, __ATOMIC_ACQUIRE)) == seen)
        pthread_cond_wait(&pool.start, &pool.lock);
    pool.sleeping--;
    pthread_mutex_unlock(&pool.lock);
    return generation;
}

static void *worker(void *argument) {
    long index = (long)argument, seen = 0;
    for (;;) {
        seen = next_generation(index, seen);
        const slot_t *slot = &pool.slots[index];
        slot->body(slot->first, slot->last, slot->context);
        if (__atomic_sub_fetch(&pool.pending, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    return NULL;
}

/* A fresh pool for this process (first use, or the first call in a forked child). */
static void reset_pool(void) {
    pthread_mutex_init(&pool.busy, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.start, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.workers = pool.sleeping = pool.pending = 0;
    for (int i = 0; i < MAX_THREADS; i++) pool.slots[i].generation = 0;
    pool.owner = getpid();
}

static pthread_mutex_t pool_setup = PTHREAD_MUTEX_INITIALIZER;

static void parallel_for(long count, long threads, range_function body, void *context) {
    if (threads > count) threads = count;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads <= 1) {
        if (count > 0) body(0, count, context);
        return;
    }
    pthread_mutex_lock(&pool_setup);
    if (pool.owner != getpid()) reset_pool();
    pthread_mutex_unlock(&pool_setup);
    if (pthread_mutex_trylock(&pool.busy) != 0) {
        body(0, count, context);
        return;
    }
    while (pool.workers < threads - 1) {
        pthread_t handle;
        if (pthread_create(&handle, NULL, worker, (void *)(pool.workers + 1)) != 0) break;
        pthread_detach(handle);
        pool.workers++;
    }
    if (threads > pool.workers + 1) threads = pool.workers + 1;  /* as many as could be started */
    __atomic_store_n(&pool.pending, threads - 1, __ATOMIC_RELAXED);
    for (long t = 1; t < threads; t++) {
        slot_t *slot = &pool.slots[t];
        slot->first = count * t / threads;
        slot->last = count * (t + 1) / threads;
        slot->body = body;
        slot->context = context;
        __atomic_add_fetch(&slot->generation, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_lock(&pool.lock);
    if (pool.sleeping) pthread_cond_broadcast(&pool.start);
    pthread_mutex_unlock(&pool.lock);
    body(0, count / threads, context);
    for (int spin = 0; spin < SPINS && __atomic_load_n(&pool.pending, __ATOMIC_ACQUIRE) > 0; spin++) PAUSE();
    pthread_mutex_lock(&pool.lock);
    while (__atomic_load_n(&pool.pending, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.busy);
}

#endif
