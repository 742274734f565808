"""The ``fourfold keys encryption`` and ``fourfold keys directory`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

encryption_app = typer.Typer(
    help="Bodies' encryption keys, for the protected fields (informants).", no_args_is_help=True
)


def _echo(text: str) -> None:
    typer.echo(text, err=True)


@encryption_app.command("new")
def encryption_new(
    body_id: Annotated[str, typer.Argument(help="The body the key is for.")],
    register: Annotated[bool, typer.Option(help="Publish the public key's registration.")] = True,
) -> None:
    """Create an X25519 key pair for BODY (the next key id if it has one) and register its public key."""
    from fourfold.commands_publish import _container

    container = _container()
    key = container.encryption_keys.create(body_id)
    _echo(f"Encryption key {key.key_id} written to {container.encryption_keys.path(body_id)}")
    _echo(f"Public key: {key.recipient.text}")
    if register:
        encryption_register(body_id)


@encryption_app.command("register")
def encryption_register(
    body_id: Annotated[str, typer.Argument(help="The body whose key to register.")],
) -> None:
    """Publish, as the registrar, the registration of BODY's current encryption key."""
    from fourfold.commands_publish import _container, _publish_as_registrar
    from schemas.events.reference import EncryptionKeyRegistered

    container = _container()
    container.ensure_broker()
    key = container.encryption_keys.load(body_id).recipient
    payload = EncryptionKeyRegistered(body_id=body_id, key_id=key.key_id, public_key=key.text)
    event_id = _publish_as_registrar(container, payload, retry=f"fourfold keys encryption register {body_id}")
    _echo(f"Registered {key.key_id} as the registrar (event {event_id}).")


@encryption_app.command("revoke")
def encryption_revoke(
    body_id: Annotated[str, typer.Argument(help="The body whose key to revoke.")],
    key_id: Annotated[str, typer.Argument(help="The key to revoke, e.g. city-letters:enc:1.")],
    reason: Annotated[str, typer.Option(help="Why, in a few words; on the log for every body to read.")],
) -> None:
    """Publish, as the registrar, that BODY's encryption key KEY_ID is withdrawn: nothing new is
    sealed for it (export the directory again); what was sealed for it still opens with it."""
    from fourfold.commands_publish import _container, _publish_as_registrar
    from schemas.events.reference import EncryptionKeyRevoked

    container = _container()
    container.ensure_broker()
    payload = EncryptionKeyRevoked(body_id=body_id, key_id=key_id, reason=reason)
    retry = f"fourfold keys encryption revoke {body_id} {key_id} --reason {reason!r}"
    event_id = _publish_as_registrar(container, payload, retry=retry)
    _echo(f"Revoked {key_id} of {body_id} as the registrar (event {event_id}).")


def keys_directory(
    out: Annotated[
        Path | None, typer.Option(help="Where to write it; FOURFOLD_KEY_DIRECTORY_PATH by default.")
    ] = None,
) -> None:
    """Export the key directory (public keys and who reads protected fields) from the registry on
    the log, for the SDK: hand it to each agency with its credentials, again after any key change."""
    from fourfold.commands_publish import _container
    from fourfold.operations import export_key_directory

    container = _container()
    container.ensure_broker()
    path, count = export_key_directory(container, out=out)
    _echo(f"Key directory with {count} keys written to {path}")
