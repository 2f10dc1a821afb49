/* Backpropagation in C99, checked by backprop-conformance over its wire protocol (docs/WIRE.md).
 *
 * Build:  cc -O2 -std=c99 -o backprop backprop.c -lm
 * Check:  backprop-conformance --impl-cmd ./backprop --conventions conventions.json
 *
 * Conventions (the suite's own, declared in conventions.json): layers l = 1..L, W^l is (n_l, n_{l-1}),
 * b^l is (n_l,), samples are the columns of X (n_0, N) and Y (n_L, N), float64, sigmoid units, and the
 * loss C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2.  The equations, in the documents' notation:
 *
 *   z^l = W^l a^{l-1} + b^l,  a^l = sigma(z^l),  a^0 = x
 *   BP1  delta^L = (a^L - y) * sigma'(z^L)
 *   BP2  delta^l = ((W^{l+1})^T delta^{l+1}) * sigma'(z^l)
 *   BP3  dC/db^l = delta^l                      averaged over the batch
 *   BP4  dC/dW^l = delta^l (a^{l-1})^T          averaged over the batch
 *
 * The protocol: frames on stdin and stdout, each a 16-byte prefix ("BPW1", uint32 header length,
 * uint64 payload length, little-endian), a JSON header, then the arrays' bytes.  This program
 * answers "hello", "call" (entry "gradient" or "loss") and "shutdown".  It writes nothing else to
 * stdout (stderr is free).  Little-endian hosts only (x86-64, arm64).
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- a small JSON reader: enough for the protocol's headers ---------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct json {
    jtype type;
    double num;
    char *str;                 /* J_STR: the string */
    char *key;                 /* a member of a J_OBJ: its key */
    struct json *items;        /* J_ARR / J_OBJ: children */
    size_t count;
} json;

static const char *jp;         /* the parser's position */

static void skip_ws(void) { while (*jp && isspace((unsigned char)*jp)) jp++; }

static int parse_value(json *out);

static int parse_string(char **out) {
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (*jp != '"' || !s) { free(s); return 0; }
    jp++;
    while (*jp && *jp != '"') {
        char c = *jp++;
        if (c == '\\') {
            char e = *jp++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            if (e == 'u') { c = '?'; if (strlen(jp) < 4) { free(s); return 0; } jp += 4; }
        }
        if (n + 2 > cap) { cap *= 2; s = realloc(s, cap); if (!s) return 0; }
        s[n++] = c;
    }
    if (*jp != '"') { free(s); return 0; }
    jp++;
    s[n] = 0;
    *out = s;
    return 1;
}

static int parse_list(json *out, char close, int keyed) {
    size_t cap = 4;
    out->items = calloc(cap, sizeof(json));
    out->count = 0;
    jp++;
    skip_ws();
    if (*jp == close) { jp++; return 1; }
    for (;;) {
        char *key = NULL;
        skip_ws();
        if (keyed) {
            if (!parse_string(&key)) return 0;
            skip_ws();
            if (*jp++ != ':') { free(key); return 0; }
        }
        if (out->count == cap) { cap *= 2; out->items = realloc(out->items, cap * sizeof(json)); }
        memset(&out->items[out->count], 0, sizeof(json));
        if (!parse_value(&out->items[out->count])) { free(key); return 0; }
        out->items[out->count].key = key;
        out->count++;
        skip_ws();
        if (*jp == ',') { jp++; continue; }
        if (*jp == close) { jp++; return 1; }
        return 0;
    }
}

static int parse_value(json *out) {
    skip_ws();
    memset(out, 0, sizeof(*out));
    if (*jp == '{') { out->type = J_OBJ; return parse_list(out, '}', 1); }
    if (*jp == '[') { out->type = J_ARR; return parse_list(out, ']', 0); }
    if (*jp == '"') { out->type = J_STR; return parse_string(&out->str); }
    if (!strncmp(jp, "null", 4)) { out->type = J_NULL; jp += 4; return 1; }
    if (!strncmp(jp, "true", 4)) { out->type = J_BOOL; out->num = 1; jp += 4; return 1; }
    if (!strncmp(jp, "false", 5)) { out->type = J_BOOL; jp += 5; return 1; }
    char *end;
    out->type = J_NUM;
    out->num = strtod(jp, &end);
    if (end == jp) return 0;
    jp = end;
    return 1;
}

