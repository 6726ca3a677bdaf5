"""The knowledge base: article files, their storage, text normalisation and matching."""
