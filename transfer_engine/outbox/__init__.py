"""The outbox: notices decided once, written down, then delivered one message at a time."""
