"""Notices the scheduler decides: reminders, escalations and daily digests."""
