/* Direct convolution kernels for the CPU (AVX-512, float32), and the layouts they read.

   The kernels read their input in place instead of building the im2col matrix. The caller hands
   them the input as planes (N, C', Hp, Wp) (stride_planes_float32 below: the zero-padded input,
   split into stride phases for strided convolutions, so that every convolution reads like a
   stride-1 one) and, for each kernel entry k = (c, i, j), offsets[k]: where in an image's planes
   output pixel (0, 0) reads at that entry. Output pixel (oh, ow) then reads offsets[k] + oh * Wp + ow,
   so the values that consecutive output pixels of one row read are consecutive input elements.

   convolution_forward: output (N, O, OH, OW) = sum over k of weight[o, k] * input at k. A tile is
   ROWS output channels x VECTORS vectors of 16 output pixels, held in 24 registers; per k it loads
   the VECTORS input vectors once and broadcasts ROWS weights (weights packed (O / ROWS, K, ROWS)).
   A vector that runs over the end of an output row (or of the batch) is cut into segments, each a
   contiguous run of the input; tiles with such vectors first copy their input (per k) into a small
   buffer with masked loads, so that the inner loop always does plain loads.

   convolution_weight: weight gradient (K, O') = sum over images and output pixels of
   input at k x grad[n, pixel, o], with the gradient channels-last and zero-padded to O', a multiple
   of 32 (channels_last_float32 below). A tile is 32 output channels (2 vectors) x 12 entries of k:
   24 registers of sums, one broadcast input value per entry and pixel, no horizontal sums. Images
   come in chunks, sized by the caller to stay in the L2 cache, and each tile adds a chunk's sums to
   the result.

   All of them split their work over threads with parallel_for (parallel.h); every tile or image is
   computed by one thread in a fixed order, so the result does not depend on the thread count. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"

#define LANES 16
#define MAX_SEGMENTS LANES

typedef struct {
    long batch, channels, height, width;         /* the input planes (N, C', Hp, Wp) */
    long out_channels, output_height, output_width;
    long depth;                                 /* K: the entries of offsets */
} shape_t;

int has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

/* ---- forward ---- */

#define ROWS 8
#define VECTORS 3
#define TILE (LANES * VECTORS)

/* The lanes of one vector of output positions q, q + 1, ... (over image, output row, output column):
   segment i's lanes (mask) read input + offsets[k] + input[i] + lane and write output + output[i] + lane. */
typedef struct {
    long input[MAX_SEGMENTS], output[MAX_SEGMENTS];
    __mmask16 mask[MAX_SEGMENTS];
    int count;
} vector_t;

static void describe_vector(const shape_t *s, long q, vector_t *vector) {
    long pixels = s->output_height * s->output_width, total = s->batch * pixels;
    vector->count = 0;
    for (int i = 0; i < MAX_SEGMENTS; i++) vector->input[i] = vector->output[i] = 0, vector->mask[i] = 0;
    for (int lane = 0; lane < LANES && q + lane < total;) {
        long position = q + lane, n = position / pixels, pixel = position % pixels;
        long row = pixel / s->output_width, column = pixel % s->output_width;
        long run = s->output_width - column;
        if (run > LANES - lane) run = LANES - lane;
        if (run > total - position) run = total - position;
        int i = vector->count++;
        vector->input[i] = n * s->channels * s->height * s->width + row * s->width + column - lane;
        vector->output[i] = n * s->out_channels * pixels + row * s->output_width + column - lane;
        vector->mask[i] = (__mmask16)(((1u << run) - 1) << lane);
        lane += run;
    }
}

