/* Direct convolution kernels for the CPU (AVX-512 or AVX2 with FMA, float32), and the layouts they read.

   The kernels read their input in place instead of building the im2col matrix. The caller hands
   them the input as planes (N, C', Hp, Wp) (stride_planes_float32 below: the zero-padded input,
   split into stride phases for strided convolutions, so that every convolution reads like a
   stride-1 one) and, for each kernel entry k = (c, i, j), offsets[k]: where in an image's planes
   output pixel (0, 0) reads at that entry. Output pixel (oh, ow) then reads offsets[k] + oh * Wp + ow,
   so the values that consecutive output pixels of one row read are consecutive input elements.

   convolution_forward: output (N, O, OH, OW) = sum over k of weight[o, k] * input at k. The weight
   is packed (O / ROWS, K, ROWS), ROWS = 8. With AVX-512 a tile is ROWS output channels x VECTORS
   vectors of 16 output pixels, held in 24 registers; per k it loads the VECTORS input vectors once
   and broadcasts ROWS weights. AVX2 has 16 registers of 8 lanes: its tile is VECTORS vectors of 8
   pixels, and it runs each block of ROWS channels as two halves of 4 (12 sums, 3 inputs and one
   broadcast fill the 16 registers).
   A vector that runs over the end of an output row (or of the batch) is cut into segments, each a
   contiguous run of the input; tiles with such vectors first copy their input (per k) into a small
   buffer with masked loads, so that the inner loop always does plain loads.

   convolution_weight: weight gradient (K, O') = sum over images and output pixels of
   input at k x grad[n, pixel, o], with the gradient channels-last and zero-padded to O', a multiple
   of 32 (channels_last_float32 below). With AVX-512 a tile is 32 output channels (2 vectors) x 12
   entries of k: 24 registers of sums, one broadcast input value per entry and pixel, no horizontal
   sums. With AVX2 it is 16 channels (2 vectors) x 6 entries: 12 sums, 2 gradient vectors and one
   broadcast in 16 registers (32 channels x 3 entries would need 17, and reload the gradient from
   memory for every entry). Images come in chunks, sized by the caller to stay in the L2 cache, and
   each tile adds a chunk's sums to the result.

   The instruction set is picked on the CPU the library runs on (set_instruction_set can force
   AVX2 on an AVX-512 machine, for tests and measurements); the AVX-512 and AVX2 intrinsics live
   only in functions compiled for them, so an AVX2 machine never meets an AVX-512 instruction.

   All of them split their work over threads with parallel_for (parallel.h); every tile or image is
   computed by one thread in a fixed order, so the result does not depend on the thread count. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"

#define MAX_LANES 16     /* floats per vector register: 16 with AVX-512, 8 with AVX2 */
#define MAX_SEGMENTS MAX_LANES

typedef struct {
    long batch, channels, height, width;         /* the input planes (N, C', Hp, Wp) */
    long out_channels, output_height, output_width;
    long depth;                                 /* K: the entries of offsets */
} shape_t;

/* ---- forward: the tiles' vectors ---- */

#define ROWS 8
#define VECTORS 3

/* The lanes of one vector of output positions q, q + 1, ... (over image, output row, output column):
   segment i's lanes (bits of mask) read input + offsets[k] + input[i] + lane and write
   output + output[i] + lane. */
typedef struct {
    long input[MAX_SEGMENTS], output[MAX_SEGMENTS];
    unsigned mask[MAX_SEGMENTS];
    int count;
} vector_t;

/* The vector of `lanes` output positions from q. */
static void describe_vector(const shape_t *s, long q, int lanes, vector_t *vector) {
    long pixels = s->output_height * s->output_width, total = s->batch * pixels;
    vector->count = 0;
    for (int i = 0; i < MAX_SEGMENTS; i++) vector->input[i] = vector->output[i] = 0, vector->mask[i] = 0;
    for (int lane = 0; lane < lanes && q + lane < total;) {
        long position = q + lane, n = position / pixels, pixel = position % pixels;
        long row = pixel / s->output_width, column = pixel % s->output_width;
        long run = s->output_width - column;
        if (run > lanes - lane) run = lanes - lane;
        if (run > total - position) run = total - position;
        int i = vector->count++;
        vector->input[i] = n * s->channels * s->height * s->width + row * s->width + column - lane;
        vector->output[i] = n * s->out_channels * pixels + row * s->output_width + column - lane;
        vector->mask[i] = ((1u << run) - 1) << lane;
        lane += run;
    }
}

