"""Personal link tokens: unguessable, hashed, scoped to the round, kept across key rotation."""

from __future__ import annotations

from flask import Flask

from survey.db import db
from survey.rounds.tokens import (
    TOKEN_LENGTH,
    current_token,
    derive_token,
    hash_token,
    issue_link,
    looks_like_token,
    personal_link,
    revoke_link,
)
from tests.factories import make_recipient, make_round

OLD_KEY = "old-key-0123456789-abcdefghijklmnopqrstuvwxyz"
NEW_KEY = "new-key-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_it_derives_256_bit_tokens_that_differ_per_round_recipient_generation_and_key() -> None:
    tokens = {
        derive_token(OLD_KEY, 1, 1, 1),
        derive_token(OLD_KEY, 2, 1, 1),
        derive_token(OLD_KEY, 1, 2, 1),
        derive_token(OLD_KEY, 1, 1, 2),
        derive_token(NEW_KEY, 1, 1, 1),
    }
    assert len(tokens) == 5
    assert all(len(token) == TOKEN_LENGTH and looks_like_token(token) for token in tokens)


def test_it_binds_the_stored_hash_to_the_round() -> None:
    token = derive_token(OLD_KEY, 1, 1, 1)
    assert hash_token(1, token) != hash_token(2, token)
    assert token not in hash_token(1, token)


def test_it_stores_only_a_hash_and_revokes_and_reissues(app: Flask) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        first = issue_link(recipient, OLD_KEY)
        db.session.commit()
        assert recipient.token_hash == hash_token(recipient.round_id, first)
        assert first not in (recipient.token_hash or "")
        revoke_link(recipient)
        assert recipient.token_hash is None
        assert current_token(recipient, [OLD_KEY]) is None
        second = issue_link(recipient, OLD_KEY)
        assert second != first
        assert recipient.token_generation == 2


def test_it_regenerates_the_live_token_with_a_fallback_key_after_rotation(app: Flask) -> None:
    with app.app_context():
        recipient = make_recipient(make_round())
        token = issue_link(recipient, OLD_KEY)
        assert current_token(recipient, [NEW_KEY, OLD_KEY]) == token
        assert current_token(recipient, [NEW_KEY]) is None


def test_it_builds_the_link_without_a_double_slash() -> None:
    assert (
        personal_link("https://enkat.example.se/", 7, "abc")
        == "https://enkat.example.se/svara/7/abc"
    )


def test_it_rejects_malformed_tokens_before_any_lookup() -> None:
    assert not looks_like_token("' OR 1=1 --")
    assert not looks_like_token("a" * 5000)
    assert not looks_like_token("å" * TOKEN_LENGTH)
