// natmod-tool test runtime: importing modules and reading scripts from host folders.
//
// The importer asks mp_import_stat whether a path is a folder (package) or a file
// (.py/.mpy), then reads it with mp_reader_new_file.  Files are read whole into the GC
// heap and handed to MicroPython's memory reader: .mpy and .py files are small and a
// semihosting read per lexer byte would be slow.
#include "py/builtin.h"
#include "py/mperrno.h"
#include "py/reader.h"
#include "py/runtime.h"

#include "natmod_rt.h"

mp_import_stat_t mp_import_stat(const char *path) {
    switch (natmod_rt_path_kind(path)) {
        case 1:
            return MP_IMPORT_STAT_FILE;
        case 2:
            return MP_IMPORT_STAT_DIR;
        default:
            return MP_IMPORT_STAT_NO_EXIST;
    }
}

void mp_reader_new_file(mp_reader_t *reader, qstr filename) {
    const char *path = qstr_str(filename);
    intptr_t handle = natmod_rt_open(path);
    if (handle < 0) {
        mp_raise_OSError(MP_ENOENT);
    }
    long len = natmod_rt_length(handle);
    if (len < 0) {
        natmod_rt_close(handle);
        mp_raise_OSError(MP_EIO);
    }
    byte *buf = m_new_maybe(byte, len > 0 ? (size_t)len : 1);
    if (buf == NULL) {
        natmod_rt_close(handle);
        mp_raise_msg_varg(&mp_type_MemoryError, MP_ERROR_TEXT("no heap for %s (%d bytes)"), path, (int)len);
    }
    long done = 0;
    while (done < len) {
        long got = natmod_rt_read(handle, buf + done, (size_t)(len - done));
        if (got <= 0) {
            natmod_rt_close(handle);
            m_del(byte, buf, len > 0 ? (size_t)len : 1);
            mp_raise_OSError(MP_EIO);
        }
        done += got;
    }
    natmod_rt_close(handle);
    mp_reader_new_mem(reader, buf, (size_t)len, (size_t)(len > 0 ? len : 1));
}
