"""Forms, records, vocabularies, expressions and validation: pure Python, no I/O."""