/* Whether the vector is one full run of `lanes` (then plain loads and stores serve it). */
static int whole_vector(const vector_t *vector, int lanes) {
    return vector->count == 1 && vector->mask[0] == (1u << lanes) - 1;
}

/* ---- weight gradient: the tiles' entries ---- */

typedef struct {
    const float *input, *grad;
    const long *offsets;
    float *grad_weight;
    const shape_t *s;
    long padded_channels, images_per_chunk;
} weight_job_t;

/* The offsets of entries k .. k + count - 1; entries past the end repeat the last one (their sums
   are computed but not stored). */
static void tile_entries(const weight_job_t *job, long k, int count, long *entries) {
    for (int e = 0; e < count; e++) entries[e] = job->offsets[k + e < job->s->depth ? k + e : job->s->depth - 1];
}

/* ---- AVX-512 ---- */

#define AVX512_LANES 16
#define AVX512_GRAD_VECTORS 2   /* vectors of 16 output channels per weight-gradient tile */
#define AVX512_ENTRIES 12       /* kernel entries k per weight-gradient tile */

/* packed (K, VECTORS, 16): the vectors' input at every k, zero in the lanes they do not use. */
__attribute__((target("avx512f")))
static void pack_avx512(float *packed, const float *input, const long *offsets, long depth,
                        const vector_t vectors[VECTORS]) {
    for (long k = 0; k < depth; k++)
        for (int v = 0; v < VECTORS; v++) {
            const float *base = input + offsets[k];
            __m512 value = _mm512_setzero_ps();
            for (int i = 0; i < vectors[v].count; i++)
                value = _mm512_mask_loadu_ps(value, (__mmask16)vectors[v].mask[i], base + vectors[v].input[i]);
            _mm512_store_ps(packed + (k * VECTORS + v) * AVX512_LANES, value);
        }
}

/* One block of ROWS output channels (the first `rows` of them stored) for the tile's vectors. */
__attribute__((target("avx512f,fma")))
static void forward_block_avx512(const float *const sources[VECTORS], const long *offsets, const float *weight,
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
                        _mm512_mask_storeu_ps(output + r * pixels + vectors[v].output[i], (__mmask16)vectors[v].mask[i],
                                              acc[r][v]);
}

/* Adds the sums over images [first, last) of the tile of 32 channels from o x 12 entries from k. */
__attribute__((target("avx512f,fma")))
static void weight_tile_avx512(const weight_job_t *job, long o, long k, long first, long last) {
    const shape_t *s = job->s;
    long channels = job->padded_channels, image = s->channels * s->height * s->width;
    long pixels = s->output_height * s->output_width;
    long entries[AVX512_ENTRIES];
    tile_entries(job, k, AVX512_ENTRIES, entries);
    __m512 acc[AVX512_GRAD_VECTORS][AVX512_ENTRIES];
    for (int v = 0; v < AVX512_GRAD_VECTORS; v++)
        for (int e = 0; e < AVX512_ENTRIES; e++) acc[v][e] = _mm512_setzero_ps();
    for (long n = first; n < last; n++) {
        const float *g = job->grad + n * pixels * channels + o;
        const float *x = job->input + n * image;
        for (long row = 0; row < s->output_height; row++, x += s->width)
            for (long column = 0; column < s->output_width; column++, g += channels) {
                __m512 grad0 = _mm512_loadu_ps(g), grad1 = _mm512_loadu_ps(g + AVX512_LANES);
                for (int e = 0; e < AVX512_ENTRIES; e++) {
                    __m512 in = _mm512_set1_ps(x[entries[e] + column]);
                    acc[0][e] = _mm512_fmadd_ps(grad0, in, acc[0][e]);
                    acc[1][e] = _mm512_fmadd_ps(grad1, in, acc[1][e]);
                }
            }
    }
    for (int e = 0; e < AVX512_ENTRIES; e++)
        if (k + e < s->depth)
            for (int v = 0; v < AVX512_GRAD_VECTORS; v++) {
                float *out = job->grad_weight + (k + e) * channels + o + v * AVX512_LANES;
                _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc[v][e]));
            }
}

/* ---- AVX2 ---- */

#define AVX2_LANES 8
#define AVX2_ROWS 4             /* output channels per half of a forward block */
#define AVX2_GRAD_VECTORS 2     /* vectors of 8 output channels per weight-gradient tile */
#define AVX2_ENTRIES 6          /* kernel entries k per weight-gradient tile */

