"""In-process tests per module: no helm, no network, seconds for the whole folder."""
