// natmod-tool test runtime: run one script with natmod folders on sys.path.
//
// argv: [program, SCRIPT, IMPORT_DIR...].  sys.path = [IMPORT_DIR..., dir of SCRIPT],
// sys.argv = [SCRIPT].  The exit status is 0 when the script ends normally, the
// SystemExit code when it calls sys.exit(), 1 after an uncaught exception (whose
// traceback is printed to the output, as MicroPython prints it).
#include <string.h>

#include "py/compile.h"
#include "py/cstack.h"
#include "py/gc.h"
#include "py/mperrno.h"
#include "py/runtime.h"
#include "shared/runtime/gchelper.h"

#include "natmod_rt.h"

static void set_sys_path(int argc, char **argv) {
    mp_sys_path = mp_obj_new_list(0, NULL);
    for (int i = 2; i < argc; i++) {
        mp_obj_list_append(mp_sys_path, mp_obj_new_str(argv[i], strlen(argv[i])));
    }
    const char *script = argv[1];
    const char *slash = strrchr(script, '/');
    size_t dir_len = slash == NULL ? 0 : (size_t)(slash - script);
    mp_obj_list_append(mp_sys_path, mp_obj_new_str(script, dir_len));
    mp_obj_list_init(MP_OBJ_TO_PTR(mp_sys_argv), 0);
    mp_obj_list_append(mp_sys_argv, mp_obj_new_str(script, strlen(script)));
}

// The exit status for an exception that ended the script.
static int status_of(mp_obj_t exc) {
    const mp_obj_type_t *type = mp_obj_get_type(exc);
    if (mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(type), MP_OBJ_FROM_PTR(&mp_type_SystemExit))) {
        mp_obj_t code = mp_obj_exception_get_value(exc);
        if (code == mp_const_none) {
            return 0;
        }
        mp_int_t value;
        if (mp_obj_get_int_maybe(code, &value)) {
            return (int)(value & 255);
        }
        mp_obj_print_helper(&mp_plat_print, code, PRINT_STR);
        mp_print_str(&mp_plat_print, "\n");
        return 1;
    }
    mp_obj_print_exception(&mp_plat_print, exc);
    return 1;
}

static int run_script(const char *path) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        qstr name = qstr_from_str(path);
        if (natmod_rt_path_kind(path) != 1) {
            mp_raise_msg_varg(&mp_type_OSError, MP_ERROR_TEXT("cannot open script %s"), path);
        }
        mp_lexer_t *lex = mp_lexer_new_from_file(name);
        mp_store_global(MP_QSTR___file__, MP_OBJ_NEW_QSTR(name));
        mp_parse_tree_t tree = mp_parse(lex, MP_PARSE_FILE_INPUT);
        mp_obj_t module_fun = mp_compile(&tree, name, false);
        mp_call_function_0(module_fun);
        nlr_pop();
        return 0;
    }
    return status_of(MP_OBJ_FROM_PTR(nlr.ret_val));
}

int natmod_rt_main(int argc, char **argv, void *heap, size_t heap_size, size_t stack_size) {
    if (argc < 2) {
        static const char usage[] = "usage: natmod-testrt SCRIPT [IMPORT_DIR...]\n";
        natmod_rt_stdout(usage, sizeof(usage) - 1);
        return 2;
    }
    mp_cstack_init_with_sp_here(stack_size);
    gc_init(heap, (char *)heap + heap_size);
    mp_init();
    set_sys_path(argc, argv);
    int status = run_script(argv[1]);
    gc_sweep_all();
    mp_deinit();
    natmod_rt_flush();
    return status;
}

void gc_collect(void) {
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

void nlr_jump_fail(void *val) {
    (void)val;
    natmod_rt_fatal("uncaught non-local return (nlr_jump_fail)");
}

char *natmod_rt_append_hex(char *out, uintptr_t value) {
    *out++ = '0';
    *out++ = 'x';
    for (int shift = (int)(sizeof(value) * 8) - 4; shift >= 0; shift -= 4) {
        *out++ = "0123456789abcdef"[(value >> shift) & 15];
    }
    *out = '\0';
    return out;
}
