import sqlalchemy as sa


def test_db_fixture_is_migrated(db):
    with db.read() as conn:
        assert sa.inspect(conn).has_table("directus_settings")