static void json_free(json *j) {
    for (size_t i = 0; i < j->count; i++) json_free(&j->items[i]);
    free(j->items);
    free(j->str);
    free(j->key);
}

static const json *member(const json *obj, const char *key) {
    if (!obj || obj->type != J_OBJ) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (obj->items[i].key && !strcmp(obj->items[i].key, key)) return &obj->items[i];
    return NULL;
}

/* ---------- frames ---------- */

static int read_exactly(void *buf, size_t n) {
    return n == 0 || fread(buf, 1, n, stdin) == n;
}

static void write_frame(const char *header, const double *const *arrays, const size_t *sizes, size_t n_arrays) {
    uint32_t h = (uint32_t)strlen(header);
    uint64_t p = 0;
    for (size_t i = 0; i < n_arrays; i++) p += sizes[i] * sizeof(double);
    fwrite("BPW1", 1, 4, stdout);
    fwrite(&h, 4, 1, stdout);
    fwrite(&p, 8, 1, stdout);
    fwrite(header, 1, h, stdout);
    for (size_t i = 0; i < n_arrays; i++) fwrite(arrays[i], sizeof(double), sizes[i], stdout);
    fflush(stdout);
}

static void reply_error(double id, const char *category, const char *message) {
    char header[512];
    snprintf(header, sizeof header, "{\"id\":%.17g,\"error\":{\"category\":\"%s\",\"message\":\"%s\"}}",
             id, category, message);
    write_frame(header, NULL, NULL, 0);
}

/* ---------- matrices (row-major) and the arrays of a request ---------- */

typedef struct { size_t rows, cols; double *v; } matrix;   /* a 1-D array of n is (n, 1) */

static double at(const matrix *m, size_t i, size_t j) { return m->v[i * m->cols + j]; }

static int read_arrays(const json *metas, const unsigned char *payload, uint64_t size, matrix *out, size_t n) {
    uint64_t offset = 0;
    for (size_t k = 0; k < n; k++) {
        const json *m = &metas->items[k];
        if (m->type != J_ARR || m->count != 3 || m->items[0].type != J_STR || strcmp(m->items[0].str, "<f8"))
            return 0;
        const json *shape = &m->items[1];
        int fortran = m->items[2].type == J_STR && !strcmp(m->items[2].str, "F");
        if (shape->type != J_ARR || shape->count < 1 || shape->count > 2) return 0;
        size_t rows = (size_t)shape->items[0].num, cols = shape->count == 2 ? (size_t)shape->items[1].num : 1;
        if (offset + (uint64_t)rows * cols * 8 > size) return 0;
        out[k].rows = rows;
        out[k].cols = cols;
        out[k].v = malloc((rows * cols + 1) * sizeof(double));
        const unsigned char *src = payload + offset;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)    /* Fortran order: column after column */
                memcpy(&out[k].v[i * cols + j], src + 8 * (fortran ? j * rows + i : i * cols + j), 8);
        offset += (uint64_t)rows * cols * 8;
    }
    return offset == size;
}

/* ---------- the network ---------- */

static double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

static double sigmoid_prime(double z) {          /* e / (1 + e)^2 with e = exp(-|z|): no overflow */
    double e = exp(-fabs(z));
    return e / ((1.0 + e) * (1.0 + e));
}

/* delta *= sigma'(z), elementwise: the factor BP1 and BP2 share */
static void times_sigma_prime(matrix *delta, const matrix *z, const matrix *a) {
    (void)a;
    for (size_t i = 0; i < delta->rows * delta->cols; i++) delta->v[i] *= sigmoid_prime(z->v[i]);
}

typedef struct { size_t L, N; matrix *W, *b, X, Y, *z, *a; } network;

static matrix new_matrix(size_t rows, size_t cols) {
    matrix m = {rows, cols, calloc(rows * cols + 1, sizeof(double))};
    return m;
}

