// musl's errno accessor (see errno_word.c); a member of its own, like errno.c.
extern int natmod_errno_value;

int *__errno_location(void) {
    return &natmod_errno_value;
}
