// natmod-tool test runtime: importing modules and reading scripts from host folders.
//
// The importer asks mp_import_stat whether a path is a folder (package) or a file
// (.py/.mpy), then reads it with mp_reader_new_file: a reader with a small buffer (one
// host read per buffer, not per byte; the file itself never sits whole in the heap,
// which matters on the 16 KiB board where a natmod's code alone can take a third).
#include "py/builtin.h"
#include "py/mperrno.h"
#include "py/reader.h"
#include "py/runtime.h"

#include "natmod_rt.h"

#if NATMOD_RT_SMALL
#define NATMOD_RT_READ_BUF 64
#else
#define NATMOD_RT_READ_BUF 1024
#endif

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

// A buffered reader over a host file handle.
typedef struct {
    intptr_t handle;
    uint16_t pos;
    uint16_t len;
    byte buf[NATMOD_RT_READ_BUF];
} file_reader_t;

static mp_uint_t file_readbyte(void *data) {
    file_reader_t *file = data;
    if (file->pos == file->len) {
        if (file->handle < 0) {
            return MP_READER_EOF;
        }
        long got = natmod_rt_read(file->handle, file->buf, sizeof(file->buf));
        if (got <= 0) {
            // end of file (or a read error: the lexer or loader then reports a truncated file)
            natmod_rt_close(file->handle);
            file->handle = -1;
            return MP_READER_EOF;
        }
        file->pos = 0;
        file->len = (uint16_t)got;
    }
    return file->buf[file->pos++];
}

static void file_close(void *data) {
    file_reader_t *file = data;
    if (file->handle >= 0) {
        natmod_rt_close(file->handle);
    }
    m_del_obj(file_reader_t, file);
}

void mp_reader_new_file(mp_reader_t *reader, qstr filename) {
    file_reader_t *file = m_new_obj(file_reader_t);
    file->handle = natmod_rt_open(qstr_str(filename));
    if (file->handle < 0) {
        m_del_obj(file_reader_t, file);
        mp_raise_OSError(MP_ENOENT);
    }
    file->pos = 0;
    file->len = 0;
    reader->data = file;
    reader->readbyte = file_readbyte;
    reader->close = file_close;
}