/* z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l); a[0] is X.  0 when the shapes do not chain. */
static int feedforward(network *net) {
    net->a[0] = net->X;
    for (size_t l = 1; l <= net->L; l++) {
        const matrix *W = &net->W[l], *b = &net->b[l], *prev = &net->a[l - 1];
        if (W->cols != prev->rows || b->rows != W->rows || b->cols != 1) return 0;
        net->z[l] = new_matrix(W->rows, net->N);
        net->a[l] = new_matrix(W->rows, net->N);
        for (size_t i = 0; i < W->rows; i++)
            for (size_t n = 0; n < net->N; n++) {
                double s = at(b, i, 0);
                for (size_t k = 0; k < W->cols; k++) s += at(W, i, k) * at(prev, k, n);
                net->z[l].v[i * net->N + n] = s;
                net->a[l].v[i * net->N + n] = sigmoid(s);
            }
    }
    return net->Y.rows == net->a[net->L].rows && net->Y.cols == net->N;
}

/* BP1-BP4: nabla_W[l] (n_l, n_{l-1}) and nabla_b[l] (n_l,), averaged over the N samples */
static void backprop(network *net, matrix *nabla_W, matrix *nabla_b) {
    size_t L = net->L, N = net->N;
    matrix delta = new_matrix(net->a[L].rows, N);
    for (size_t i = 0; i < delta.rows * N; i++) delta.v[i] = net->a[L].v[i] - net->Y.v[i];
    times_sigma_prime(&delta, &net->z[L], &net->a[L]);                           /* BP1 */
    for (size_t l = L; l >= 1; l--) {
        const matrix *prev = &net->a[l - 1];
        nabla_W[l] = new_matrix(delta.rows, prev->rows);
        nabla_b[l] = new_matrix(delta.rows, 1);
        for (size_t j = 0; j < delta.rows; j++)
            for (size_t n = 0; n < N; n++) {
                double d = delta.v[j * N + n];
                nabla_b[l].v[j] += d / N;                                            /* BP3 */
                for (size_t k = 0; k < prev->rows; k++)
                    nabla_W[l].v[j * prev->rows + k] += d * at(prev, k, n) / N;      /* BP4 */
            }
        if (l == 1) break;
        matrix below = new_matrix(net->W[l].cols, N);
        for (size_t k = 0; k < below.rows; k++)
            for (size_t n = 0; n < N; n++) {
                double s = 0;
                for (size_t j = 0; j < delta.rows; j++) s += at(&net->W[l], j, k) * delta.v[j * N + n];
                below.v[k * N + n] = s;
            }
        times_sigma_prime(&below, &net->z[l - 1], &net->a[l - 1]);                 /* BP2 */
        free(delta.v);
        delta = below;
    }
    free(delta.v);
}

static double half_sse(const network *net) {
    double c = 0;
    for (size_t i = 0; i < net->Y.rows * net->N; i++) {
        double r = net->a[net->L].v[i] - net->Y.v[i];
        c += 0.5 * r * r;
    }
    return c / net->N;
}

/* ---------- requests ---------- */

