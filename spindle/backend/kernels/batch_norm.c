/* Batch normalization in training for the CPU: float32, contiguous (N, C, P) arrays (P = the
   positions of one channel of one sample), parallel over channels.

   Each kernel works one channel at a time: the channel's N rows of P values (stride C * P) come
   from memory in its first pass and are still in the L2 cache for its second.

   batch_norm_forward: pass 1 sums d = x - center and d^2, where center is the mean of the channel's
   first row (a close guess at the batch mean: the variance then comes out as the difference
   sum(d^2) / count - mean(d)^2 of two numbers of its own size, no cancellation); pass 2 writes
   output = (x - mean) * scale + bias, with scale = weight * inverse_std. Backward recomputes
   x - mean from the input rather than reading a normalized copy kept by forward: that copy would
   cost forward a full-size write and backward a full-size read.

   batch_norm_backward: pass 1 sums g and g * (x - mean); pass 2 writes
   grad_input = scale * (g - sum(g) / count - (x - mean) * inverse_std^2 * sum(g * (x - mean)) / count).

   Sums run in float lanes, VECTORS vectors of WIDTH (GCC's vector extension: GCC does not reorder
   a plain loop's float sum without -ffast-math, and the vectors say which reordering is meant; two
   of them hide the latency of the additions), added into double every BLOCK values, so that a
   float partial sum never holds more than BLOCK / LANES terms.

   COMPILE_FLAGS name no -march, which leaves x86-64 with SSE2: there the per-channel functions are
   also compiled for AVX2, and the loader runs the version the processor has (target_clones, an
   ifunc: glibc only). A WIDTH of 8 fills an AVX2 register and two SSE2 ones. */
#include <math.h>
#include <string.h>

#include "parallel.h"

#define WIDTH 8
#define VECTORS 2
#define LANES (WIDTH * VECTORS)
#define BLOCK 1024

typedef float vector_t __attribute__((vector_size(WIDTH * sizeof(float))));

#if defined(__x86_64__) && defined(__GLIBC__)
#define CLONED_FOR_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define CLONED_FOR_AVX2
#endif

typedef struct {
    long batch, channels, positions;
} shape_t;

/* Where row n of channel c starts in an (N, C, P) array. */
static inline long row(const shape_t *s, long n, long c) {
    return (n * s->channels + c) * s->positions;
}

static inline double lane_total(const vector_t *lanes) {
    double total = 0;
    for (int k = 0; k < VECTORS; k++)
        for (int j = 0; j < WIDTH; j++) total += lanes[k][j];
    return total;
}

/* sum(a - a_center) and sum((a - a_center) * (b - b_center)) over channel c of the (N, C, P) arrays
   a, b. Inlined always: a function called by a clone is not cloned itself. */
static inline __attribute__((always_inline)) void channel_sums(
    const float *a, const float *b, const shape_t *s, long c, float a_center, float b_center, double *sum,
    double *products) {
    vector_t sum_lanes[VECTORS] = {{0}}, product_lanes[VECTORS] = {{0}};
    double total = 0, product_total = 0;
    long pending = 0;  /* terms per lane since the last flush into double */
    for (long n = 0; n < s->batch; n++) {
        const float *a_row = a + row(s, n, c), *b_row = b + row(s, n, c);
        for (long start = 0; start < s->positions; start += BLOCK) {
            long end = start + BLOCK < s->positions ? start + BLOCK : s->positions, i = start;
            for (; i + LANES <= end; i += LANES)
                for (int k = 0; k < VECTORS; k++) {
                    vector_t a_values, b_values;
                    memcpy(&a_values, a_row + i + k * WIDTH, sizeof a_values);  /* unaligned loads */
                    memcpy(&b_values, b_row + i + k * WIDTH, sizeof b_values);
                    a_values -= a_center;
                    sum_lanes[k] += a_values;
                    product_lanes[k] += a_values * (b_values - b_center);
                }
            float tail = 0, product_tail = 0;  /* fewer than LANES terms */
            for (; i < end; i++) {
                float centered = a_row[i] - a_center;
                tail += centered;
                product_tail += centered * (b_row[i] - b_center);
            }
            total += tail, product_total += product_tail;
            pending += (end - start) / LANES;
            if (pending >= BLOCK / LANES) {
                total += lane_total(sum_lanes), product_total += lane_total(product_lanes);
                for (int k = 0; k < VECTORS; k++) sum_lanes[k] = product_lanes[k] = (vector_t){0};
                pending = 0;
            }
        }
    }
    *sum = total + lane_total(sum_lanes);
    *products = product_total + lane_total(product_lanes);
}

