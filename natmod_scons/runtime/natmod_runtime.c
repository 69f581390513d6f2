// C library support that LINK_RUNTIME=1 links in when the toolchain's libm needs it.
//
// newlib's maths functions report domain errors through errno, which they reach by
// calling __errno() (musl: __errno_location()).  A natmod has no C library, so this
// archive provides one errno word per module.  It is linked as a library: modules that never reach
// __errno do not get it.
int natmod_errno_value;

int *__errno(void) {
    return &natmod_errno_value;
}

int *__errno_location(void) {
    return &natmod_errno_value;
}
