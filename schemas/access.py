"""How a process reaches the broker: which principal it is, its password, and the CA it trusts.

Every Kafka client in the project (SDK, router, feeds, projector, topic admin, CLI, tests,
benchmarks) takes its connection settings from a ``KafkaAccess`` the composition root builds, in
the form its library wants: ``kafka_python()`` for kafka-python, ``aiokafka()`` for aiokafka, and
``faust_credentials()`` for the router's faust app. Nothing else knows about SASL or TLS.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRAM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaAccess:
    """One principal's way in: SASL/SCRAM over TLS, or plain text (a cluster without security)."""

    bootstrap_servers: str
    principal: str | None = None
    password: str | None = None
    cafile: Path | None = None

    @property
    def secured(self) -> bool:
        return self.principal is not None

    def kafka_python(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's clients."""
        return {"bootstrap_servers": self.bootstrap_servers, **self.security()}

    def security(self) -> dict[str, Any]:
        """kafka-python's security settings alone, e.g. for the SDK's ``producer_config``."""
        if not self.secured:
            return {}
        return {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": SCRAM,
            "sasl_plain_username": self.principal,
            "sasl_plain_password": self.password,
            "ssl_cafile": str(self.cafile) if self.cafile else None,
        }

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's clients."""
        config: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        if self.secured:
            config |= {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": SCRAM,
                "sasl_plain_username": self.principal,
                "sasl_plain_password": self.password,
                "ssl_context": self.ssl_context(),
            }
        return config

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)

    def faust_credentials(self) -> Any:
        """faust's credentials for this principal, or None on a cluster without security."""
        if not self.secured:
            return None
        import faust

        return faust.SASLCredentials(
            username=self.principal, password=self.password, ssl_context=self.ssl_context(), mechanism=SCRAM
        )
