"""Workflow definitions: the file schema, built definitions, the guard vocabulary, the loader.

A definition is data read from ``workflows/``; nothing here touches the database.
"""