/* The lanes of bits as an integer lane mask (all ones where the bit is set), for maskload/maskstore. */
__attribute__((target("avx2")))
static __m256i lane_mask_avx2(unsigned bits) {
    const __m256i lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), lane_bits), lane_bits);
}

/* packed (K, VECTORS, 8): the vectors' input at every k, zero in the lanes they do not use
   (maskload reads nothing in the lanes it leaves out, and zeroes them). */
__attribute__((target("avx2")))
static void pack_avx2(float *packed, const float *input, const long *offsets, long depth,
                      const vector_t vectors[VECTORS]) {
    __m256i masks[VECTORS][MAX_SEGMENTS];
    for (int v = 0; v < VECTORS; v++)
        for (int i = 0; i < vectors[v].count; i++) masks[v][i] = lane_mask_avx2(vectors[v].mask[i]);
    for (long k = 0; k < depth; k++)
        for (int v = 0; v < VECTORS; v++) {
            const float *base = input + offsets[k];
            __m256 value = _mm256_setzero_ps();
            for (int i = 0; i < vectors[v].count; i++)
                value = _mm256_or_ps(value, _mm256_maskload_ps(base + vectors[v].input[i], masks[v][i]));
            _mm256_store_ps(packed + (k * VECTORS + v) * AVX2_LANES, value);
        }
}

__attribute__((target("avx2")))
static void store_vector_avx2(float *output, const vector_t *vector, __m256 value) {
    if (whole_vector(vector, AVX2_LANES)) {
        _mm256_storeu_ps(output + vector->output[0], value);
        return;
    }
    for (int i = 0; i < vector->count; i++)
        _mm256_maskstore_ps(output + vector->output[i], lane_mask_avx2(vector->mask[i]), value);
}

/* sums (AVX2_ROWS, VECTORS, 8): the products of AVX2_ROWS output channels, their weights at
   weight + k * ROWS, with the tile's vectors. Its 12 sums, 3 inputs and one broadcast take all 16
   registers, and GCC then writes the sums to memory at every k unless the function is out of line
   (inlined, the store's lane-mask constants take two registers) and the k loop runs at least once
   (a path around the loop makes it keep the sums' memory copies current). */
__attribute__((target("avx2,fma"), noinline))
static void forward_sums_avx2(const float *const sources[VECTORS], const long *offsets, const float *weight,
                              long depth, float *sums) {
    if (depth <= 0) {
        memset(sums, 0, sizeof(float) * AVX2_ROWS * VECTORS * AVX2_LANES);
        return;
    }
    __m256 acc[AVX2_ROWS][VECTORS];
    for (int r = 0; r < AVX2_ROWS; r++)
        for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm256_setzero_ps();
    const float *source0 = sources[0], *source1 = sources[1], *source2 = sources[2];
    for (long k = 0; k < depth; k++, weight += ROWS) {
        long offset = offsets[k];
        __m256 in0 = _mm256_loadu_ps(source0 + offset);
        __m256 in1 = _mm256_loadu_ps(source1 + offset);
        __m256 in2 = _mm256_loadu_ps(source2 + offset);
        for (int r = 0; r < AVX2_ROWS; r++) {
            __m256 broadcast = _mm256_broadcast_ss(weight + r);
            acc[r][0] = _mm256_fmadd_ps(broadcast, in0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(broadcast, in1, acc[r][1]);
            acc[r][2] = _mm256_fmadd_ps(broadcast, in2, acc[r][2]);
        }
    }
    for (int r = 0; r < AVX2_ROWS; r++)
        for (int v = 0; v < VECTORS; v++) _mm256_storeu_ps(sums + (r * VECTORS + v) * AVX2_LANES, acc[r][v]);
}

/* forward_block_avx512 with 8-lane vectors, as two halves of AVX2_ROWS rows: half h broadcasts
   weight[h * AVX2_ROWS + r] from the same packed (K, ROWS) block. */
__attribute__((target("avx2,fma")))
static void forward_block_avx2(const float *const sources[VECTORS], const long *offsets, const float *weight,
                               float *output, long depth, long pixels, const vector_t vectors[VECTORS], long rows) {
    for (long half = 0; half * AVX2_ROWS < rows; half++) {
        float sums[AVX2_ROWS * VECTORS * AVX2_LANES];
        forward_sums_avx2(sources, offsets, weight + half * AVX2_ROWS, depth, sums);
        for (int r = 0; r < AVX2_ROWS && half * AVX2_ROWS + r < rows; r++)
            for (int v = 0; v < VECTORS; v++)
                store_vector_avx2(output + (half * AVX2_ROWS + r) * pixels, &vectors[v],
                                  _mm256_loadu_ps(sums + (r * VECTORS + v) * AVX2_LANES));
    }
}

/* weight_tile_avx512 for a tile of 16 channels from o x 6 entries from k. */
__attribute__((target("avx2,fma")))
static void weight_tile_avx2(const weight_job_t *job, long o, long k, long first, long last) {
    const shape_t *s = job->s;
    long channels = job->padded_channels, image = s->channels * s->height * s->width;
    long height = s->output_height, width = s->output_width, pixels = height * width;
    /* Nothing to add; and with every loop below known to run, GCC keeps the sums in registers
       (see forward_sums_avx2). */
    if (height <= 0 || width <= 0 || first >= last) return;
    long entries[AVX2_ENTRIES];
    tile_entries(job, k, AVX2_ENTRIES, entries);
    __m256 acc[AVX2_GRAD_VECTORS][AVX2_ENTRIES];
    for (int v = 0; v < AVX2_GRAD_VECTORS; v++)
        for (int e = 0; e < AVX2_ENTRIES; e++) acc[v][e] = _mm256_setzero_ps();
    for (long n = first; n < last; n++) {
        const float *g = job->grad + n * pixels * channels + o;
        const float *x = job->input + n * image;
        for (long row = 0; row < height; row++, x += s->width)
            for (long column = 0; column < width; column++, g += channels) {
                __m256 grad0 = _mm256_loadu_ps(g), grad1 = _mm256_loadu_ps(g + AVX2_LANES);
                for (int e = 0; e < AVX2_ENTRIES; e++) {
                    __m256 in = _mm256_broadcast_ss(x + entries[e] + column);
                    acc[0][e] = _mm256_fmadd_ps(grad0, in, acc[0][e]);
                    acc[1][e] = _mm256_fmadd_ps(grad1, in, acc[1][e]);
                }
            }
    }
    for (int e = 0; e < AVX2_ENTRIES; e++)
        if (k + e < s->depth)
            for (int v = 0; v < AVX2_GRAD_VECTORS; v++) {
                float *out = job->grad_weight + (k + e) * channels + o + v * AVX2_LANES;
                _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), acc[v][e]));
            }
}

