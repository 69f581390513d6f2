"""The linker: ELF objects and archives to a native .mpy (entry point: `driver.link`)."""
