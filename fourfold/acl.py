"""Who may do what on the broker: one principal per body and per service, ACLs derived from the registry.

- a body writes only its own ingest topic and reads only its own inbox, with its own consumer group
  and transactional ids;
- the router reads the ingest topics and writes the log, its checkpoints, the inboxes, the reference
  topic and the quarantine (creating inbox topics as bodies appear), with its own group and
  transactional ids;
- the projector reads the log, its checkpoints and the inboxes; the read API reads nothing from Kafka;
- nobody but the operator (a super user, like the broker itself) deletes, alters or reconfigures a
  topic or deletes records.

``desired()`` is a pure function of the topic prefix and the bodies; ``AclAdmin.sync`` makes the
broker's ACLs on this bus's resources match it, and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas import Topics
from schemas.access import SCRAM, KafkaAccess

IN_FORCE_WITHIN = 30.0
"""Seconds the broker may take to enforce ACLs just created or deleted."""

ROUTER, PROJECTOR, API, OPERATOR = "router", "projector", "api", "operator"
SERVICES = (ROUTER, PROJECTOR, API)
"""The bus's own principals besides the operator; bodies are principals under their body id."""
RESERVED = frozenset({"broker", OPERATOR, *SERVICES})
"""Principal names no body may take: the broker's super users and the bus's services."""


@dataclass(frozen=True, order=True)
class Grant:
    """``principal`` may do ``operation`` on a ``resource`` (topic, group, transactional_id) named
    ``name``, or on every one whose name starts with it when ``prefixed``."""

    principal: str
    resource: str
    name: str
    operation: str
    prefixed: bool = False

    def __str__(self) -> str:
        pattern = f"{self.name}*" if self.prefixed else self.name
        return f"{self.operation:<9} {self.resource} {pattern}"


def router_group(topics: Topics) -> str:
    """The router's faust app id: its consumer group, transactional ids and internal topics."""
    return f"{topics.prefix}-router"


def body_grants(topics: Topics, body_id: str) -> set[Grant]:
    own = f"{topics.prefix}.{body_id}"
    return {
        Grant(body_id, "topic", topics.ingest(body_id), "WRITE"),
        Grant(body_id, "topic", topics.inbox(body_id), "READ"),
        Grant(body_id, "group", own, "READ", prefixed=True),
        Grant(body_id, "transactional_id", own, "WRITE", prefixed=True),
    }


def service_grants(topics: Topics, bus_body: str) -> set[Grant]:
    ingest, inbox, app = topics.ingest(""), topics.inbox(""), router_group(topics)
    router = {
        Grant(ROUTER, "topic", ingest, "READ", prefixed=True),
        Grant(ROUTER, "topic", topics.ingest(bus_body), "WRITE"),
        Grant(ROUTER, "topic", topics.ingest(bus_body), "CREATE"),
        Grant(ROUTER, "topic", inbox, "WRITE", prefixed=True),
        Grant(ROUTER, "topic", inbox, "CREATE", prefixed=True),
        *(
            Grant(ROUTER, "topic", name, op)
            for name in (topics.log, topics.reference, topics.quarantine, topics.checkpoints)
            for op in ("READ", "WRITE", "CREATE")
        ),
        *(Grant(ROUTER, "topic", app, op, prefixed=True) for op in ("READ", "WRITE", "CREATE")),
        Grant(ROUTER, "group", app, "READ", prefixed=True),
        Grant(ROUTER, "transactional_id", app, "WRITE", prefixed=True),
    }
    projector = {
        Grant(PROJECTOR, "topic", topics.log, "READ"),
        Grant(PROJECTOR, "topic", topics.checkpoints, "READ"),
        Grant(PROJECTOR, "topic", inbox, "READ", prefixed=True),
    }
    return router | projector


def desired(topics: Topics, bodies: Iterable[str], bus_body: str) -> set[Grant]:
    """Every grant this bus needs, for its services and for ``bodies``."""
    grants = service_grants(topics, bus_body)
    for body_id in bodies:
        grants |= body_grants(topics, body_id)
    return grants


