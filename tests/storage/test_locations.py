"""Storage locations from STORAGE_* variables, as Directus names them."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from tessera.config import ConfigError, load_settings
from tessera.storage import LocalDriver, StorageLocations, UnknownLocation, storage_locations
from tessera.storage.s3 import S3Driver

pytestmark = pytest.mark.database_free


@pytest.fixture(autouse=True)
def no_storage_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No STORAGE_* variable from the outside, and a working folder without a .env file."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("STORAGE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def locations_from(monkeypatch: pytest.MonkeyPatch, **variables: str) -> StorageLocations:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return storage_locations(load_settings(env_file=None))


def test_out_of_the_box_one_local_location_on_uploads() -> None:
    locations = storage_locations(load_settings(env_file=None))

    assert list(locations) == ["local"]
    assert locations.default_name == "local"
    assert isinstance(locations.default, LocalDriver)
    assert locations.default.root == Path("uploads")


def test_locations_and_their_drivers_from_the_environment(monkeypatch) -> None:
    locations = locations_from(
        monkeypatch,
        STORAGE_LOCATIONS="s3, local ,archive",
        STORAGE_S3_DRIVER="s3",
        STORAGE_S3_KEY="AKIA-TEST",
        STORAGE_S3_SECRET="secret-value",
        STORAGE_S3_BUCKET="tessera-files",
        STORAGE_S3_REGION="eu-central-1",
        STORAGE_S3_ENDPOINT="https://s3.eu-central-1.amazonaws.com",
        STORAGE_S3_FORCE_PATH_STYLE="true",
        STORAGE_S3_ROOT="project",
        STORAGE_S3_ACL="private",
        STORAGE_S3_SERVER_SIDE_ENCRYPTION="AES256",
        STORAGE_LOCAL_ROOT="/srv/files",
        STORAGE_ARCHIVE_DRIVER="local",
        STORAGE_ARCHIVE_ROOT="./archive",
    )

    assert list(locations) == ["s3", "local", "archive"]
    assert locations.default_name == "s3"
    s3 = locations["s3"]
    assert isinstance(s3, S3Driver)
    assert s3.options.model_dump() == {
        "bucket": "tessera-files",
        "key": "AKIA-TEST",
        "secret": "secret-value",
        "region": "eu-central-1",
        "endpoint": "https://s3.eu-central-1.amazonaws.com",
        "force_path_style": True,
        "root": "project",
        "acl": "private",
        "server_side_encryption": "AES256",
    }
    assert locations["local"].root == Path("/srv/files")
    assert locations["archive"].root == Path("archive")


def test_the_env_file_is_read_and_the_environment_wins(monkeypatch, tmp_path: Path) -> None:
    env_file = tmp_path / "storage.env"
    env_file.write_text(
        "STORAGE_LOCATIONS=files\nSTORAGE_FILES_DRIVER=local\nSTORAGE_FILES_ROOT=/from/file\n"
    )
    monkeypatch.setenv("STORAGE_FILES_ROOT", "/from/environment")

    locations = storage_locations(load_settings(env_file=env_file))

    assert list(locations) == ["files"]
    assert locations["files"].root == Path("/from/environment")


def test_a_variable_belongs_to_the_longest_location_name(monkeypatch, caplog) -> None:
    caplog.set_level(logging.WARNING, "tessera.storage")
    locations = locations_from(
        monkeypatch,
        STORAGE_LOCATIONS="files,files_old",
        STORAGE_FILES_DRIVER="local",
        STORAGE_FILES_ROOT="/new",
        STORAGE_FILES_OLD_DRIVER="local",
        STORAGE_FILES_OLD_ROOT="/old",
    )

    assert locations["files"].root == Path("/new")
    assert locations["files_old"].root == Path("/old")
    assert caplog.records == []


def test_an_option_tessera_does_not_use_is_logged(monkeypatch, caplog) -> None:
    caplog.set_level(logging.WARNING, "tessera.storage")
    locations_from(monkeypatch, STORAGE_LOCAL_HEALTHCHECK_THRESHOLD="750")

    assert "STORAGE_LOCAL_HEALTHCHECK_THRESHOLD is not used" in caplog.text


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"STORAGE_LOCATIONS": "local,files"},
            "STORAGE_FILES_DRIVER must be one of 'local', 's3' (got None)",
        ),
        (
            {"STORAGE_LOCAL_DRIVER": "gcs"},
            "STORAGE_LOCAL_DRIVER must be one of 'local', 's3' (got 'gcs')",
        ),
        (
            {"STORAGE_LOCATIONS": "files", "STORAGE_FILES_DRIVER": "local"},
            "STORAGE_FILES_ROOT must be set",
        ),
        ({"STORAGE_LOCAL_DRIVER": "s3"}, "STORAGE_LOCAL_BUCKET must be set"),
        (
            {"STORAGE_LOCAL_DRIVER": "s3", "STORAGE_LOCAL_BUCKET": "b", "STORAGE_LOCAL_ROOT": ""},
            None,
        ),
        (
            {
                "STORAGE_LOCAL_DRIVER": "s3",
                "STORAGE_LOCAL_BUCKET": "b",
                "STORAGE_LOCAL_FORCE_PATH_STYLE": "sometimes",
            },
            "STORAGE_LOCAL_FORCE_PATH_STYLE must be true or false (got 'sometimes')",
        ),
        (
            {
                "STORAGE_LOCAL_DRIVER": "s3",
                "STORAGE_LOCAL_BUCKET": "b",
                "STORAGE_LOCAL_ROOT": "../escape",
            },
            "STORAGE_LOCAL_ROOT storage key '../escape' has an empty, '.' or '..' part",
        ),
    ],
)
def test_a_bad_location_stops_start_up_naming_the_variable(
    monkeypatch, variables: dict[str, str], message: str | None
) -> None:
    if message is None:  # an empty variable counts as unset, as for every other setting
        assert isinstance(locations_from(monkeypatch, **variables)["local"], S3Driver)
        return
    with pytest.raises(ConfigError) as raised:
        locations_from(monkeypatch, **variables)
    assert str(raised.value).startswith(message)


def test_a_key_without_its_secret_is_refused_without_repeating_either(monkeypatch) -> None:
    with pytest.raises(ConfigError, match="KEY and SECRET") as raised:
        locations_from(
            monkeypatch,
            STORAGE_LOCAL_DRIVER="s3",
            STORAGE_LOCAL_BUCKET="b",
            STORAGE_LOCAL_KEY="AKIA-VISIBLE",
        )
    assert "STORAGE_LOCAL_" in str(raised.value)
    assert "AKIA-VISIBLE" not in str(raised.value)


@pytest.mark.parametrize("value", ["local,,s3", "local s3", "local,LOCAL", "../x"])
def test_a_malformed_location_list_is_refused(monkeypatch, value: str) -> None:
    monkeypatch.setenv("STORAGE_LOCATIONS", value)

    with pytest.raises(ConfigError, match=r"^STORAGE_LOCATIONS must be"):
        load_settings(env_file=None)


def test_an_s3_location_without_the_s3_extra_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tessera.storage.s3", None)  # as if aiobotocore were absent

    with pytest.raises(ConfigError, match=r"pip install 'tessera\[s3\]'"):
        locations_from(monkeypatch, STORAGE_LOCAL_DRIVER="s3", STORAGE_LOCAL_BUCKET="b")


@pytest.mark.anyio
async def test_the_registry(monkeypatch, tmp_path: Path) -> None:
    locations = locations_from(monkeypatch, STORAGE_LOCAL_ROOT=str(tmp_path / "files"))

    assert "local" in locations
    assert "elsewhere" not in locations
    assert locations.get("elsewhere") is None
    with pytest.raises(UnknownLocation, match="'elsewhere' is not configured") as raised:
        locations["elsewhere"]
    assert str(raised.value) == "storage location 'elsewhere' is not configured (STORAGE_LOCATIONS)"
    await locations.close()


@pytest.mark.anyio
async def test_an_s3_location_from_the_environment_stores_files(monkeypatch, s3) -> None:
    locations = locations_from(
        monkeypatch,
        STORAGE_LOCATIONS="cloud",
        STORAGE_CLOUD_DRIVER="s3",
        STORAGE_CLOUD_KEY="test",
        STORAGE_CLOUD_SECRET="test",
        STORAGE_CLOUD_BUCKET=s3.bucket,
        STORAGE_CLOUD_ENDPOINT=s3.endpoint,
        STORAGE_CLOUD_FORCE_PATH_STYLE="true",
        STORAGE_CLOUD_ROOT="uploads",
    )

    async def hello():
        yield b"hello"

    try:
        await locations.default.write("hello.txt", hello())
        assert await s3.keys() == ["uploads/hello.txt"]
        assert [chunk async for chunk in locations.default.read("hello.txt")] == [b"hello"]
    finally:
        await locations.close()
