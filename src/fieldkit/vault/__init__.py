"""The encrypted local store: key file, SQLCipher engine, tables, audit log, attachments."""
