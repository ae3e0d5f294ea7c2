"""Balancer semantics (kube-proxy userspace LoadBalancerRR), no sockets involved."""
from collections import Counter

from pkubelet.proxy.balancer import Balancer

A, B, C = ("127.96.1.1", 80), ("127.96.1.2", 80), ("127.96.1.3", 80)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_round_robin_visits_every_endpoint_once_per_cycle():
    lb = Balancer((A, B, C))
    for _ in range(3):
        assert Counter(lb.next("c") for _ in range(3)) == Counter({A: 1, B: 1, C: 1})


def test_no_endpoints_gives_none():
    assert Balancer(()).next("c") is None


def test_unchanged_endpoint_set_keeps_position():
    lb = Balancer((A, B, C))
    first = lb.next("c")
    lb.update((C, B, A), None)  # same set, other order: no reshuffle, no reset
    assert lb.next("c") != first


def test_affinity_sticks_until_timeout():
    clock = Clock()
    lb = Balancer((A, B, C), affinity_timeout=10, clock=clock)
    chosen = lb.next("10.0.0.1")
    assert all(lb.next("10.0.0.1") == chosen for _ in range(5))
    clock.now += 9  # refreshed on each use
    assert lb.next("10.0.0.1") == chosen
    clock.now += 11
    assert lb.next("10.0.0.1") != chosen  # expired: the next round-robin endpoint


def test_affinity_reset_skips_sticky_entry():
    lb = Balancer((A, B, C), affinity_timeout=100)
    sticky = lb.next("c")
    retry = lb.next("c", reset=True)
    assert retry != sticky
    assert lb.next("c") == retry  # the retry's endpoint becomes the new sticky one


def test_affinity_purged_when_endpoint_goes():
    lb = Balancer((A, B, C), affinity_timeout=100)
    sticky = lb.next("c")
    rest = tuple(e for e in (A, B, C) if e != sticky)
    lb.update(rest, 100)
    assert lb.next("c") in rest


def test_affinity_off_clears_map():
    lb = Balancer((A, B, C), affinity_timeout=100)
    lb.next("c")
    lb.update((A, B, C), None)
    assert Counter(lb.next("c") for _ in range(3)) == Counter({A: 1, B: 1, C: 1})
