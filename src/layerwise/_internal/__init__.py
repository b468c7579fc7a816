"""Private helpers shared by the rings of the package (not for users): display in Jupyter,
atomic file writes, the memory a process may use, the text of ``Sequential.summary()``."""
