"""Uploads, replacements and deletions through the files service, on both storage drivers.

Each failing case checks the rule that matters most: nothing half-stored — no row without
its blob, no blob without its row, no temporary key left behind.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

from callers import grant, make_caller
from file_uploads import chunks, failing, jpeg, png
from tessera.db.system_tables import directus_folders, directus_settings
from tessera.errors import (
    ContentTooLargeError,
    ForbiddenError,
    InvalidPayloadError,
    ServiceUnavailableError,
    TesseraError,
)
from tessera.storage import StorageError

pytestmark = pytest.mark.anyio


async def test_an_upload_stores_the_blob_and_a_row_as_directus_does(files):
    data = jpeg(t010f="Canon", t0110="EOS 5D", t0131="GIMP")
    key = await files.service().upload(chunks(data), filename="my-holiday_photo 2024.JPG")

    row = files.row(key)
    assert row["filename_disk"] == f"{key}.JPG"
    assert row["filename_download"] == "my-holiday_photo 2024.JPG"
    assert row["title"] == "My Holiday Photo 2024"
    assert row["type"] == "image/jpeg"
    assert row["storage"] == "local"
    assert row["filesize"] == len(data)
    assert (row["width"], row["height"]) == (40, 30)
    assert row["metadata"] == {"ifd0": {"Make": "Canon", "Model": "EOS 5D"}}
    assert str(row["uploaded_by"]) == files.admin.user
    assert row["uploaded_on"] is not None
    assert await files.stored() == [f"{key}.JPG"]
    assert files.activity() == [("create", key)]


async def test_the_type_is_sniffed_from_the_content_not_the_client(files):
    service = files.service()
    text = await service.upload(
        chunks(b"hello\n"), filename="notes.txt", declared_type="text/plain"
    )
    disguised = await service.upload(
        chunks(b"#!/bin/sh\nrm -rf /\n" * 3), filename="fake.png", declared_type="image/png"
    )
    image = await service.upload(chunks(png()), filename="pic", declared_type="text/plain")

    assert files.row(text)["type"] == "text/plain"
    assert files.row(disguised)["type"] == "application/octet-stream"
    assert files.row(disguised)["filename_disk"] == f"{disguised}.png"
    assert files.row(image)["type"] == "image/png"
    assert files.row(image)["filename_disk"] == f"{image}.png"
    assert (files.row(image)["width"], files.row(image)["height"]) == (5, 7)
    assert files.row(text)["width"] is None
    assert files.row(text)["metadata"] is None


async def test_a_type_outside_the_allow_list_is_refused_before_anything_is_stored(files):
    service = files.service(files_mime_type_allow_list="image/*,application/pdf")
    with pytest.raises(InvalidPayloadError, match='"text/plain" is not allowed'):
        await service.upload(chunks(b"plain text"), filename="a.txt", declared_type="text/plain")
    with pytest.raises(InvalidPayloadError, match='"application/octet-stream" is not allowed'):
        await service.upload(
            chunks(b"not really a png at all"), filename="b.png", declared_type="image/png"
        )
    await files.nothing_left()
    assert await service.upload(chunks(png()), filename="ok.png")


@pytest.mark.parametrize("size", [2 * 1024 * 1024, 11 * 1024 * 1024])
async def test_a_file_over_the_cap_leaves_nothing(files, size):
    """The larger size makes the S3 driver start a multipart upload, which must be aborted."""
    service = files.service(files_max_upload_size="1mb" if size < 5_000_000 else "10mb")
    with pytest.raises(ContentTooLargeError) as raised:
        await service.upload(chunks(os.urandom(size)), filename="big.bin")
    assert raised.value.status == 413
    assert raised.value.message == "Uploaded content is too large."
    await files.nothing_left()
    assert files.activity() == []


async def test_exactly_the_cap_is_allowed(files):
    service = files.service(files_max_upload_size="1kb")
    key = await service.upload(chunks(b"x" * 1024), filename="edge.txt")
    assert files.row(key)["filesize"] == 1024


@pytest.mark.parametrize("after", [0, 6 * 1024 * 1024])
async def test_a_stream_failing_mid_way_leaves_nothing(files, after):
    data = os.urandom(7 * 1024 * 1024)
    with pytest.raises(ConnectionResetError):
        await files.service().upload(failing(data, after), filename="broken.bin")
    await files.nothing_left()


async def test_a_database_error_after_the_blob_is_stored_removes_it(files):
    with pytest.raises(TesseraError) as raised:
        await files.service().upload(
            chunks(png()), {"folder": str(uuid.uuid4())}, filename="orphan.png"
        )
    assert raised.value.code == "INVALID_FOREIGN_KEY"
    await files.nothing_left()


async def test_a_caller_who_may_not_create_files_is_refused_before_storing(files):
    reader = make_caller(files.db, [grant("directus_files", "read")])
    with pytest.raises(ForbiddenError):
        await files.service(reader).upload(chunks(png()), filename="no.png")
    await files.nothing_left()


async def test_a_field_the_caller_may_not_set_fails_the_upload_and_keeps_nothing(files):
    limited = make_caller(
        files.db, [grant("directus_files", "create", fields="storage,filename_download,title,type")]
    )
    with pytest.raises(ForbiddenError, match='"description"'):
        await files.service(limited).upload(
            chunks(png()), {"description": "x"}, filename="limited.png"
        )
    await files.nothing_left()
    key = await files.service(limited).upload(chunks(png()), filename="fine.png")
    assert files.row(key)["width"] == 5


async def test_a_corrupt_image_is_kept_without_dimensions(files):
    broken = png()[:40]
    key = await files.service().upload(chunks(broken), filename="corrupt.png")
    row = files.row(key)
    assert row["type"] == "image/png"
    assert (row["width"], row["height"], row["metadata"]) == (None, None, None)
    assert row["filesize"] == 40
    assert await files.stored() == [f"{key}.png"]


async def test_given_values_and_the_default_folder_apply(files):
    folder, default = str(uuid.uuid4()), str(uuid.uuid4())
    with files.db.write() as conn:
        conn.execute(sa.insert(directus_folders), [{"id": folder, "name": "a"}])
        conn.execute(sa.insert(directus_folders), [{"id": default, "name": "inbox"}])
        conn.execute(sa.insert(directus_settings).values(storage_default_folder=default))
    service = files.service()
    placed = await service.upload(
        chunks(png()), {"folder": folder, "title": "Mine", "width": 99}, filename="a.png"
    )
    defaulted = await service.upload(chunks(png()), filename="b.png")
    assert str(files.row(placed)["folder"]) == folder
    assert files.row(placed)["title"] == "Mine"
    assert files.row(placed)["width"] == 99
    assert str(files.row(defaulted)["folder"]) == default


async def test_an_unknown_storage_location_is_refused(files):
    with pytest.raises(InvalidPayloadError, match='"elsewhere"'):
        await files.service().upload(chunks(png()), {"storage": "elsewhere"}, filename="a.png")
    await files.nothing_left()


async def test_replacing_content_keeps_the_id_and_swaps_the_blob(files):
    service = files.service()
    key = await service.upload(chunks(b"first version\n"), filename="doc.txt")
    await files.backend.driver.write(f"{key}__w200.txt", chunks(b"variant"))

    replaced = await service.upload(chunks(png((8, 9))), filename="doc.png", key=key)

    assert replaced == key
    row = files.row(key)
    assert row["filename_disk"] == f"{key}.png"
    assert row["filename_download"] == "doc.png"
    assert row["title"] == "Doc"
    assert (row["type"], row["width"], row["height"]) == ("image/png", 8, 9)
    assert await files.stored() == [f"{key}.png"]
    assert files.activity() == [("create", key), ("update", key)]


async def test_a_failed_replacement_keeps_the_old_content(files):
    service = files.service(files_max_upload_size="1mb")
    key = await service.upload(chunks(png()), filename="keep.png")
    before = files.row(key)
    with pytest.raises(ContentTooLargeError):
        await service.upload(chunks(os.urandom(2 * 1024 * 1024)), filename="new.bin", key=key)
    with pytest.raises(ConnectionResetError):
        await service.upload(failing(os.urandom(8192), 4096), filename="new.bin", key=key)
    assert files.row(key) == before
    assert await files.stored() == [f"{key}.png"]


async def test_replacing_a_file_that_does_not_exist_is_forbidden(files):
    with pytest.raises(ForbiddenError):
        await files.service().upload(chunks(png()), filename="x.png", key=str(uuid.uuid4()))
    await files.nothing_left()


async def test_delete_removes_row_blob_and_variants(files):
    service = files.service()
    gone = await service.upload(chunks(png()), filename="gone.png")
    kept = await service.upload(chunks(png()), filename="kept.png")
    await files.backend.driver.write(f"{gone}__abc.webp", chunks(b"variant"))

    assert await service.delete_many([gone]) == [gone]

    assert [str(row["id"]) for row in files.rows()] == [kept]
    assert await files.stored() == [f"{kept}.png"]
    assert ("delete", gone) in files.activity()


async def test_delete_by_query_and_permissions(files):
    service = files.service()
    first = await service.upload(chunks(b"one"), filename="one.txt")
    await service.upload(chunks(b"two"), filename="two.txt")
    reader = make_caller(files.db, [grant("directus_files", "read")])
    with pytest.raises(ForbiddenError):
        await files.service(reader).delete_many([first])
    assert len(files.rows()) == 2

    await service.delete_by_query({"filter": {"title": {"_eq": "One"}}})
    assert [row["title"] for row in files.rows()] == ["Two"]
    assert len(await files.stored()) == 1


async def test_a_new_filename_disk_moves_the_blob_and_drops_variants(files):
    service = files.service()
    key = await service.upload(chunks(png()), filename="a.png")
    await files.backend.driver.write(f"{key}__w10.png", chunks(b"variant"))

    assert await service.update_many([key], {"filename_disk": "../photos/a.png"}) == [key]
    assert files.row(key)["filename_disk"] == "photos/a.png"
    assert await files.stored() == ["photos/a.png"]
    assert files.activity() == [("create", key), ("update", key)]

    other = await service.upload(chunks(b"text"), filename="b.txt")
    with pytest.raises(ForbiddenError):
        await service.update_many([other], {"filename_disk": "photos/a.png"})
    with pytest.raises(InvalidPayloadError, match="bulk"):
        await service.update_many([key, other], {"filename_disk": "c.png"})
    with pytest.raises(InvalidPayloadError, match='"storage"'):
        await service.update_many([key], {"storage": "elsewhere"})
    await service.update_many([key], {"title": "Renamed"})
    assert files.row(key)["title"] == "Renamed"


async def test_a_move_that_fails_in_storage_undoes_the_rename(files, monkeypatch):
    service = files.service()
    key = await service.upload(chunks(png()), filename="a.png")

    async def broken(source, target):
        raise StorageError("the disk is full")

    monkeypatch.setattr(files.backend.driver, "move", broken)
    with pytest.raises(ServiceUnavailableError):
        await service.update_many([key], {"filename_disk": "b.png"})
    assert files.row(key)["filename_disk"] == f"{key}.png"
    assert files.activity() == [("create", key)]


async def test_odd_file_names_make_safe_keys(files):
    service = files.service()
    slashed = await service.upload(chunks(png()), filename="..\\..\\x.p\\ng")
    spaced = await service.upload(chunks(b"text"), filename="notes.t x t")
    assert files.row(slashed)["filename_disk"] == f"{slashed}.png"
    assert files.row(spaced)["filename_disk"] == f"{spaced}.txt"
    assert files.row(spaced)["filename_download"] == "notes.t x t"
