"""Sending bundles over the network when a link exists."""
