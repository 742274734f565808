"""Reference data: regions, bodies, units, cadres, jurisdictions and signing keys."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from schemas.enums import BodyKind, JurisdictionRole, ManagementLevel, UnitLevel
from schemas.envelope import Payload
from schemas.types import BodyId, CadreId, Name, RegionId, UnitId

_REGISTRAR = frozenset({BodyKind.SYSTEM})
_EVERYONE = "every body (reference data is shared with the whole bus)"


class RegionRegistered(Payload):
    publishers = _REGISTRAR
    receivers = _EVERYONE
    region_id: RegionId
    name: Name
    parent_region_id: RegionId | None = None


class BodyRegistered(Payload):
    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    name: Name
    kind: BodyKind
    region_id: RegionId
    parent_body_id: BodyId | None = None


class UnitRegistered(Payload):
    publishers = _REGISTRAR
    receivers = _EVERYONE
    unit_id: UnitId
    name: Name
    region_id: RegionId
    level: UnitLevel
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,39}$")]


class CadreRegistered(Payload):
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
    region_ids: tuple[RegionId, ...] = ()
    unit_ids: tuple[UnitId, ...] = ()
    management_levels: tuple[ManagementLevel, ...] = ()


PublicKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}=?$")]
KeyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]


class SigningKeyRegistered(Payload):
    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    key_id: KeyId
    public_key: PublicKey = Field(description="Raw Ed25519 public key, base64url.")


class SigningKeyRevoked(Payload):
    publishers = _REGISTRAR
    receivers = _EVERYONE
    body_id: BodyId
    key_id: KeyId
    reason: Name
