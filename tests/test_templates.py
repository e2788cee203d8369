"""Template mining: near-duplicate agent replies grouped, named by a representative, counted per agent."""

from __future__ import annotations

from qa_toolkit.templates import TemplateMiner, jaccard, mine_templates, shingles, skeleton

CANNED = (
    "Hi {name}, thanks for reaching out! Please send us a DM with your order number {num} and we'll take a look. ^{sig}"
)
OTHER = "We have shipped a replacement {name}, it should arrive on Friday with the courier, sorry for the trouble."


def test_skeleton_replaces_what_varies_per_customer() -> None:
    a = skeleton(CANNED.format(name="Anna", num="#12345", sig="AB"))
    b = skeleton(CANNED.format(name="Bob", num="998877", sig="KC"))
    assert a == b
    assert "<name>" in a and "anna" not in a
    assert skeleton("@AcmeHelp see https://x.example/y") == ["see", "<url>"]
    assert skeleton(CANNED.format(name="Anna", num="#12345", sig="H")) == a  # a one-letter sign-off too
    assert skeleton("Go to gate - B")[-1] == "b"  # a gate, not a sign-off


def test_near_duplicates_form_one_template_with_uses_per_agent() -> None:
    replies = [
        (CANNED.format(name=n, num=i * 1111, sig="AB"), f"agent{i % 2}")
        for i, n in enumerate("Ann Bo Cy Di Ed Flo".split())
    ]
    replies.append((CANNED.format(name="Gus", num=1, sig="AB").replace("take a look", "take a quick look"), "agent9"))
    replies += [(OTHER.format(name=n), "agent3") for n in ("A", "B")]
    index = mine_templates(replies, min_uses=5)
    assert len(index) == 1
    (template,) = index.most_used()
    assert template.uses == 7 and template.agents == {"agent0": 3, "agent1": 3, "agent9": 1}
    assert template.name.startswith("Hi Ann, thanks for reaching out!") and "^AB" not in template.name
    assert index.match(CANNED.format(name="Zed", num=5, sig="ZZ")) is template
    assert index.match(OTHER.format(name="Q")) is None
    assert index.match("Thanks!") is None  # too short to be a template


def test_memory_stays_bounded() -> None:
    miner = TemplateMiner(max_clusters=100)

    def word(i: int, j: int) -> str:  # distinct words without digits (digits are placeholders)
        return "".join(chr(97 + int(c)) for c in f"{i:04d}{j}")

    for i in range(1000):
        miner.add("unique reply " + " ".join(word(i, j) for j in range(8)), "a")
    for _ in range(10):
        miner.add(CANNED.format(name="Ann", num=1, sig="AB"), "b")
    assert len(miner.templates) <= 100
    assert [t.uses for t in miner.index_templates(min_uses=5).most_used()] == [10]


def test_jaccard() -> None:
    a, b = shingles(["a", "b", "c"]), shingles(["a", "b", "d"])
    assert jaccard(a, a) == 1.0 and jaccard(a, b) == 1 / 3
