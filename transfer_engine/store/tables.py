"""Every table of the schema, imported together so that SQLModel's metadata knows them all.

The tables are split by concern (organisations, transfers, people, messages, accounts, the
letter register, workflow versions); the database module and the migrations import this one
module to see them.
"""

from transfer_engine.store import (  # noqa: F401  (imported for their tables)
    accounts,
    issue_jobs,
    liability,
    messages,
    organisations,
    people,
    register,
    representations,
    transfers,
    workflows,
)
