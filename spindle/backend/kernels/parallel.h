/* parallel_for: split tasks [0, count) into `threads` contiguous ranges and run body on each, the
   calling thread taking the first; returns when all are done. Plain pthreads, started per call
   (tens of microseconds): the kernels that use it run for milliseconds, and a thread pool of our
   own would sit beside NumPy's OpenBLAS and PyTorch's OpenMP threads. */
#ifndef SPINDLE_PARALLEL_H
#define SPINDLE_PARALLEL_H

#include <pthread.h>

typedef void (*range_function)(long first, long last, void *context);

typedef struct {
    range_function body;
    void *context;
    long first, last;
} range_t;

static void *run_range(void *argument) {
    range_t *range = argument;
    range->body(range->first, range->last, range->context);
    return NULL;
}

#define MAX_THREADS 64

static void parallel_for(long count, long threads, range_function body, void *context) {
    if (threads > count) threads = count;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads <= 1) {
        if (count > 0) body(0, count, context);
        return;
    }
    range_t ranges[MAX_THREADS];
    pthread_t handles[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (long t = 0; t < threads; t++)
        ranges[t] = (range_t){body, context, count * t / threads, count * (t + 1) / threads};
    for (long t = 1; t < threads; t++)
        started[t] = pthread_create(&handles[t], NULL, run_range, &ranges[t]) == 0;
    body(ranges[0].first, ranges[0].last, context);
    for (long t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(handles[t], NULL);
        else  /* no thread to be had: do its share here */
            body(ranges[t].first, ranges[t].last, context);
    }
}

#endif
