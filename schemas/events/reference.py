"""Reference data: regions, bodies, units, cadres, jurisdictions, signing and encryption keys."""

from __future__ import annotations

from pydantic import Field

from schemas.enums import BodyKind, JurisdictionRole, ManagementLevel, UnitLevel
from schemas.envelope import Payload
from schemas.types import BodyId, CadreId, KeyId, Name, PublicKey, RegionId, Sector, UnitId

_REGISTRAR = frozenset({BodyKind.SYSTEM})
_EVERYONE = "every body (reference data is shared with the whole bus)"


class RegionRegistered(Payload):
    """The city or one of its districts and counties joins the registry."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    region_id: RegionId
    name: Name
    parent_region_id: RegionId | None = Field(None, description="The enclosing region, if any.")


class BodyRegistered(Payload):
    """A supervisory body that publishes and receives: a commission, office, agency or team."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    name: Name
    kind: BodyKind
    region_id: RegionId
    parent_body_id: BodyId | None = Field(
        None, description="The commission an office, agency or team belongs to."
    )


class UnitRegistered(Payload):
    """A supervised organisation: an organ, state enterprise, school, hospital."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    unit_id: UnitId
    name: Name
    region_id: RegionId
    level: UnitLevel
    sector: Sector


class CadreRegistered(Payload):
    """A supervised official; the management level decides who has jurisdiction over clues."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    cadre_id: CadreId
    name: Name
    unit_id: UnitId
    management_level: ManagementLevel


class JurisdictionAssigned(Payload):
    """Gives a body its remit; a later assignment for the same body and role replaces it."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    role: JurisdictionRole
    region_ids: tuple[RegionId, ...] = Field((), max_length=500)
    unit_ids: tuple[UnitId, ...] = Field((), max_length=500)
    management_levels: tuple[ManagementLevel, ...] = Field(
        (), max_length=3, description="Cadre management levels a territorial commission manages."
    )


class SigningKeyRegistered(Payload):
    """A body's public key; events it signs with this key id are verified against it."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    key_id: KeyId
    public_key: PublicKey


class SigningKeyRevoked(Payload):
    """A body's key is withdrawn; events signed with it afterwards are refused."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    key_id: KeyId
    reason: Name


class EncryptionKeyRegistered(Payload):
    """A body's X25519 public key: the SDK seals protected fields for the bodies allowed to read
    them with their registered, unrevoked encryption keys."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    key_id: KeyId
    public_key: PublicKey


class EncryptionKeyRevoked(Payload):
    """A body's encryption key is withdrawn: nothing new is sealed for it."""

    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    key_id: KeyId
    reason: Name
