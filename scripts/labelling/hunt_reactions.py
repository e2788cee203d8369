"""Write labelling batches of agent replies that the customer then reacted to badly ("that's rude",
"useless", "copy and paste", "seriously?"): a second route to the rare cold or dismissive replies. The
labellers see only the conversation before the reply, never the reaction. Texts go OUTSIDE the repository.

    python scripts/labelling/hunt_reactions.py --out /work/labelwork --exclude /work/labelwork/manifest.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from make_batches import excluded_items, view, write_batch  # type: ignore[import-not-found]

from qa_toolkit.datasets import ReplyItem, iter_conversations, sample_threads_in_test, shared_data_dir
from qa_toolkit.types import Role

REACTION = re.compile(
    r"\b(rude|condescending|patroni[sz]ing|unhelpful|not helpful|useless|pointless|ridiculous|unacceptable|"
    r"copy (and|&) paste|canned|scripted|robot|bot\b|seriously\??|wow\b|are you (kidding|serious)|"
    r"didn'?t (even )?read|not what i asked|that'?s it\?|no help|waste of time|smh|lol no|you people|"
    r"answer my question|read my (tweet|message))",
    re.I,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--exclude", type=Path, nargs="*", default=[])
    ap.add_argument("--train", type=int, default=225)
    ap.add_argument("--eval", type=int, default=75)
    ap.add_argument("--batch", type=int, default=75)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    done = excluded_items(args.exclude)
    rng = random.Random(5)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for prefix, splits, k in (("react-train", ["airlines-train", "ibm-dev", "twcs-sample"], args.train),
                              ("react-eval", ["airlines-test", "ibm-test"], args.eval)):  # fmt: skip
        found: list[ReplyItem] = []
        for split in splits:
            for conv in iter_conversations(split, data):
                if split == "twcs-sample" and conv.id in sample_threads_in_test(data):
                    continue  # a thread of twcs-airlines/test: test data, not a training reply
                msgs = conv.messages
                for i, msg in enumerate(msgs[:-1]):
                    nxt = msgs[i + 1]
                    item = f"{split}:{conv.id}#{msg.id}"
                    if (msg.role is Role.agent and nxt.role is Role.customer and item not in done
                            and REACTION.search(nxt.text)):  # fmt: skip
                        found.append(ReplyItem(item, split, conv, i))
        chosen = rng.sample(found, min(k, len(found)))
        print(prefix, len(found), "candidates,", len(chosen), "chosen")
        for b in range(0, len(chosen), args.batch):
            name = f"{prefix}-{b // args.batch + 1:02d}"
            part = chosen[b : b + args.batch]
            write_batch(args.out, name, [view(it) for it in part])
            manifest.update({it.item: {"batch": name, "sampling": "reaction-hunt"} for it in part})
    manifest_path.write_text(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
