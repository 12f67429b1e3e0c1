"""The relayer tests' API fixtures (a relayer on a fake chain, SQLite and PostgreSQL), for the
SDK client's tests against a served relayer."""

from tests.relayer.conftest import app_ctx, db_url, domain, fake_chain, make_ctx  # noqa: F401
