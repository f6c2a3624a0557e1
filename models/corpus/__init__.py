"""Paired speech/singing corpora: the manifest format, the synthetic builder, the NUS-48E loader."""