__attribute__((target("avx512f,fma")))
static void forward_tile(const float *const sources[VECTORS], const long *offsets, const float *weight,
                         float *output, long depth, long pixels, const vector_t vectors[VECTORS], long rows) {
    __m512 acc[ROWS][VECTORS];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
    const float *source0 = sources[0], *source1 = sources[1], *source2 = sources[2];
    for (long k = 0; k < depth; k++, weight += ROWS) {
        long offset = offsets[k];
        __m512 in0 = _mm512_loadu_ps(source0 + offset);
        __m512 in1 = _mm512_loadu_ps(source1 + offset);
        __m512 in2 = _mm512_loadu_ps(source2 + offset);
        for (int r = 0; r < ROWS; r++) {
            __m512 w = _mm512_set1_ps(weight[r]);
            acc[r][0] = _mm512_fmadd_ps(w, in0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(w, in1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(w, in2, acc[r][2]);
        }
    }
    for (int r = 0; r < ROWS; r++)
        if (r < rows)
            for (int v = 0; v < VECTORS; v++)
                for (int i = 0; i < MAX_SEGMENTS; i++)
                    if (i < vectors[v].count)
                        _mm512_mask_storeu_ps(output + r * pixels + vectors[v].output[i], vectors[v].mask[i], acc[r][v]);
}

typedef struct {
    const float *input, *packed_weight;
    const long *offsets;
    float *output;
    const shape_t *s;
    int failed;
} forward_job_t;

/* Tiles [first, last) of the forward product (one thread's share). */
__attribute__((target("avx512f,fma")))
static void forward_tiles(long first, long last, void *context) {
    forward_job_t *job = context;
    const shape_t *s = job->s;
    long pixels = s->output_height * s->output_width;
    long blocks = (s->out_channels + ROWS - 1) / ROWS;
    float *packed = aligned_alloc(64, sizeof(float) * TILE * s->depth);
    long *packed_offsets = malloc(sizeof(long) * s->depth);
    if (!packed || !packed_offsets) {
        free(packed);
        free(packed_offsets);
        job->failed = 1;
        return;
    }
    for (long k = 0; k < s->depth; k++) packed_offsets[k] = k * TILE;
    for (long tile = first; tile < last; tile++) {
        long q = tile * TILE;
        vector_t vectors[VECTORS];
        int split = 0;
        for (int v = 0; v < VECTORS; v++) {
            describe_vector(s, q + v * LANES, &vectors[v]);
            /* A vector that is not one full run (it crosses a row, or ends the batch) is copied with
               masked loads: a plain load would read past the row's or the array's end. */
            split |= vectors[v].count != 1 || vectors[v].mask[0] != 0xFFFF;
        }
        const float *sources[VECTORS];
        const long *source_offsets = job->offsets;
        if (split) {
            for (long k = 0; k < s->depth; k++)
                for (int v = 0; v < VECTORS; v++) {
                    const float *base = job->input + job->offsets[k];
                    __m512 value = _mm512_setzero_ps();
                    for (int i = 0; i < vectors[v].count; i++)
                        value = _mm512_mask_loadu_ps(value, vectors[v].mask[i], base + vectors[v].input[i]);
                    _mm512_store_ps(packed + k * TILE + v * LANES, value);
                }
            for (int v = 0; v < VECTORS; v++) sources[v] = packed + v * LANES;
            source_offsets = packed_offsets;
        } else {
            for (int v = 0; v < VECTORS; v++) sources[v] = job->input + vectors[v].input[0];
        }
        for (long b = 0; b < blocks; b++) {
            long rows = s->out_channels - b * ROWS < ROWS ? s->out_channels - b * ROWS : ROWS;
            forward_tile(sources, source_offsets, job->packed_weight + b * s->depth * ROWS,
                         job->output + b * ROWS * pixels, s->depth, pixels, vectors, rows);
        }
    }
    free(packed);
    free(packed_offsets);
}

/* output (N, O, OH, OW) = sum over k of weight[o, k] * input[n, offsets[k] + oh * Wp + ow], the
   weight packed (ceil(O / ROWS), K, ROWS). Returns 0, or -1 where a tile buffer could not be allocated. */
int convolution_forward_float32(const float *input, const float *packed_weight, const long *offsets,
                                float *output, const shape_t *s, long threads) {
    forward_job_t job = {input, packed_weight, offsets, output, s, 0};
    long tiles = (s->batch * s->output_height * s->output_width + TILE - 1) / TILE;
    parallel_for(tiles, threads, forward_tiles, &job);
    return job.failed ? -1 : 0;
}

/* ---- weight gradient ---- */

#define GRAD_VECTORS 2   /* vectors of 16 output channels per weight-gradient tile */
#define ENTRIES 12       /* kernel entries k per weight-gradient tile */

typedef struct {
    const float *input, *grad;
    const long *offsets;
    float *grad_weight;
    const shape_t *s;
    long padded_channels, images_per_chunk;
} weight_job_t;

/* Tiles [first, last) of the weight gradient, numbered over (32 output channels, 12 entries of k). */
__attribute__((target("avx512f,fma")))
static void weight_tiles(long first_tile, long last_tile, void *context) {
    weight_job_t *job = context;
    const shape_t *s = job->s;
    long channels = job->padded_channels, image = s->channels * s->height * s->width;
    long pixels = s->output_height * s->output_width;
    long entry_blocks = (s->depth + ENTRIES - 1) / ENTRIES;
    for (long first = 0; first < s->batch; first += job->images_per_chunk) {
        long last = first + job->images_per_chunk < s->batch ? first + job->images_per_chunk : s->batch;
        for (long tile = first_tile; tile < last_tile; tile++) {
            long o = tile / entry_blocks * LANES * GRAD_VECTORS, k = tile % entry_blocks * ENTRIES;
            /* Entries past the end repeat the last one; their sums are not stored. */
            long entries[ENTRIES];
            for (int e = 0; e < ENTRIES; e++) entries[e] = job->offsets[k + e < s->depth ? k + e : s->depth - 1];
            __m512 acc[GRAD_VECTORS][ENTRIES];
            for (int v = 0; v < GRAD_VECTORS; v++)
                for (int e = 0; e < ENTRIES; e++) acc[v][e] = _mm512_setzero_ps();
            for (long n = first; n < last; n++) {
                const float *g = job->grad + n * pixels * channels + o;
                const float *x = job->input + n * image;
                for (long row = 0; row < s->output_height; row++, x += s->width)
                    for (long column = 0; column < s->output_width; column++, g += channels) {
                        __m512 grad0 = _mm512_loadu_ps(g), grad1 = _mm512_loadu_ps(g + LANES);
                        for (int e = 0; e < ENTRIES; e++) {
                            __m512 in = _mm512_set1_ps(x[entries[e] + column]);
                            acc[0][e] = _mm512_fmadd_ps(grad0, in, acc[0][e]);
                            acc[1][e] = _mm512_fmadd_ps(grad1, in, acc[1][e]);
                        }
                    }
            }
            for (int e = 0; e < ENTRIES; e++)
                if (k + e < s->depth)
                    for (int v = 0; v < GRAD_VECTORS; v++) {
                        float *out = job->grad_weight + (k + e) * channels + o + v * LANES;
                        _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc[v][e]));
                    }
        }
    }
}

