from tessera.access.passwords import hash_password, verify_password

# Made by the argon2 package a Directus 12.4 install uses, for the password below.
DIRECTUS_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$sMUfRl1UEQVAu+Mx9K7YbQ"
    "$vxJB0R02Kblix3Zwppl2czlw3CAbmLdmRYX+VuSBsVs"
)


def test_hash_is_argon2id_with_directus_parameters():
    hashed = hash_password("s3cret")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("s3cret") != hash_password("s3cret")


def test_verify_accepts_the_right_password_only():
    hashed = hash_password("s3cret")
    assert verify_password(hashed, "s3cret") is True
    assert verify_password(hashed, "S3cret") is False


def test_verify_accepts_a_hash_directus_made():
    assert verify_password(DIRECTUS_HASH, "tessera-compat-check") is True
    assert verify_password(DIRECTUS_HASH, "something else") is False


def test_verify_rejects_a_malformed_hash_instead_of_raising():
    assert verify_password("not-a-hash", "s3cret") is False
