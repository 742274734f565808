"""Topic durability scales with the cluster: two in-sync copies once there are three brokers."""

from __future__ import annotations

from schemas.topics import durability


def test_durability_scales_with_the_replicas_and_never_elects_an_unclean_leader() -> None:
    assert durability(1) == {"min.insync.replicas": "1", "unclean.leader.election.enable": "false"}
    assert durability(3)["min.insync.replicas"] == "2"
    assert durability(5)["min.insync.replicas"] == "2"
