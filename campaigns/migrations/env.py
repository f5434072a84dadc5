"""Alembic environment for the campaign database.

``campaigns.db.upgrade`` passes an open connection in ``config.attributes``; running
``alembic`` by hand needs ``-x url=...``.
"""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import campaigns.models  # noqa: F401  (registers the tables)

config = context.config
OUR_TABLES = {
    "campaign", "lead_list", "lead", "agent", "campaign_agent", "call_attempt",
    "agent_state_change", "disposition", "callback",
}


def _include(obj, name, type_, reflected, compare_to):
    return type_ != "table" or name in OUR_TABLES


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        include_object=_include,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    with create_engine(url).begin() as fresh:
        _run(fresh)
