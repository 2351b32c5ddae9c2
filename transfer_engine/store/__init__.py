"""Storage: the tables (split by concern), the database engine and sessions, migrations, and the
lookups every layer above needs (a transfer, its steps and key dates, an audit entry).
"""
