"""Diagnostics: instruments that watch a run, a doctor that names what went wrong and the fix,
pre-flight checks, a gradient check and an LR finder."""
