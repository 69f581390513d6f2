// cppclass: C++ in a native module -- a class, a template and a Python type
// whose instances hold a C++ object.
//
// C++ works as long as nothing needs a C++ runtime library, which native
// modules do not have: no exceptions, no RTTI, and no global objects with
// constructors (the linker refuses them).  `new` and `delete` work: natmod_cpp.h
// maps them to the MicroPython heap.  Classes, templates, constexpr, references
// and inline functions cost nothing at run time.
#include "natmod_cpp.h"

namespace {

// A template: the largest element of any array type, computed at compile time
// when the arguments are constants.
template <typename T, size_t N> constexpr T largest(const T (&items)[N]) {
    T best = items[0];
    for (size_t i = 1; i < N; i++) {
        if (items[i] > best) {
            best = items[i];
        }
    }
    return best;
}

constexpr int16_t kTable[] = {3, -7, 42, 19, 0};
static_assert(largest(kTable) == 42, "evaluated by the compiler");

// A template class: a fixed-size ring buffer keeping the last N values.
template <typename T, size_t N> class Ring {
public:
    void push(T value) {
        items_[next_] = value;
        next_ = (next_ + 1) % N;
        if (count_ < N) {
            count_++;
        }
    }
    size_t size() const {
        return count_;
    }
    T sum() const {
        T total = 0;
        for (size_t i = 0; i < count_; i++) {
            total += items_[i];
        }
        return total;
    }
    T peak() const {
        return count_ == N ? largest(items_) : 0;
    }

private:
    T items_[N] = {};
    size_t next_ = 0;
    size_t count_ = 0;
};

// A plain class: a sliding window over the last 4 samples, each scaled.
class Window {
public:
    explicit Window(mp_int_t scale) : scale_(scale) {
    }
    void add(mp_int_t sample) {
        ring_.push(sample * scale_);
    }
    mp_int_t total() const {
        return ring_.sum();
    }
    mp_int_t peak() const {
        return ring_.peak();
    }
    size_t count() const {
        return ring_.size();
    }

private:
    mp_int_t scale_;
    Ring<mp_int_t, 4> ring_;
};

// The Python object: a MicroPython object header plus a pointer to the C++
// object, which lives on the MicroPython heap (operator new), reachable from here.
struct window_obj_t {
    mp_obj_base_t base;
    Window *impl;
};

Window &to_window(mp_obj_t self_in) {
    return *static_cast<window_obj_t *>(MP_OBJ_TO_PTR(self_in))->impl;
}

mp_obj_t window_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 0, 1, false);
    mp_int_t scale = n_args > 0 ? mp_obj_get_int(args[0]) : 1;
    window_obj_t *self = mp_obj_malloc(window_obj_t, type);
    self->impl = new Window(scale);
    return MP_OBJ_FROM_PTR(self);
}

mp_obj_t window_add(mp_obj_t self_in, mp_obj_t sample_in) {
    to_window(self_in).add(mp_obj_get_int(sample_in));
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(window_add_obj, window_add);

mp_obj_t window_total(mp_obj_t self_in) {
    return mp_obj_new_int(to_window(self_in).total());
}
MP_DEFINE_CONST_FUN_OBJ_1(window_total_obj, window_total);

mp_obj_t window_peak(mp_obj_t self_in) {
    return mp_obj_new_int(to_window(self_in).peak());
}
MP_DEFINE_CONST_FUN_OBJ_1(window_peak_obj, window_peak);

mp_obj_t window_count(mp_obj_t self_in) {
    return mp_obj_new_int(to_window(self_in).count());
}
MP_DEFINE_CONST_FUN_OBJ_1(window_count_obj, window_count);

// The same template function, instantiated for two element types.
mp_obj_t table_max(void) {
    return mp_obj_new_int(largest(kTable));
}
MP_DEFINE_CONST_FUN_OBJ_0(table_max_obj, table_max);

mp_obj_t max_of(mp_obj_t a_in, mp_obj_t b_in) {
    const mp_int_t pair[] = {mp_obj_get_int(a_in), mp_obj_get_int(b_in)};
    return mp_obj_new_int(largest(pair));
}
MP_DEFINE_CONST_FUN_OBJ_2(max_of_obj, max_of);

} // namespace

// Filled in at import time, so writable: a zero-initialised, non-static global.
mp_obj_full_type_t cppclass_window_type;

// natmod_cpp.h declares mpy_init extern "C": its symbol keeps its C name.
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_table_max, MP_OBJ_FROM_PTR(&table_max_obj));
    mp_store_global(MP_QSTR_max_of, MP_OBJ_FROM_PTR(&max_of_obj));

    cppclass_window_type.base.type = &mp_type_type;
    cppclass_window_type.flags = MP_TYPE_FLAG_NONE;
    cppclass_window_type.name = MP_QSTR_Window;
    MP_OBJ_TYPE_SET_SLOT(&cppclass_window_type, make_new, window_make_new, 0);
    mp_obj_t methods = mp_obj_new_dict(4);
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_add), MP_OBJ_FROM_PTR(&window_add_obj));
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_total), MP_OBJ_FROM_PTR(&window_total_obj));
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_peak), MP_OBJ_FROM_PTR(&window_peak_obj));
    mp_obj_dict_store(methods, MP_OBJ_NEW_QSTR(MP_QSTR_count), MP_OBJ_FROM_PTR(&window_count_obj));
    MP_OBJ_TYPE_SET_SLOT(&cppclass_window_type, locals_dict, MP_OBJ_TO_PTR(methods), 1);
    mp_store_global(MP_QSTR_Window, MP_OBJ_FROM_PTR(&cppclass_window_type));

    MP_DYNRUNTIME_INIT_EXIT
}
