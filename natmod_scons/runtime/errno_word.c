// The errno word of the C-library support archive that LINK_RUNTIME=1 links in.
//
// newlib's maths functions report domain errors through errno, which they reach by
// calling __errno() (musl: __errno_location()).  A natmod has no C library, so the
// support archive provides one errno word per module.  Each symbol is its own archive
// member: a module that defines __errno itself (to map errno onto its own errors) still
// gets __errno_location from here if its libm wants it, and never a second __errno.
int natmod_errno_value;
