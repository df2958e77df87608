"""Signed, encrypted bundles and receipts: the format that carries sealed records to HQ."""
