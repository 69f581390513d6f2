// natmod_cpp.h: include this instead of "py/dynruntime.h" in a C++ native module.
//
// Shipped with natmod-tool (natmod_scons/include/, on every module's include path).
// It adds only what C++ needs on top of MicroPython's C header:
//
// * `mpy_init` declared `extern "C"`, so the module's definition keeps the plain
//   symbol name the linker looks for, with or without `extern "C"` written there;
// * placement `new` (from <new> when the toolchain has it, else declared here) and
//   `natmod_new<T>(args...)` / `natmod_delete(p)`: objects on the MicroPython heap
//   (m_malloc/m_free), constructed and destroyed like `new`/`delete` would.
//
// A native module has no C++ runtime: no exceptions, RTTI, `operator new`, static
// constructors or destructors of globals (the linker rejects `.init_array`), and no
// C++ standard library beyond header-only pieces the toolchain provides.  Classes,
// templates, constexpr, lambdas, namespaces, references and virtual functions work.
#ifndef NATMOD_CPP_H
#define NATMOD_CPP_H

#ifndef __cplusplus
#error "natmod_cpp.h is for C++ sources; C sources include py/dynruntime.h"
#endif

#include "py/dynruntime.h"

extern "C" mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args);

#if defined(__has_include)
#if __has_include(<new>)
#include <new>
#define NATMOD_CPP_HAVE_NEW 1
#endif
#endif
#ifndef NATMOD_CPP_HAVE_NEW
// Bare-metal g++ without libstdc++ headers: the standard placement form, inline.
inline void *operator new(size_t, void *where) noexcept {
    return where;
}
inline void operator delete(void *, void *) noexcept {
}
#endif

// Take an rvalue/lvalue through unchanged (std::forward without <utility>).
template <typename T> struct natmod_remove_ref { typedef T type; };
template <typename T> struct natmod_remove_ref<T &> { typedef T type; };
template <typename T> struct natmod_remove_ref<T &&> { typedef T type; };
template <typename T> constexpr T &&natmod_forward(typename natmod_remove_ref<T>::type &value) noexcept {
    return static_cast<T &&>(value);
}

// `new T(args...)` on the MicroPython heap.  The memory belongs to the garbage
// collector: keep the pointer reachable from a Python object (or a root) while in use.
template <typename T, typename... Args> T *natmod_new(Args &&...args) {
    void *memory = m_malloc(sizeof(T));
    return new (memory) T(natmod_forward<Args>(args)...);
}

// `delete p` for an object made by natmod_new: runs the destructor, frees the memory.
template <typename T> void natmod_delete(T *object) {
    if (object != nullptr) {
        object->~T();
        m_free(object);
    }
}

#endif // NATMOD_CPP_H
