"""Dates: working days in England and Wales, deadline expressions, the clock.

Pure; imports nothing else of the engine.
"""