static void answer_call(double id, const json *header, const unsigned char *payload, uint64_t size) {
    const json *entry = member(header, "entry"), *metas = member(header, "arrays");
    if (!entry || entry->type != J_STR || (strcmp(entry->str, "gradient") && strcmp(entry->str, "loss"))) {
        reply_error(id, "protocol", "this worker answers the entry points gradient and loss");
        return;
    }
    if (!metas || metas->type != J_ARR || metas->count < 4 || metas->count % 2) {
        reply_error(id, "protocol", "expected the arrays W1, b1, ..., WL, bL, X, Y");
        return;
    }
    size_t n = metas->count, L = (n - 2) / 2;
    matrix *in = calloc(n, sizeof(matrix));
    network net = {L, 0, calloc(L + 1, sizeof(matrix)), calloc(L + 1, sizeof(matrix)), {0}, {0},
                   calloc(L + 1, sizeof(matrix)), calloc(L + 1, sizeof(matrix))};
    if (!read_arrays(metas, payload, size, in, n)) {
        reply_error(id, "protocol", "the arrays must be float64 (<f8), 1-D or 2-D, and fill the payload");
    } else {
        for (size_t l = 1; l <= L; l++) { net.W[l] = in[2 * l - 2]; net.b[l] = in[2 * l - 1]; }
        net.X = in[n - 2];
        net.Y = in[n - 1];
        net.N = net.X.cols;
        if (!feedforward(&net)) {
            reply_error(id, "raises", "the shapes of W, b, X and Y do not chain");
        } else if (!strcmp(entry->str, "loss")) {
            char header_out[128];
            snprintf(header_out, sizeof header_out, "{\"id\":%.17g,\"value\":%.17g}", id, half_sse(&net));
            write_frame(header_out, NULL, NULL, 0);
        } else {
            matrix *nW = calloc(L + 1, sizeof(matrix)), *nb = calloc(L + 1, sizeof(matrix));
            backprop(&net, nW, nb);
            size_t cap = 64 + 160 * L;
            char *h = malloc(cap), *p = h;
            const double **arrays = malloc(2 * L * sizeof(double *));
            size_t *sizes = malloc(2 * L * sizeof(size_t));
            p += sprintf(p, "{\"id\":%.17g,\"value\":[", id);
            for (size_t l = 1; l <= L; l++)
                p += sprintf(p, "%s[{\"$array\":%zu},{\"$array\":%zu}]", l > 1 ? "," : "", 2 * l - 2, 2 * l - 1);
            p += sprintf(p, "],\"arrays\":[");
            for (size_t l = 1; l <= L; l++) {
                p += sprintf(p, "%s[\"<f8\",[%zu,%zu],\"C\"],[\"<f8\",[%zu],\"C\"]", l > 1 ? "," : "",
                             nW[l].rows, nW[l].cols, nb[l].rows);
                arrays[2 * l - 2] = nW[l].v; sizes[2 * l - 2] = nW[l].rows * nW[l].cols;
                arrays[2 * l - 1] = nb[l].v; sizes[2 * l - 1] = nb[l].rows;
            }
            sprintf(p, "]}");
            write_frame(h, arrays, sizes, 2 * L);
            for (size_t l = 1; l <= L; l++) { free(nW[l].v); free(nb[l].v); }
            free(nW); free(nb); free(h); free(arrays); free(sizes);
        }
        for (size_t l = 1; l <= L; l++) { free(net.z[l].v); free(net.a[l].v); }
    }
    for (size_t k = 0; k < n; k++) free(in[k].v);
    free(in); free(net.W); free(net.b); free(net.z); free(net.a);
}

int main(void) {
    unsigned char prefix[16];
    while (read_exactly(prefix, 16)) {
        uint32_t h;
        uint64_t p;
        memcpy(&h, prefix + 4, 4);
        memcpy(&p, prefix + 8, 8);
        if (memcmp(prefix, "BPW1", 4)) { fprintf(stderr, "backprop: not a frame\n"); return 3; }
        char *text = malloc((size_t)h + 1);
        unsigned char *payload = malloc((size_t)p + 1);
        if (!text || !payload || !read_exactly(text, h) || !read_exactly(payload, (size_t)p)) return 3;
        text[h] = 0;
        json header;
        jp = text;
        if (!parse_value(&header) || header.type != J_OBJ) { fprintf(stderr, "backprop: bad header\n"); return 3; }
        const json *op = member(&header, "op"), *idv = member(&header, "id");
        double id = idv && idv->type == J_NUM ? idv->num : 0;
        int stop = 0;
        char out[128];
        if (op && op->type == J_STR && !strcmp(op->str, "hello")) {
            snprintf(out, sizeof out, "{\"id\":%.17g,\"protocol\":1,\"worker\":\"backprop.c\"}", id);
            write_frame(out, NULL, NULL, 0);
        } else if (op && op->type == J_STR && !strcmp(op->str, "call")) {
            answer_call(id, &header, payload, p);
        } else if (op && op->type == J_STR && !strcmp(op->str, "shutdown")) {
            snprintf(out, sizeof out, "{\"id\":%.17g}", id);
            write_frame(out, NULL, NULL, 0);
            stop = 1;
        } else {
            reply_error(id, "protocol", "unknown op");
        }
        json_free(&header);
        free(text);
        free(payload);
        if (stop) break;
    }
    return 0;
}
