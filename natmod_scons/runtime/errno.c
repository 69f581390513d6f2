// newlib's errno accessor (see errno_word.c); a member of its own so a module's own
// __errno wins without a duplicate definition.
extern int natmod_errno_value;

int *__errno(void) {
    return &natmod_errno_value;
}
