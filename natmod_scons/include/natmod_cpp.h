// natmod_cpp.h: include this instead of "py/dynruntime.h" in a C++ native module.
//
// Shipped with natmod-tool (natmod_scons/include/, on every module's include path).
// It adds only what C++ needs on top of MicroPython's C header:
//
// * `mpy_init` declared `extern "C"`, so the module's definition keeps the plain
//   symbol name the linker looks for, with or without `extern "C"` written there;
// * `new`/`delete` on the MicroPython heap (m_malloc/m_free), and placement `new`
//   (from <new> when the toolchain has it, else declared here).
//
// A native module has no C++ runtime: no exceptions, no RTTI, no static constructors
// or destructors of globals (the linker rejects `.init_array`), and no C++ standard
// library beyond header-only pieces the toolchain provides.  Classes,
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

// `new` and `delete` on the MicroPython heap (there is no C library malloc).  They
// are inline, so each module carries only the ones it uses; a class with a virtual
// destructor uses `operator delete` even when the module never calls `delete`.
// Failure raises MemoryError, as m_malloc does.  The memory belongs to the garbage
// collector: keep each object reachable from a Python object (or a global) while in use.
inline void *operator new(size_t size) {
    return m_malloc(size);
}
inline void *operator new[](size_t size) {
    return m_malloc(size);
}
inline void operator delete(void *object) noexcept {
    m_free(object);
}
inline void operator delete[](void *object) noexcept {
    m_free(object);
}
inline void operator delete(void *object, size_t) noexcept {
    m_free(object);
}
inline void operator delete[](void *object, size_t) noexcept {
    m_free(object);
}

#endif // NATMOD_CPP_H
