// String helpers: plain C on (pointer, length) pairs, plus Python wrappers.
#include "multifile.h"

size_t mf_count_char(const char *s, size_t len, char c) {
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        count += (s[i] == c);
    }
    return count;
}

size_t mf_count_words(const char *s, size_t len) {
    size_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < len; i++) {
        bool space = s[i] == ' ' || s[i] == '\t' || s[i] == '\n';
        if (!space && !in_word) {
            words++;
        }
        in_word = !space;
    }
    return words;
}

// words(s) -> number of whitespace-separated words in s
static mp_obj_t words(mp_obj_t s_in) {
    size_t len;
    const char *s = mp_obj_str_get_data(s_in, &len);
    return mp_obj_new_int(mf_count_words(s, len));
}
MP_DEFINE_CONST_FUN_OBJ_1(mf_words_obj, words);

// count(s, ch) -> how often the one-character string ch occurs in s
static mp_obj_t count(mp_obj_t s_in, mp_obj_t ch_in) {
    size_t len, ch_len;
    const char *s = mp_obj_str_get_data(s_in, &len);
    const char *ch = mp_obj_str_get_data(ch_in, &ch_len);
    if (ch_len != 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("expected a single character"));
    }
    return mp_obj_new_int(mf_count_char(s, len, ch[0]));
}
MP_DEFINE_CONST_FUN_OBJ_2(mf_count_obj, count);
