"""Engine commands: create, advance, complete a step, reschedule, import staff.

Each command owns one transaction holding the transfer's lock.
"""
