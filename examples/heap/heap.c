// heap: allocating memory on the MicroPython heap from a native module.
//
// Native modules have no malloc(); they allocate from MicroPython's garbage
// collected heap with m_new()/m_renew()/m_free() (py/misc.h on top of
// py/dynruntime.h).  Memory reachable from a live Python object is kept
// alive by the garbage collector; everything else is reclaimed.
#include "py/dynruntime.h"

// squares(n) -> bytearray of n bytes, byte i = (i * i) & 0xff
// The buffer is allocated here and handed over to the bytearray object.
static mp_obj_t squares(mp_obj_t n_in) {
    mp_int_t n = mp_obj_get_int(n_in);
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("negative length"));
    }
    uint8_t *buf = m_new(uint8_t, n);
    for (mp_int_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)(i * i);
    }
    return mp_obj_new_bytearray_by_ref(n, buf);
}
static MP_DEFINE_CONST_FUN_OBJ_1(squares_obj, squares);

// join(sep, parts) -> str: like sep.join(parts), via a temporary heap buffer
static mp_obj_t join(mp_obj_t sep_in, mp_obj_t parts_in) {
    size_t sep_len;
    const char *sep = mp_obj_str_get_data(sep_in, &sep_len);
    size_t n;
    mp_obj_t *parts;
    mp_obj_get_array(parts_in, &n, &parts);

    size_t total = n > 1 ? (n - 1) * sep_len : 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        mp_obj_str_get_data(parts[i], &len);
        total += len;
    }

    char *buf = m_new(char, total + 1);
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(p, sep, sep_len);
            p += sep_len;
        }
        size_t len;
        const char *s = mp_obj_str_get_data(parts[i], &len);
        memcpy(p, s, len);
        p += len;
    }
    mp_obj_t result = mp_obj_new_str(buf, total);  // copies the bytes
    m_free(buf);
    return result;
}
static MP_DEFINE_CONST_FUN_OBJ_2(join_obj, join);

// ---- a small class whose instances own a growable heap array ---------------

typedef struct {
    mp_obj_base_t base;
    size_t len;
    size_t alloc;
    mp_int_t *items;
} stack_obj_t;

// The type object must be writable (it is filled in by mpy_init), so it is a
// zero-initialised global: BSS.  Not static, so that the module also links
// with MicroPython's mpy_ld.py, which rejects file-local BSS.
mp_obj_full_type_t heap_stack_type;

static mp_obj_t stack_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 0, false);
    stack_obj_t *self = mp_obj_malloc(stack_obj_t, type);
    self->len = 0;
    self->alloc = 2;
    self->items = m_new(mp_int_t, self->alloc);
    return MP_OBJ_FROM_PTR(self);
}

// Stack.push(x): append, doubling the array when it is full
static mp_obj_t stack_push(mp_obj_t self_in, mp_obj_t x_in) {
    stack_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->len == self->alloc) {
        self->items = m_renew(mp_int_t, self->items, self->alloc, self->alloc * 2);
        self->alloc *= 2;
    }
    self->items[self->len++] = mp_obj_get_int(x_in);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(stack_push_obj, stack_push);

// Stack.pop() -> the last pushed int
static mp_obj_t stack_pop(mp_obj_t self_in) {
    stack_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->len == 0) {
        mp_raise_msg(&mp_type_IndexError, MP_ERROR_TEXT("pop from empty Stack"));
    }
    return mp_obj_new_int(self->items[--self->len]);
}
static MP_DEFINE_CONST_FUN_OBJ_1(stack_pop_obj, stack_pop);

// Stack.capacity() -> number of slots currently allocated
static mp_obj_t stack_capacity(mp_obj_t self_in) {
    stack_obj_t *self = MP_OBJ_TO_PTR(self_in);
    return mp_obj_new_int(self->alloc);
}
static MP_DEFINE_CONST_FUN_OBJ_1(stack_capacity_obj, stack_capacity);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_squares, MP_OBJ_FROM_PTR(&squares_obj));
    mp_store_global(MP_QSTR_join, MP_OBJ_FROM_PTR(&join_obj));

    // Build the Stack type at import time: its methods go in a dict that is
    // itself allocated on the heap.
    heap_stack_type.base.type = (void *)&mp_type_type;
    heap_stack_type.flags = MP_TYPE_FLAG_NONE;
    heap_stack_type.name = MP_QSTR_Stack;
    MP_OBJ_TYPE_SET_SLOT(&heap_stack_type, make_new, stack_make_new, 0);
    mp_obj_t methods = mp_obj_new_dict(3);
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_push), MP_OBJ_FROM_PTR(&stack_push_obj));
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_pop), MP_OBJ_FROM_PTR(&stack_pop_obj));
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_capacity), MP_OBJ_FROM_PTR(&stack_capacity_obj));
    MP_OBJ_TYPE_SET_SLOT(&heap_stack_type, locals_dict, MP_OBJ_TO_PTR(methods), 1);
    mp_store_global(MP_QSTR_Stack, MP_OBJ_FROM_PTR(&heap_stack_type));

    MP_DYNRUNTIME_INIT_EXIT
}