/* ---- the instruction set ---- */

enum { NO_KERNELS = 0, AVX2 = 1, AVX512 = 2 };

/* What one instruction set's kernels are: the forward's vector width and functions, and the
   weight-gradient tile (channels x entries) and function. */
typedef struct {
    int lanes;
    void (*pack)(float *packed, const float *input, const long *offsets, long depth, const vector_t vectors[VECTORS]);
    void (*forward_block)(const float *const sources[VECTORS], const long *offsets, const float *weight,
                          float *output, long depth, long pixels, const vector_t vectors[VECTORS], long rows);
    long gradient_channels, gradient_entries;
    void (*weight_tile)(const weight_job_t *job, long o, long k, long first, long last);
} kernels_t;

static const kernels_t KERNELS[] = {
    [AVX2] = {AVX2_LANES, pack_avx2, forward_block_avx2,
              AVX2_LANES * AVX2_GRAD_VECTORS, AVX2_ENTRIES, weight_tile_avx2},
    [AVX512] = {AVX512_LANES, pack_avx512, forward_block_avx512,
                AVX512_LANES * AVX512_GRAD_VECTORS, AVX512_ENTRIES, weight_tile_avx512},
};

/* The best instruction set this CPU runs kernels with: AVX512, AVX2 (with FMA), or NO_KERNELS. */
int supported_instruction_set(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("fma")) return NO_KERNELS;
    if (__builtin_cpu_supports("avx512f")) return AVX512;
    return __builtin_cpu_supports("avx2") ? AVX2 : NO_KERNELS;
}

static int forced_instruction_set = NO_KERNELS;

/* Makes the kernels use `set` (AVX2 or AVX512; NO_KERNELS: the best supported one). Returns 0, or
   -1 (and changes nothing) where the CPU does not support it. */
int set_instruction_set(int set) {
    if (set < NO_KERNELS || set > supported_instruction_set()) return -1;
    forced_instruction_set = set;
    return 0;
}

/* The instruction set the kernels use; they must not be called where it is NO_KERNELS. */
int instruction_set(void) {
    return forced_instruction_set != NO_KERNELS ? forced_instruction_set : supported_instruction_set();
}

/* ---- forward ---- */

typedef struct {
    const float *input, *packed_weight;
    const long *offsets;
    float *output;
    const shape_t *s;
    const kernels_t *kernels;
    int failed;
} forward_job_t;