def ours(topics: Topics, grant: Grant) -> bool:
    """Whether ``grant`` is on a resource of this bus (another bus on the broker is left alone)."""
    return grant.name.startswith((f"{topics.prefix}.", router_group(topics)))


class AclAdmin:
    """The operator's hand on the broker's users and ACLs (kafka-python's admin client)."""

    def __init__(self, operator: KafkaAccess):
        self._access = operator

    def upsert_users(self, passwords: dict[str, str]) -> None:
        """Create or update the SCRAM credentials of these principals."""
        from kafka.admin import UserScramCredentialUpsertion

        if not passwords:
            return
        with self._admin() as admin:
            admin.alter_user_scram_credentials(
                [UserScramCredentialUpsertion(user, SCRAM, password) for user, password in passwords.items()]
            )

    def current(self, topics: Topics) -> set[Grant]:
        """The ALLOW grants on this bus's resources, as the broker has them."""
        from kafka.admin import ACLFilter, ACLOperation, ACLPermissionType, ResourcePatternFilter
        from kafka.admin import ACLResourcePatternType as Pattern
        from kafka.admin import ResourceType as Type

        query = ACLFilter(
            principal=None,
            host="*",
            operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(Type.ANY, None, Pattern.ANY),
        )
        with self._admin() as admin:
            acls, _ = admin.describe_acls(query)
        found = {_grant(acl) for acl in acls if acl.permission_type == ACLPermissionType.ALLOW}
        return {g for g in found if g is not None and ours(topics, g)}

    def sync(self, topics: Topics, wanted: set[Grant], *, remove: bool) -> tuple[set[Grant], set[Grant]]:
        """Add the grants missing from the broker; with ``remove``, delete this bus's grants that
        are not wanted (a retired body's). Returns (added, removed)."""
        have = self.current(topics)
        added, removed = wanted - have, (have - wanted) if remove else set()
        with self._admin() as admin:
            if added:
                admin.create_acls([_acl(g) for g in sorted(added)])
            if removed:
                admin.delete_acls([_acl(g) for g in sorted(removed)])
        if added or removed:
            self._until_in_force(topics, added, removed)
        return added, removed

    def revoke(self, topics: Topics) -> set[Grant]:
        """Delete every grant on this bus's resources (a test's or a benchmark's bus going away:
        left behind, they pile up, and every later bus's start reads them all); returns them."""
        have = self.current(topics)
        if have:
            with self._admin() as admin:
                admin.delete_acls([_acl(g) for g in sorted(have)])
        return have

    def _until_in_force(self, topics: Topics, added: set[Grant], removed: set[Grant]) -> None:
        """Wait until the broker's authorizer has the change (it takes the metadata log's path),
        so that a principal granted a topic may use it as soon as this returns."""
        deadline = time.monotonic() + IN_FORCE_WITHIN
        while time.monotonic() < deadline:
            have = self.current(topics)
            if added <= have and not removed & have:
                return
            time.sleep(0.1)
        raise TimeoutError(f"the broker did not put {len(added)} new ACLs in force within {IN_FORCE_WITHIN}s")

    def _admin(self) -> Any:
        from contextlib import closing

        from kafka import KafkaAdminClient

        return closing(KafkaAdminClient(**self._access.kafka_python()))


def _acl(grant: Grant) -> Any:
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ResourcePattern
    from kafka.admin import ACLResourcePatternType as Pattern
    from kafka.admin import ResourceType as Type

    pattern = ResourcePattern(
        Type[grant.resource.upper()], grant.name, Pattern.PREFIXED if grant.prefixed else Pattern.LITERAL
    )
    return ACL(
        f"User:{grant.principal}", "*", ACLOperation[grant.operation], ACLPermissionType.ALLOW, pattern
    )


def _grant(acl: Any) -> Grant | None:
    from kafka.admin import ACLResourcePatternType as Pattern

    principal = str(acl.principal)
    if not principal.startswith("User:"):
        return None
    pattern = acl.resource_pattern
    return Grant(
        principal.removeprefix("User:"),
        pattern.resource_type.name.lower(),
        pattern.resource_name,
        acl.operation.name,
        prefixed=pattern.pattern_type == Pattern.PREFIXED,
    )
