"""Workflow definitions: the file schema, the built definitions, the guard vocabulary and the loader.

A definition is data read from ``workflows/``; nothing here touches the database.
"""