/* Tiles [first, last) of the forward product (one thread's share). */
static void forward_tiles(long first, long last, void *context) {
    forward_job_t *job = context;
    const shape_t *s = job->s;
    const kernels_t *kernels = job->kernels;
    long tile_size = kernels->lanes * VECTORS;
    long pixels = s->output_height * s->output_width;
    long blocks = (s->out_channels + ROWS - 1) / ROWS;
    /* aligned_alloc takes whole multiples of the alignment. */
    size_t packed_bytes = (sizeof(float) * tile_size * s->depth + 63) / 64 * 64;
    float *packed = aligned_alloc(64, packed_bytes);
    long *packed_offsets = malloc(sizeof(long) * s->depth);
    if (!packed || !packed_offsets) {
        free(packed);
        free(packed_offsets);
        job->failed = 1;
        return;
    }
    for (long k = 0; k < s->depth; k++) packed_offsets[k] = k * tile_size;
    for (long tile = first; tile < last; tile++) {
        long q = tile * tile_size;
        vector_t vectors[VECTORS];
        int split = 0;
        for (int v = 0; v < VECTORS; v++) {
            describe_vector(s, q + v * kernels->lanes, kernels->lanes, &vectors[v]);
            /* A vector that is not one full run (it crosses a row, or ends the batch) is copied with
               masked loads: a plain load would read past the row's or the array's end. */
            split |= !whole_vector(&vectors[v], kernels->lanes);
        }
        const float *sources[VECTORS];
        const long *source_offsets = job->offsets;
        if (split) {
            kernels->pack(packed, job->input, job->offsets, s->depth, vectors);
            for (int v = 0; v < VECTORS; v++) sources[v] = packed + v * kernels->lanes;
            source_offsets = packed_offsets;
        } else {
            for (int v = 0; v < VECTORS; v++) sources[v] = job->input + vectors[v].input[0];
        }
        for (long b = 0; b < blocks; b++) {
            long rows = s->out_channels - b * ROWS < ROWS ? s->out_channels - b * ROWS : ROWS;
            kernels->forward_block(sources, source_offsets, job->packed_weight + b * s->depth * ROWS,
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
    forward_job_t job = {input, packed_weight, offsets, output, s, &KERNELS[instruction_set()], 0};
    long tile_size = job.kernels->lanes * VECTORS;
    long tiles = (s->batch * s->output_height * s->output_width + tile_size - 1) / tile_size;
    parallel_for(tiles, threads, forward_tiles, &job);
    return job.failed ? -1 : 0;
}

/* ---- weight gradient ---- */

typedef struct {
    const weight_job_t *job;
    const kernels_t *kernels;
} weight_range_t;

/* Tiles [first, last) of the weight gradient, numbered over (channels, entries of k) of the
   instruction set's tile, chunk by chunk of images. */
static void weight_tiles(long first_tile, long last_tile, void *context) {
    const weight_range_t *range = context;
    const weight_job_t *job = range->job;
    const kernels_t *kernels = range->kernels;
    long entry_blocks = (job->s->depth + kernels->gradient_entries - 1) / kernels->gradient_entries;
    for (long first = 0; first < job->s->batch; first += job->images_per_chunk) {
        long last = first + job->images_per_chunk < job->s->batch ? first + job->images_per_chunk : job->s->batch;
        for (long tile = first_tile; tile < last_tile; tile++)
            kernels->weight_tile(job, tile / entry_blocks * kernels->gradient_channels,
                                 tile % entry_blocks * kernels->gradient_entries, first, last);
    }
}

/* grad_weight (K, O') = sum over images n and output pixels (oh, ow) of
   grad[n, oh, ow, o] * input[n, offsets[k] + oh * Wp + ow], with the gradient channels-last and its
   channels zero-padded to O', a multiple of 32. */
void convolution_weight_float32(const float *input, const float *grad, const long *offsets,
                                float *grad_weight, const shape_t *s, long padded_channels,
                                long images_per_chunk, long threads) {
    weight_job_t job = {input, grad, offsets, grad_weight, s, padded_channels, images_per_chunk};
    weight_range_t range = {&job, &KERNELS[instruction_set()]};
    for (long i = 0; i < padded_channels * s->depth; i++) grad_weight[i] = 0;
    long tiles = padded_channels / range.kernels->gradient_channels
                 * ((s->depth + range.kernels->gradient_entries - 1) / range.kernels->gradient_entries);
    parallel_for(tiles, threads, weight_tiles, &range);
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
