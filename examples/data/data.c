// data: read-only tables, strings and zero-initialised global buffers.
//
// What a native module may hold besides code:
// * const data ("rodata"): tables, strings, and const tables of pointers to
//   strings, functions or global variables -- the linker relocates them;
// * zero-initialised global variables ("BSS"), allocated when the module is
//   loaded.
// Portable style: MicroPython's own linker (mpy_ld.py) rejects initialised
// writable data (`int x = 5;` outside a function) and static (file-local)
// zero-initialised variables.  natmod-tool links both (see docs/linker.md,
// "Writable data"), but this example sticks to what every natmod linker and
// port accepts: the buffers below are declared without `static`, with a prefix.
#include "py/dynruntime.h"

// ---- read-only data -------------------------------------------------------

static const uint16_t data_primes[] = {
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53,
};

// A string literal and its length (no strlen needed: the firmware has none).
#define STR_AND_LEN(s) s, sizeof(s) - 1

typedef struct {
    const char *name;   // pointer to a string in rodata
    size_t name_len;
    uint8_t rgb[3];
} colour_t;

static const colour_t data_colours[] = {
    {STR_AND_LEN("black"), {0, 0, 0}},
    {STR_AND_LEN("red"), {255, 0, 0}},
    {STR_AND_LEN("orange"), {255, 165, 0}},
    {STR_AND_LEN("teal"), {0, 128, 128}},
};

// ---- zero-initialised globals (BSS); not static, see above ----------------

#define DATA_BUCKETS (8)
uint32_t data_histogram[DATA_BUCKETS];
uint32_t data_n_even;
uint32_t data_n_odd;

// A const table whose entries point into BSS.
typedef struct {
    const char *label;
    size_t label_len;
    uint32_t *counter;
} counter_t;

static const counter_t data_counters[] = {
    {STR_AND_LEN("even"), &data_n_even},
    {STR_AND_LEN("odd"), &data_n_odd},
};

// ---- helpers --------------------------------------------------------------

static bool data_streq(const char *a, size_t a_len, const char *b, size_t b_len) {
    if (a_len != b_len) {
        return false;
    }
    for (size_t i = 0; i < a_len; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

// ---- Python functions -----------------------------------------------------

// prime(i) -> the i-th prime from the table (0-based)
static mp_obj_t prime(mp_obj_t i_in) {
    mp_int_t i = mp_obj_get_int(i_in);
    if (i < 0 || i >= (mp_int_t)MP_ARRAY_SIZE(data_primes)) {
        mp_raise_ValueError(MP_ERROR_TEXT("index out of range"));
    }
    return mp_obj_new_int(data_primes[i]);
}
static MP_DEFINE_CONST_FUN_OBJ_1(prime_obj, prime);

// colour(name) -> (r, g, b), or None for an unknown name
static mp_obj_t colour(mp_obj_t name_in) {
    size_t len;
    const char *name = mp_obj_str_get_data(name_in, &len);
    for (size_t i = 0; i < MP_ARRAY_SIZE(data_colours); i++) {
        const colour_t *c = &data_colours[i];
        if (data_streq(name, len, c->name, c->name_len)) {
            mp_obj_t items[3];
            for (size_t k = 0; k < 3; k++) {
                items[k] = mp_obj_new_int(c->rgb[k]);
            }
            return mp_obj_new_tuple(3, items);
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(colour_obj, colour);

// colour_names() -> list of the known colour names
static mp_obj_t colour_names(void) {
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (size_t i = 0; i < MP_ARRAY_SIZE(data_colours); i++) {
        const colour_t *c = &data_colours[i];
        mp_obj_list_append(list, mp_obj_new_str(c->name, c->name_len));
    }
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_0(colour_names_obj, colour_names);

// record(x): count x in its histogram bucket and in the even/odd counters
static mp_obj_t record(mp_obj_t x_in) {
    mp_uint_t x = mp_obj_get_int(x_in);
    data_histogram[x % DATA_BUCKETS] += 1;
    *data_counters[x & 1].counter += 1;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(record_obj, record);

// stats() -> (histogram list, {"even": n, "odd": n})
static mp_obj_t stats(void) {
    mp_obj_t buckets[DATA_BUCKETS];
    for (size_t i = 0; i < DATA_BUCKETS; i++) {
        buckets[i] = mp_obj_new_int_from_uint(data_histogram[i]);
    }
    mp_obj_t counts = mp_obj_new_dict(2);
    for (size_t i = 0; i < MP_ARRAY_SIZE(data_counters); i++) {
        const counter_t *c = &data_counters[i];
        mp_obj_dict_store(counts, mp_obj_new_str(c->label, c->label_len),
            mp_obj_new_int_from_uint(*c->counter));
    }
    mp_obj_t result[2] = {mp_obj_new_list(DATA_BUCKETS, buckets), counts};
    return mp_obj_new_tuple(2, result);
}
static MP_DEFINE_CONST_FUN_OBJ_0(stats_obj, stats);

// reset(): clear every counter (memset is provided by the firmware)
static mp_obj_t reset(void) {
    memset(data_histogram, 0, sizeof(data_histogram));
    data_n_even = 0;
    data_n_odd = 0;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(reset_obj, reset);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_prime, MP_OBJ_FROM_PTR(&prime_obj));
    mp_store_global(MP_QSTR_colour, MP_OBJ_FROM_PTR(&colour_obj));
    mp_store_global(MP_QSTR_colour_names, MP_OBJ_FROM_PTR(&colour_names_obj));
    mp_store_global(MP_QSTR_record, MP_OBJ_FROM_PTR(&record_obj));
    mp_store_global(MP_QSTR_stats, MP_OBJ_FROM_PTR(&stats_obj));
    mp_store_global(MP_QSTR_reset, MP_OBJ_FROM_PTR(&reset_obj));
    mp_store_global(MP_QSTR_N_PRIMES, mp_obj_new_int(MP_ARRAY_SIZE(data_primes)));

    MP_DYNRUNTIME_INIT_EXIT
}