typedef struct {
    const shape_t *shape;
    const float *input, *weight, *bias;  /* weight, bias: NULL where absent */
    float *output, *mean, *variance, *inverse_std;
    double eps;
} forward_t;

CLONED_FOR_AVX2 static void forward_channels(long first, long last, void *context) {
    const forward_t *f = context;
    const shape_t *s = f->shape;
    const shape_t first_row = {s->batch > 0, s->channels, s->positions};  /* none in an empty batch */
    double count = (double)s->batch * s->positions;
    for (long c = first; c < last; c++) {
        double sum, squares;
        channel_sums(f->input, f->input, &first_row, c, 0.0f, 0.0f, &sum, &squares);
        float center = (float)(sum / s->positions);
        channel_sums(f->input, f->input, s, c, center, center, &sum, &squares);
        double shift_of_mean = sum / count, mean = center + shift_of_mean;
        /* Exact arithmetic keeps this at 0 or above; rounding can push a constant channel's just below. */
        double variance = fmax(squares / count - shift_of_mean * shift_of_mean, 0.0);
        double inverse_std = 1.0 / sqrt(variance + f->eps);
        double scale = f->weight ? f->weight[c] * inverse_std : inverse_std;
        float float_mean = (float)mean, float_scale = (float)scale;
        /* The bias, less what rounding the mean to float32 left out: then the output is off by its own
           rounding only, where x * scale + shift would round x * scale, as large as mean / std. */
        float shift = (float)((f->bias ? f->bias[c] : 0.0) - (mean - float_mean) * scale);
        for (long n = 0; n < s->batch; n++) {
            const float *restrict x = f->input + row(s, n, c);
            float *restrict y = f->output + row(s, n, c);
            for (long i = 0; i < s->positions; i++) y[i] = (x[i] - float_mean) * float_scale + shift;
        }
        f->mean[c] = float_mean;
        f->variance[c] = (float)variance;
        f->inverse_std[c] = (float)inverse_std;
    }
}

/* Training forward of input (N, C, P): writes output (N, C, P) and the batch's mean, biased variance
   and 1 / sqrt(variance + eps) per channel (C,). weight and bias (C,) may be NULL. */
void batch_norm_forward(const float *input, const float *weight, const float *bias, float *output, float *mean,
                        float *variance, float *inverse_std, const shape_t *shape, double eps, long threads) {
    forward_t context = {shape, input, weight, bias, output, mean, variance, inverse_std, eps};
    parallel_for(shape->channels, threads, forward_channels, &context);
}

typedef struct {
    const shape_t *shape;
    const float *grad, *input, *weight, *mean, *inverse_std;
    float *grad_input, *grad_weight, *grad_bias;  /* grad_input: NULL where not wanted */
} backward_t;

CLONED_FOR_AVX2 static void backward_channels(long first, long last, void *context) {
    const backward_t *b = context;
    const shape_t *s = b->shape;
    double count = (double)s->batch * s->positions;
    for (long c = first; c < last; c++) {
        float mean = b->mean[c];
        double sum, products, inverse_std = b->inverse_std[c];
        channel_sums(b->grad, b->input, s, c, 0.0f, mean, &sum, &products);
        b->grad_bias[c] = (float)sum;
        b->grad_weight[c] = (float)(products * inverse_std);
        if (!b->grad_input) continue;
        /* grad_input = g * scale + (x - mean) * slope + offset */
        double scale = b->weight ? b->weight[c] * inverse_std : inverse_std;
        float grad_scale = (float)scale;
        float slope = (float)(-scale * inverse_std * inverse_std * products / count);
        float offset = (float)(-scale * sum / count);
        for (long n = 0; n < s->batch; n++) {
            const float *restrict g = b->grad + row(s, n, c), *restrict x = b->input + row(s, n, c);
            float *restrict result = b->grad_input + row(s, n, c);
            for (long i = 0; i < s->positions; i++) result[i] = g[i] * grad_scale + (x[i] - mean) * slope + offset;
        }
    }
}

/* Training backward of batch_norm_forward: from grad and input (N, C, P) and forward's mean and
   inverse_std (C,), writes grad_input (N, C, P; skipped where NULL) and the gradients of weight and
   bias (C,): sum(g * normalized) and sum(g). weight (C,) may be NULL (no affine scale). */
void batch_norm_backward(const float *grad, const float *input, const float *weight, const float *mean,
                         const float *inverse_std, float *grad_input, float *grad_weight, float *grad_bias,
                         const shape_t *shape, long threads) {
    backward_t context = {shape, grad, input, weight, mean, inverse_std, grad_input, grad_weight, grad_bias};
    parallel_for(shape->channels, threads, backward_channels, &context);
}