/* grad_weight (K, O') = sum over images n and output pixels (oh, ow) of
   grad[n, oh, ow, o] * input[n, offsets[k] + oh * Wp + ow], with the gradient channels-last and its
   channels zero-padded to O', a multiple of 32. */
void convolution_weight_float32(const float *input, const float *grad, const long *offsets,
                                float *grad_weight, const shape_t *s, long padded_channels,
                                long images_per_chunk, long threads) {
    weight_job_t job = {input, grad, offsets, grad_weight, s, padded_channels, images_per_chunk};
    for (long i = 0; i < padded_channels * s->depth; i++) grad_weight[i] = 0;
    long tiles = padded_channels / (LANES * GRAD_VECTORS) * ((s->depth + ENTRIES - 1) / ENTRIES);
    parallel_for(tiles, threads, weight_tiles, &job);
}

/* ---- layouts ---- */

typedef struct {
    long images, height, width;                    /* x: (images = N * C, H, W) */
    long stride_h, stride_w, top, left;
    long plane_height, plane_width;                /* planes: (images, sh, sw, Hq, Wq) */
} planes_shape_t;

typedef struct {
    const float *source;
    float *target;
    const planes_shape_t *s;
} planes_job_t;

static void planes_range(long first, long last, void *context) {
    const planes_job_t *job = context;
    const planes_shape_t *s = job->s;
    for (long image = first; image < last; image++) {
        const float *source = job->source + image * s->height * s->width;
        float *row = job->target + image * s->stride_h * s->stride_w * s->plane_height * s->plane_width;
        for (long a = 0; a < s->stride_h; a++)
            for (long b = 0; b < s->stride_w; b++) {
                /* Plane columns [first_column, last_column) hold input columns q * sw + b - left. */
                long shift = b - s->left;
                long first_column = shift < 0 ? (-shift + s->stride_w - 1) / s->stride_w : 0;
                long last_column = shift >= s->width ? 0 : (s->width - 1 - shift) / s->stride_w + 1;
                if (last_column > s->plane_width) last_column = s->plane_width;
                if (first_column > last_column) first_column = last_column;
                for (long r = 0; r < s->plane_height; r++, row += s->plane_width) {
                    long input_row = r * s->stride_h + a - s->top;
                    if (input_row < 0 || input_row >= s->height) {
                        memset(row, 0, sizeof(float) * s->plane_width);
                        continue;
                    }
                    const float *in = source + input_row * s->width + shift;
                    memset(row, 0, sizeof(float) * first_column);
                    if (s->stride_w == 1)
                        memcpy(row + first_column, in + first_column, sizeof(float) * (last_column - first_column));
                    else
                        for (long q = first_column; q < last_column; q++) row[q] = in[q * s->stride_w];
                    memset(row + last_column, 0, sizeof(float) * (s->plane_width - last_column));
                }
            }
    }
}

/* planes (N * C, sh, sw, Hq, Wq): element (image, a, b, r, q) is the zero-padded input's pixel
   (r * sh + a, q * sw + b), i.e. x (N * C, H, W) at (r * sh + a - top, q * sw + b - left), or 0
   outside it. Every element is written once. */
void stride_planes_float32(const float *x, float *planes, const planes_shape_t *s, long threads) {
    planes_job_t job = {x, planes, s};
    parallel_for(s->images, threads, planes_range, &job);
}

typedef struct {
    const float *source;
    float *target;
    long channels, positions, padded_channels;
} channels_last_job_t;

static void channels_last_range(long first, long last, void *context) {
    const channels_last_job_t *job = context;
    for (long n = first; n < last; n++) {
        const float *source = job->source + n * job->channels * job->positions;
        float *target = job->target + n * job->positions * job->padded_channels;
        for (long p = 0; p < job->positions; p++, target += job->padded_channels) {
            for (long o = 0; o < job->channels; o++) target[o] = source[o * job->positions + p];
            for (long o = job->channels; o < job->padded_channels; o++) target[o] = 0;
        }
    }
}

/* target (N, P, O') = source (N, O, P) transposed, channels O..O' zero. */
void channels_last_float32(const float *source, float *target, long batch, long channels, long positions,
                           long padded_channels, long threads) {
    channels_last_job_t job = {source, target, channels, positions, padded_channels};
    parallel_for(batch, threads, channels_last_range, &job);
}
