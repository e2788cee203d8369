"""qa_toolkit.groups.DisjointSets: union-find over string keys, groups named by their smallest key."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from qa_toolkit.groups import DisjointSets


def test_joined_keys_share_the_smallest_name_and_others_stay_apart() -> None:
    sets = DisjointSets()
    sets.union("c", "b")
    sets.union("d", "c")
    sets.union("x", "y")
    assert [sets.find(k) for k in "bcdxy"] == ["b", "b", "b", "x", "x"]
    assert sets.find("lone") == "lone"  # never joined: a group of its own
    sets.union("y", "a")  # joining two groups: the smaller name wins for all of them
    assert {sets.find(k) for k in "axy"} == {"a"} and sets.find("d") == "b"


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("abcdefgh")), max_size=20), st.randoms())
def test_the_groups_do_not_depend_on_the_order_of_the_joins(pairs: list[tuple[str, str]], rnd: random.Random) -> None:
    def groups(order: list[tuple[str, str]]) -> dict[str, str]:
        sets = DisjointSets()
        for a, b in order:
            sets.union(a, b)
        return {k: sets.find(k) for k in "abcdefgh"}

    shuffled = [(b, a) if rnd.random() < 0.5 else (a, b) for a, b in pairs]
    rnd.shuffle(shuffled)
    first = groups(pairs)
    assert groups(shuffled) == first
    # a key's group is the smallest key it is connected to (a plain graph search says which those are)
    for key in "abcdefgh":
        seen, todo = {key}, [key]
        while todo:
            k = todo.pop()
            for a, b in pairs:
                for x, y in ((a, b), (b, a)):
                    if x == k and y not in seen:
                        seen.add(y)
                        todo.append(y)
        assert first[key] == min(seen)
