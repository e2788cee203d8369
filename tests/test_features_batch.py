"""The batch computations of the featurizer equal straightforward per-reply ones: dense features (values and
evidence), batch tokenisation, hashed n-gram counts, and the four linear models scored in one pass."""

from __future__ import annotations

import math
import re
import sys
from importlib.resources import files

import numpy as np
import pytest
import scipy.sparse as sp

from qa_toolkit.classifiers import make_pipeline_for
from qa_toolkit.classifiers.models import LinearScores, ReplyClassifier, _show, _within, rank_in_rows
from qa_toolkit.features import (
    _APOLOGY,
    _DELAY_APOLOGY,
    _EMOJI,
    _NAME_AFTER,
    _NAME_BEFORE_PUNCT,
    _NOT_NAMES,
    _NUMBER,
    _SENTENCE,
    _STOP,
    _STRATEGY_ANYWHERE,
    _STRATEGY_PHRASES,
    _STRATEGY_START,
    _WORD,
    DENSE_NAMES,
    LEXICON_CATEGORIES,
    DenseBatch,
    ReplyContext,
    ReplyFeaturizer,
    _char_units,
    _counts,
    _customer_text,
    _has_alnum,
    _Tokens,
    dense_features,
    informative_word,
    seen_keys,
    unique_inverse,
)
from qa_toolkit.nlp import CACHED_PIECES, LEXICON_LANGUAGES, BatchTokenizer, clean_for_model, get_matcher, get_nlp

CUSTOMER = (("customer", "My order #48213 arrived broken, the blue Corra kettle has a cracked lid!"),)
THREAD = (
    ("customer", "Flight DL1234 was cancelled?? I need to get to Boston tonight."),
    ("agent", "Hi Sam, sorry to hear that. Can you DM your confirmation number?"),
    ("customer", "Done, it's ABC123. Thanks"),
)
REPLIES = [
    ReplyContext("Hi Dana, so sorry your Corra kettle arrived with a cracked lid! Order #48213 ships today.", CUSTOMER),
    ReplyContext("Thanks for waiting, Sam. Apologies for the delay in our reply: ABC123 is on DL1234.", THREAD),
    ReplyContext("We're sorry for any inconvenience. Please DM us https://t.co/x1 @delta ^JS", THREAD[:1]),
    ReplyContext("", ()),
    ReplyContext("   ", (("agent", "earlier"),)),
    ReplyContext("thank", CUSTOMER),  # the next reply starts with "you": no phrase spans two replies
    ReplyContext("you for your patience, Dana. 😀 Take care!", CUSTOMER),
    ReplyContext("Hallo Jan, het spijt ons! Kunt u uw bestelnummer sturen? Fijne dag.", CUSTOMER, "nl"),
    ReplyContext("Entschuldigung, Anna. Wie bereits erwähnt, leider können wir nicht helfen.", (), "de"),
    ReplyContext("Désolé pour l'attente, Marc. Bonne journée !", CUSTOMER, "fr"),
    ReplyContext("As we already told you, you should have checked the parcel. Not our problem.", CUSTOMER, None),
    ReplyContext("Sorry, Dana. Kettle kettle KETTLE, lid #48213-B x2 ²3", CUSTOMER, "xx"),
    ReplyContext("I'm sorry!!! Don't worry :) we'll fix it... won't we? Hi, Bob.", THREAD),
    ReplyContext(
        "@delta Could you please DM us? By the way, I think in fact you can. So what now? Great! "
        "Pls can u check. The point is that you. Please",
        THREAD,
    ),
    ReplyContext("by the way could", CUSTOMER),  # "could" + the next reply's "you": no phrase spans two
    ReplyContext("you.", CUSTOMER, "en"),
    # runs of dots and of "\u2026" end sentences; the word "handle" is a word, the handle placeholder is not
    ReplyContext(
        "I could handle u later.... Please wait\u2026 So sorry...... Please hold\u2026\u2026 So sorry. @bob please",
        CUSTOMER,
    ),
]


VALENCE = {
    line.split("\t")[0].lower(): float(line.split("\t")[1])
    for line in (files("vaderSentiment") / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines()
}


def reference_dense(rc: ReplyContext) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The dense features of one reply, computed plainly (as the featurizer did before batching)."""
    text = rc.text or ""
    clean = clean_for_model(text)
    lang = rc.language if rc.language in LEXICON_LANGUAGES else "en"
    matcher = get_matcher(lang)
    hits = matcher.find_in_doc(get_nlp("en").make_doc(clean)) if lang == "en" else matcher.find(clean)
    v: dict[str, float] = dict.fromkeys(DENSE_NAMES, 0.0)
    ev: dict[str, list[str]] = {}
    for h in hits:
        if h.category in LEXICON_CATEGORIES:
            v[f"lex_{h.category}"] += 1.0
            ev.setdefault(f"lex_{h.category}", []).append(h.text)
    words = _WORD.findall(clean)
    sentences = [x for x in _SENTENCE.findall(clean) if x.strip()]
    v["log_words"] = math.log1p(len(words))
    v["sentences"] = float(len(sentences))
    v["has_url"] = float("URL" in words)
    v["url_only"] = float(v["has_url"] and len(words) <= 8)
    v["questions"] = float(clean.count("?"))
    v["exclamations"] = float(clean.count("!"))
    v["emoji"] = 0.0 if text.isascii() else float(len(_EMOJI.findall(text)))
    names = [n for n in _NAME_AFTER.findall(clean) + _NAME_BEFORE_PUNCT.findall(clean) if n not in _NOT_NAMES]
    v["name_used"] = float(bool(names))
    if names:
        ev["name_used"] = names[:2]

    def content(s: str) -> set[str]:
        return {w for w in (x.lower() for x in _WORD.findall(s)) if len(w) >= 3 and w not in _STOP}

    customer = _customer_text(rc)
    cust_words = content(customer)
    cust_numbers = set(_NUMBER.findall(customer))
    reply_words = content(clean)
    shared = sorted(reply_words & cust_words)
    specific = [w for w in shared if len(w) >= 6 or any(c.isdigit() for c in w)]
    v["overlap"] = float(len(shared))
    v["overlap_ratio"] = len(shared) / max(1, len(reply_words))
    v["overlap_specific"] = float(len(specific))
    if shared:
        ev["overlap"] = shared[:4]
    if specific:
        ev["overlap_specific"] = specific[:4]
    reply_numbers = set(_NUMBER.findall(clean))
    picked = sorted(reply_numbers & cust_numbers)
    v["numbers"] = float(len(reply_numbers))
    v["numbers_from_customer"] = float(len(picked))
    if picked:
        ev["numbers_from_customer"] = picked[:3]
    apology_sentences = [x for x in sentences if _APOLOGY.search(x)]
    if apology_sentences:
        v["apology"] = 1.0
        ev["apology"] = [x.strip() for x in apology_sentences[:2]]
        overlap = sorted(set().union(*(content(x) for x in apology_sentences)) & cust_words)
        v["apology_names_problem"] = float(len(overlap))
        if overlap:
            ev["apology_names_problem"] = overlap[:3]
        v["apology_vague"] = float(any(h.category in ("vague_object", "apology_templated") for h in hits))
        v["apology_words"] = float(sum(len(_WORD.findall(x)) for x in apology_sentences))
        delay = _DELAY_APOLOGY.search(clean)
        v["apology_for_delay"] = float(bool(delay))
        if delay:
            ev["apology_for_delay"] = [delay.group(0)]
    v["customer_question"] = float("?" in customer)
    v["customer_log_words"] = math.log1p(len(_WORD.findall(customer)))
    v["customer_exclaims"] = float(customer.count("!"))
    prior = sum(1 for role, _ in rc.context if role == "agent")
    v["prior_agent_turns"] = float(prior)
    v["first_reply"] = float(prior == 0)
    v["no_context"] = float(not rc.context)
    total = sum(VALENCE.get(w.lower(), 0.0) for w in _WORD.findall(customer))
    upset = max(0.0, -total / math.sqrt(total * total + 15)) if rc.language in ("en", None) else 0.0
    warm = v["lex_greeting"] + v["lex_thanks"] + v["lex_empathy"] + v["exclamations"] + v["emoji"] > 0
    bare = not warm and not v["apology"]
    v["cold_to_upset"] = 0.0 if warm else upset
    v["bare_to_upset"] = upset if bare else 0.0
    v["refusal_without_warmth"] = float(bare and v["lex_refusal"] > 0)
    v["blame_to_upset"] = upset if v["lex_cold_blame"] > 0 else 0.0
    v["no_warmth"] = float(bare)
    for name, lexicon in (("refusal_without_warmth", "lex_refusal"), ("blame_to_upset", "lex_cold_blame")):
        if v[name]:
            ev[name] = ev[lexicon]
    if rc.language in ("en", None):  # the politeness strategies, on the tokens, handles left out
        toks = [t.lower_ for t in get_nlp("en").make_doc(clean) if not t.is_space and t.text != "HANDLE"]
        for k, tok in enumerate(toks):
            starts = k == 0 or re.fullmatch(r"[!?]|\.{1,40}|\u2026{1,2}", toks[k - 1]) is not None
            for name, words in _STRATEGY_ANYWHERE.items():
                v[f"pol_{name}"] += tok in words
            for name, words in _STRATEGY_START.items():
                v[f"pol_{name}"] += starts and tok in words
            for name, phrases in _STRATEGY_PHRASES.items():
                for phrase in phrases:
                    window = toks[k : k + len(phrase)]
                    v[f"pol_{name}"] += len(window) == len(phrase) and all(
                        w in part for w, part in zip(window, phrase, strict=True))  # fmt: skip
    return v, ev


def test_batch_dense_features_equal_the_per_reply_computation() -> None:
    texts = [clean_for_model(rc.text) for rc in REPLIES]
    batch = DenseBatch(REPLIES, _Tokens.of(texts))
    for i, rc in enumerate(REPLIES):
        values, evidence = reference_dense(rc)
        assert dict(zip(DENSE_NAMES, batch.values[i].tolist(), strict=True)) == values, rc.text
        assert {n: batch.evidence(i, n) for n in DENSE_NAMES if batch.evidence(i, n)} == evidence, rc.text
        single = dense_features(rc)
        assert (single.values, single.evidence) == (values, evidence)
    # the cases above are exercised: "thank" + "you" in two replies is no "thank you"
    col = {n: j for j, n in enumerate(DENSE_NAMES)}
    assert batch.values[5, col["lex_thanks"]] == 0 and batch.values[:, col["emoji"]].sum() == 1
    assert batch.values[1, col["apology_for_delay"]] == 1 and batch.values[7, col["lex_greeting"]] >= 1
    assert batch.evidence(1, "numbers_from_customer") == ["ABC123"]  # the customer since the last agent reply
    last = dict(zip(DENSE_NAMES, batch.values[len(REPLIES) - 1].tolist(), strict=True))
    assert (last["pol_please_start"], last["pol_direct_start"], last["pol_please"]) == (3, 2, 3)
    assert last["pol_counterfactual_modal"] == 0  # "could handle u": the word is not skipped as a handle


def test_a_batch_is_tokenised_as_each_reply_alone() -> None:
    texts = [clean_for_model(rc.text) for rc in REPLIES] * 2
    tokens = _Tokens.of(texts)
    tokenizer = get_nlp("en").tokenizer
    for i, text in enumerate(texts):
        alone = [(t.lower, t.idx, t.idx + len(t)) for t in tokenizer(text) if not t.is_space]
        offset = sum(len(t) + 1 for t in texts[:i])
        ours = [(int(h), int(s) - offset, int(e) - offset) for h, s, e, r in
                zip(tokens.lower, tokens.start, tokens.end, tokens.rows, strict=True) if r == i]  # fmt: skip
        assert ours == alone, text


def test_char_units_pad_each_word_and_know_its_reply() -> None:
    texts = ["Hi Dana", "", "OK", "İs ßig"]
    units, groups, rows = _char_units(texts)
    flat = [(w, i) for i, t in enumerate(texts) for w in t.lower().split()]
    assert "".join(map(chr, units.tolist())) == "".join(f" {w} " for w, _ in flat)
    assert groups.tolist() == [k for k, (w, _) in enumerate(flat) for _ in range(len(w) + 2)]
    assert rows.tolist() == [i for w, i in flat for _ in range(len(w) + 2)]


@pytest.mark.parametrize("n_rows", [1, 7, 40])
def test_counts_equal_summed_duplicates(n_rows: int) -> None:
    rng = np.random.default_rng(n_rows)
    rows, cols = rng.integers(0, n_rows, 500), rng.integers(0, 64, 500)
    expected = sp.csr_matrix((np.ones(500), (rows, cols)), shape=(n_rows, 64))
    expected.sum_duplicates()
    got = _counts(rows, cols, n_rows, 64)
    for a in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(got, a), getattr(expected, a))


def test_linear_scores_equal_each_models_own_scores() -> None:
    X = REPLIES * 3
    classifiers = []
    labels = {"tone": (["friendly", "neutral", "unfriendly"] * len(X))[: len(X)],
              "apology": (["none", "specific"] * len(X))[: len(X)]}  # fmt: skip
    for name, y in labels.items():
        pipe = make_pipeline_for(name, n_features=2**10, char_ngrams=(2, 3), tune_decisions=False)
        classifiers.append(ReplyClassifier(name, pipe.fit(X, y)))
    features = classifiers[0].featurizer.transform(X)
    for clf, scores in zip(classifiers, LinearScores(classifiers)(features), strict=True):
        own = clf.pipeline.named_steps["clf"]._scores(clf._linear(), features)
        assert np.array_equal(scores, own) and scores.shape == own.shape


# The word-list patterns as they were before each got a first-letter lookahead (a speed-up only).
PLAIN_PATTERNS = {
    "name_after": (_NAME_AFTER, re.compile(
        r"\b(?i:hi|hello|hey|dear|thanks|thank you|sorry|welcome|morning|evening|afternoon|hallo|beste|liebe[r]?|"
        r"bonjour),?\s+([A-Z][a-z]{1,14})\b")),
    "apology": (_APOLOGY, re.compile(
        r"\b(sorry|apolog\w*|regret\w*|excuse\w*|excuses|spijt|entschuldig\w*|leid|désolé\w*|pardon)\b", re.I)),
    "delay": (_DELAY_APOLOGY, re.compile(
        r"\b(sorry|apolog\w*)\b[^.!?]{0,40}\b(delay(ed)? (in|response|reply)|wait|late reply|slow)", re.I)),
}  # fmt: skip
WORDS = (
    "hi hello hey dear thanks thank you sorry welcome morning evening afternoon hallo beste lieber liebe bonjour "
    "apologies apologise regret regrettably excuse excuses spijt entschuldigung leid désolée pardon"
).split()


@pytest.mark.parametrize("name", sorted(PLAIN_PATTERNS))
def test_word_list_patterns_match_as_without_their_lookahead(name: str) -> None:
    fast, plain = PLAIN_PATTERNS[name]
    variants = [w for word in WORDS for w in (word, word.upper(), word.title(), "x" + word, word + "s")]
    texts = [f"{w}, Dana. {w} Sam! ({w} for the delay in our reply) {w} you for your wait" for w in variants]
    texts += [clean_for_model(rc.text) for rc in REPLIES] + ["ſorry for the ſlow reply, Kim.", "İ apologise"]
    text = "\x00".join(texts)
    found = [(m.start(), m.groups()) for m in fast.finditer(text)]
    assert found == [(m.start(), m.groups()) for m in plain.finditer(text)]
    assert len(found) > 20


def test_trimmed_lexemes_tokenise_as_spacy_does() -> None:
    """``get_nlp`` gives new words only the attributes the package reads; tokens are spaCy's own."""
    import spacy

    text = ("Hi @sam_99, see https://t.co/Ab1?x=2 or www.example.com/help. E-mail me@x.org! I'm £25.50 "
            "down (order #48213-B), can't log in :-( 😀 U.S.A. 10:30am 3x ... “quoted” — ok?\nNew line")  # fmt: skip
    ours = get_nlp("en").make_doc(text)
    theirs = spacy.blank("en").make_doc(text)
    assert [(t.text, t.idx, t.lower_, t.is_space) for t in ours] == [
        (t.text, t.idx, t.lower_, t.is_space) for t in theirs
    ]


def test_batch_tokenizer_stays_within_its_bound_and_tokenises_as_alone() -> None:
    tokenizer = get_nlp("en").tokenizer
    small = BatchTokenizer("en", max_seen=6)
    assert BatchTokenizer("en").max_seen == CACHED_PIECES >= 100_000
    assert small.tokenizer is not tokenizer  # its own: what it forgets is nobody else's
    batches = [["Hi Dana, don't!", "(order #48213)"], ["Thanks Sam: can't wait...", "ok"], ["Thanks ok, bye now"],
               ["Thanks ok, bye now"]]  # fmt: skip
    expected_forgets = [0, 1, 2, 2]  # 5 pieces fit; 5 + 5 new > 6; 5 + 3 new > 6 ("Thanks" seen); nothing new
    for texts, forgets in zip(batches, expected_forgets, strict=True):
        pieces = set(" ".join(texts).split())
        before, generation = small.nlp, small.generation
        tokens = small(texts)
        assert small.generation == forgets and pieces <= small._seen and len(small._seen) <= 6
        assert (small.nlp is before) == (small.generation == generation)  # a new pipeline each time it forgets
        assert tokens.strings is small.nlp.vocab.strings  # the strings of the batch's hashes are there
        assert small.words_met() <= 15  # the words of the pieces remembered, not of every batch before
        alone = [(t.text, t.lower, t.orth, k) for k, text in enumerate(texts) for t in tokenizer(text)]
        text = "\n".join(texts)
        assert [(text[a:b], lower, orth, row) for a, b, lower, orth, row in zip(
            tokens.start.tolist(), tokens.end.tolist(), tokens.lower.tolist(), tokens.orth.tolist(),
            tokens.rows.tolist(), strict=True)] == alone  # fmt: skip
        assert [tokens.strings[h] for h in tokens.lower.tolist()] == [t.lower_ for t in get_nlp("en").make_doc(text)
                                                                       if not t.is_space]  # fmt: skip
    assert small._seen == {"Thanks", "ok,", "bye", "now"}  # all forgotten with the vocabulary, then this batch's


def test_batch_tokenizer_forgets_the_words_of_texts_that_are_not_cleaned_too() -> None:
    small = BatchTokenizer("en", max_seen=50)
    for k in range(80):  # not cleaned (two spaces): one Doc each, new words but no pieces remembered
        tokens = small([f"order  A{k}x{k * 7} and  B{k}y"])
        assert tokens.strings[int(tokens.lower[2])] == f"a{k}x{k * 7}"
        assert small.words_met() <= 50 + 4  # forgotten once past 50, before the next text
    assert small.generation >= 2


BATCHES = [
    [clean_for_model(rc.text) for rc in REPLIES],
    ["", "Hi Dana, don't!", "", "", "(order #48213) :) :-( a.m. U.S.A. 10:30am", "e-mail me@x.org! ...", ""],
    ["We can't. Ok?", "Thanks!!!—see “you” soon… 😀👍🏽 ΟΔΟΣ İstanbul", "x", "Straße ǅemal ok.", ""],
    [""],
    [],
]


@pytest.mark.parametrize("texts", BATCHES)
def test_batch_tokens_are_those_of_one_doc_of_the_batch(texts: list[str]) -> None:
    """Cleaned texts are tokenised piece by piece (each piece once, then remembered): the tokens, their hashes,
    places and replies are those of one Doc of the batch, without its whitespace tokens."""
    tokenizer = BatchTokenizer("en")
    fast = tokenizer(texts)
    again = tokenizer(list(reversed(texts)))  # every piece now remembered
    one = tokenizer._as_one_doc(texts, "\n".join(texts))
    words = one.rows >= 0
    assert (fast.rows >= 0).all() and len(fast.rows) == words.sum()
    for ours, doc in zip((fast.lower, fast.orth, fast.start, fast.end, fast.rows),
                         (one.lower, one.orth, one.start, one.end, one.rows), strict=True):  # fmt: skip
        assert ours.tolist() == doc[words].tolist()
    flipped = "\n".join(reversed(texts))
    assert [flipped[a:b] for a, b in zip(again.start.tolist(), again.end.tolist(), strict=True)] == [
        t.text for text in reversed(texts) for t in get_nlp("en").make_doc(text)
    ]


def test_texts_that_are_not_cleaned_are_tokenised_as_one_doc() -> None:
    texts = ["tab\tand  two spaces", " leading", "trailing ", "   ", "new\nline"]
    tokens = BatchTokenizer("en")(texts)
    doc = get_nlp("en").make_doc("\n".join(texts))
    assert tokens.lower.tolist() == [t.lower for t in doc] and (tokens.rows < 0).sum() == sum(t.is_space for t in doc)


@pytest.mark.parametrize("texts", [*BATCHES, [rc.text for rc in REPLIES]])
def test_lexicon_hits_on_the_batch_tokens_are_those_on_one_doc(texts: list[str]) -> None:
    texts = [*texts, "We regret to inform you that we can not, sorry for any inconvenience. Thank",
             "you can", "not help you can", "Hi hi!"]  # fmt: skip
    matcher, tokenizer = get_matcher("en"), BatchTokenizer("en")
    tokens = tokenizer(texts)
    categories, starts, ends = matcher.find_arrays(tokens)
    text = "\n".join(texts)
    spans = [text[a:b] for a, b in zip(tokens.start[starts].tolist(), tokens.end[ends - 1].tolist(), strict=True)]
    found = sorted(zip(categories, spans, strict=True))
    doc = get_nlp("en").make_doc(text)
    # hits inside one text ("Thank" + "you" of the next text is none; "you can" is one: "not" is the next text's)
    assert found == sorted((c, doc[a:b].text) for c, a, b in matcher.find_tokens(doc) if "\n" not in doc[a:b].text)
    assert ("apology_marker", "We regret to inform you") in found and ("refusal", "We regret to inform you") in found
    assert ("done_action", "you can") in found and starts.tolist() == sorted(starts.tolist())


def test_evidence_ranks_each_rows_contributions_as_lexsort_does() -> None:
    rng = np.random.default_rng(3)
    for n in (0, 1, 50, 5000):
        rows = np.sort(rng.integers(0, max(1, n // 5), n))
        contrib = rng.choice([0.5, 1.0, 2.0, 50.0, 1e-6, 2e-6], n) * rng.choice([1.0, 1.001], n)  # ties, tiny ones
        assert rank_in_rows(rows, contrib).tolist() == np.lexsort((-contrib, rows)).tolist()


def test_unique_inverse_is_what_np_unique_gives() -> None:
    rng = np.random.default_rng(5)
    for values in (np.zeros(0, np.uint64), np.array([7], np.uint64), rng.integers(0, 40, 500).astype(np.uint64),
                   rng.integers(0, 2**63, 300, dtype=np.uint64) * np.uint64(2)):  # fmt: skip
        found, inverse = unique_inverse(values)
        expected, expected_inverse = np.unique(values, return_inverse=True)
        assert found.tolist() == expected.tolist() and inverse.tolist() == expected_inverse.tolist()
        assert found[inverse].tolist() == values.tolist()
    words = ("kettle", "48213", ",", "'s", "\U0001f600", "_", "_a", "\u00e9", "\u00bd", "-", "")
    assert [w for w in words if _has_alnum(w)] == [w for w in words if any(ch.isalnum() for ch in w)]
    assert [w for w in words if _has_alnum(w)] == ["kettle", "48213", "'s", "_a", "\u00e9", "\u00bd"]
    assert [c for c in range(sys.maxunicode + 1) if _has_alnum(chr(c)) != chr(c).isalnum()] == []


def test_word_grams_name_a_column_by_the_words_a_reply_holds() -> None:
    f = ReplyFeaturizer(n_features=2**18, char_ngrams=None, vector_weight=None)
    f.fit([ReplyContext(t, CUSTOMER) for t in ("Happy to HELP, Dana!", "Sorry, we can't.")])
    tokens = _Tokens.of([clean_for_model(t) for t in ("Oh, happy to HELP, Dana!", "We can't help.")])
    grams = f.word_grams(tokens)
    col = next(c for c, g in f.word_names_.items() if g == "happy to help")
    first, length = grams.locate(np.array([0, 1]), np.array([col, col]))
    assert grams.text(int(first[0]), int(length[0])) == "happy to help"  # lower-cased, as the columns read it
    assert length[1] == 0  # the second reply has no n-gram in that column
    assert f.word_grams(_Tokens.of(["Happy to help"])).locate(np.array([0]), np.array([col]))[1][0] == 3


def test_locate_shown_keeps_the_n_grams_training_met() -> None:
    f = ReplyFeaturizer(n_features=2**18, char_ngrams=None, vector_weight=None)
    f.fit([ReplyContext(t, CUSTOMER) for t in ("Happy to help with the refund, Dana!", "Sorry, we can't.")])
    tokens = _Tokens.of([clean_for_model("Happy to help with the zorbic refund, Dana!")])
    grams = f.word_grams(tokens)
    rows, cols, first, length = grams._found
    worth = grams.informative(first, length)
    names = [grams.text(int(a), int(k)) for a, k in zip(first, length, strict=True)]
    none = grams.locate_shown(rows, cols, None)[2]  # no set (a featurizer saved before it): worth showing
    assert none.tolist() == grams.informative(*grams.locate(rows, cols)).tolist()
    ok = grams.locate_shown(rows, cols, f.word_seen_)[2]
    shown = {n for n, o in zip(names, ok, strict=True) if o}
    assert {"refund", "dana", "happy to help"} <= shown and not any("zorbic" in n for n in shown)
    assert all(w for w, o in zip(worth, ok, strict=True) if o)  # a subset of what is worth showing
    assert not grams.locate_shown(rows, cols, np.zeros(0, np.uint64))[2].any()  # an empty set shows nothing
    assert len(grams.locate_shown(rows[:0], cols[:0], f.word_seen_)[2]) == 0
    keys = seen_keys(grams.hashes, f.n_features)
    assert keys.dtype == np.uint64 and (keys >> np.uint64(16)).max() < f.n_features  # column, then 16 bits


@pytest.mark.parametrize(
    "texts",
    [
        ["Happy to help, Dana! Your order #48213 ships today.", "thanks!!! see you soon...", "ok"],
        # lower-casing the whole text would not lower-case each word as it does alone ("Σ", "İ")
        ["ΟΔΟΣ's kettle was refunded, sorry", "İstanbul flight İPTAL! help!Thanks", "Straße ǅemal 😀👍🏽 ok."],
        ["", "   ", "@bob see https://x.example/a?b=1 for more ^JD", "tab\tand\nnewline  here"],
    ],
)
def test_word_grams_spell_every_ngram_as_the_columns_read_it(texts: list[str]) -> None:
    f = ReplyFeaturizer(n_features=2**12, char_ngrams=None, vector_weight=None)
    f.fit([ReplyContext(t, CUSTOMER) for t in ("Happy to help!", "Sorry, we can't.")])
    tokens = _Tokens.of([clean_for_model(t) for t in texts] + ["not cleaned:\nhelp\u00a0me"])  # blanks, not spaces
    grams = f.word_grams(tokens)
    words = [t.lower_ for text in tokens.texts for t in get_nlp("en").make_doc(text) if not t.is_space]
    rows, cols, first, length = grams._found
    shown = [grams.text(w, k) for w, k in zip(first.tolist(), length.tolist(), strict=True)]
    assert shown == [" ".join(words[w : w + k]) for w, k in zip(first.tolist(), length.tolist(), strict=True)]
    found_first, found_length = grams.locate(rows, cols)
    assert (found_length > 0).all()  # every n-gram is found where it is (the first of a reply's in that column)
    assert grams.informative(first, length).tolist() == [
        any(informative_word(w) for w in words[a : a + k]) for a, k in zip(first.tolist(), length.tolist(), strict=True)
    ]


def test_word_grams_of_a_batch_without_words() -> None:
    f = ReplyFeaturizer(n_features=2**10, char_ngrams=None, vector_weight=None)
    f.fit([ReplyContext(t, CUSTOMER) for t in ("Happy to help!", "Sorry, we can't.")])
    grams = f.word_grams(_Tokens.of(["", ""]))
    first, length = grams.locate(np.array([0, 1]), np.array([5, 7]))
    assert length.tolist() == [0, 0] and grams.informative(first, length).tolist() == [False, False]
    assert [len(x) for x in grams.shown(first[:0], length[:0])[:2]] == [0, 0]


def test_word_grams_are_shown_as_the_reply_wrote_them() -> None:
    # each n-gram worth showing is shown as the reply's own words: the piece between sentence ends and
    # placeholders that holds its first word worth showing, punctuation, emoji and placeholders trimmed from
    # its ends, never part of a written word that spaCy split, in the reply's case
    f = ReplyFeaturizer(n_features=2**12, char_ngrams=None, vector_weight=None)
    f.fit([ReplyContext(t, CUSTOMER) for t in ("Happy to help!", "Sorry, we can't.")])
    texts = ["@bob Sorry . We don't want you to wait, Dana! 😊 Leaves at 4pm. You cannot miss it https://x.y ^JD",
             "We can't wait. @bob 'cause of weather"]  # fmt: skip
    tokens = _Tokens.of([clean_for_model(t) for t in texts])
    grams = f.word_grams(tokens)
    _, _, first, length = grams._found
    ok = grams.informative(first, length)
    at, end, text = grams.shown(first[ok], length[ok])
    shown = dict(zip(map(tuple, np.column_stack([first[ok], length[ok]]).tolist()),
                     (text[a:b] for a, b in zip(at.tolist(), end.tolist(), strict=True)), strict=True))  # fmt: skip
    words = [t.text for text in tokens.texts for t in get_nlp("en").make_doc(text) if not t.is_space]

    def of(*gram: str) -> str:
        at = next(w for w in range(len(words)) if tuple(words[w : w + len(gram)]) == gram)
        return shown[at, len(gram)]

    assert of("HANDLE", "Sorry", ".") == "Sorry" and of("Sorry", ".", "We") == "Sorry"
    assert of("do", "n't", "want") == "don't want" and of("n't", "want", "you") == "want you"
    assert of("want") == "want"
    assert of("wait", ",", "Dana") == "wait, Dana" and of("Dana", "!", "😊") == "Dana"
    assert of("pm") == "4pm" and of("at", "4", "pm") == "at 4pm"  # whole written words: "4pm", not "pm"
    assert of("can", "not", "miss") == "cannot miss" and of("miss", "it", "URL") == "miss it"
    assert of("ca") == "can't" and of("We", "ca") == "We can't"  # spaCy's "ca" of "can't" is shown whole
    assert of("HANDLE", "'cause") == "'cause" and of("'cause", "of", "weather") == "'cause of weather"
    assert all(a < b for a, b in zip(at.tolist(), end.tolist(), strict=True))
    assert grams.shown(first[:0], length[:0])[0].tolist() == []


def test_evidence_keeps_the_fuller_of_two_items_one_inside_the_other() -> None:
    def shown(found: list[str], *items: str) -> list[str]:
        keys = [g.lower() for g in found]
        for item in items:
            _show(found, keys, item)
            assert keys == [g.lower() for g in found]  # kept alongside the items
        return found

    found = shown([], "Thanks", "happy to help", "thanks for reaching out", "Happy", "THANKS FOR", "DM us")
    assert found == ["thanks for reaching out", "happy to help", "DM us"]
    assert shown(found, " ") == ["thanks for reaching out", "happy to help", "DM us"]  # nothing to show
    assert shown([], " ", "\t") == []
    # takes the place of the first it holds; the others it holds go
    assert shown(["help", "happy", "Dana"], "happy to help") == ["happy to help", "Dana"]
    assert shown(["help", "Dana", "happy", "to", "Bob"], "Happy to help") == ["Happy to help", "Dana", "Bob"]
    # whole words: "hi" is not in "reaching", "bag" not in "Baggage", "7" not in "17"
    found = shown(["Hi", "bag", "7"], "thanks for reaching out", "our Baggage office", "gate 17", "Rishi")
    assert found == ["Hi", "bag", "7", "thanks for reaching out", "our Baggage office", "gate 17", "Rishi"]
    # a substring that is no whole word, then the same words as a whole word further on
    assert shown(["bus to us"], "us", "US") == ["bus to us"]
    assert shown(["bus"], "us") == ["bus", "us"]
    cases = {("hi", "hi there"): True, ("us", "bus to us"): True, ("us", "bus"): False, ("7", "gate 17"): False,
             ("dm", "dm_us"): False, (", we", "sorry, we"): True, ("we", "we"): True,
             ("a b", "a bc"): False}  # fmt: skip
    assert {pair: _within(*pair) for pair in cases} == cases


def test_apology_evidence_leaves_the_placeholders_out() -> None:
    view = dense_features(ReplyContext("@bob I'm so sorry about the wait https://x.y, we'll fix it. ^JD", CUSTOMER))
    assert view.evidence["apology"] == ["I'm so sorry about the wait"]
    view = dense_features(ReplyContext("So sorry @john for the long wait on hold today.", CUSTOMER))
    assert view.evidence["apology_for_delay"] == ["for the long wait"]
    view = dense_features(ReplyContext("Sorry you were waiting so long!", CUSTOMER))
    assert view.evidence["apology_for_delay"] == ["Sorry you were waiting"]  # the whole word, not "wait"


def test_which_words_are_worth_showing() -> None:
    words = ("kettle", "48213", "the", "a", "x", "url", "handle", "signoff", ",", "'s", "dana", "n't", "😀", "sorry",
             "thanks", "dm", "your")  # fmt: skip
    worth = {w: informative_word(w) for w in words}
    assert [w for w, ok in worth.items() if ok] == ["kettle", "48213", "dana", "sorry", "thanks", "dm"]


def test_a_negated_modal_is_no_lexicon_hit() -> None:
    text = "Sadly you cannot change it. You can call us. We can not refund it. You do not need to."
    hits = get_matcher("en").find(text)
    found = [(h.category, h.text) for h in hits]
    assert ("done_action", "You can") in found and [t for c, t in found if c == "done_action"] == ["You can"]
    assert ("refusal", "We can not") in found  # a phrase that holds its own negation still matches
    fee = get_matcher("en").find("The fee is not due.")  # only a modal is negated so: this still answers
    assert ("done_action", "The fee is") in [(h.category, h.text) for h in fee]
    for lang, negated, plain in (
        ("nl", "U kunt niet annuleren.", "U kunt het formulier gebruiken."),
        ("de", "Sie können nicht stornieren.", "Sie können das Formular nutzen."),
    ):
        assert "done_action" not in {h.category for h in get_matcher(lang).find(negated)}, negated
        assert "done_action" in {h.category for h in get_matcher(lang).find(plain)}, plain
    view = dense_features(ReplyContext("You cannot change it.", CUSTOMER))
    assert view.values["lex_done_action"] == 0 and "lex_done_action" not in view.evidence


def test_sign_offs_of_one_letter_and_placeholder_words_typed_by_an_agent() -> None:
    cases = {"Thanks! ^H": "Thanks! SIGNOFF", "Glad to help *K.": "Glad to help SIGNOFF", "ok -H": "ok SIGNOFF",
             "Thanks ^JD": "Thanks SIGNOFF", "Go to gate - B": "Go to gate - B", "Plan A": "Plan A",
             "FAQ: * B": "FAQ: * B", "Thanks ^ H": "Thanks ^ H",
             "Send the URL you saw, @bob": "Send the url you saw, HANDLE",
             "Check https://x.y/URL now": "Check URL now"}  # fmt: skip
    assert {text: clean_for_model(text) for text in cases} == cases
    assert dense_features(ReplyContext("Please send us the URL of the page.", CUSTOMER)).values["has_url"] == 0
    assert dense_features(ReplyContext("Please see https://x.y for it.", CUSTOMER)).values["has_url"] == 1
    from qa_toolkit import normalise, templates
    from qa_toolkit.rules import text

    assert templates._SIGN_OFF is normalise.SIGN_OFF_TAIL and text._SIGN_OFF is normalise.SIGN_OFF_TAIL  # one rule


def test_sign_off_replaced_from_the_end_as_a_search_from_the_start_would() -> None:
    from qa_toolkit.normalise import SIGN_OFF_TAIL, SIGN_OFF_TAIL_LONGEST, replace_sign_off

    longest = " ^ J" + "a" * 11 + "!!!"
    assert SIGN_OFF_TAIL.fullmatch(longest) and len(longest) == SIGN_OFF_TAIL_LONGEST  # no longer one matches
    assert not SIGN_OFF_TAIL.fullmatch(" ^ J" + "a" * 12 + "!!!") and not SIGN_OFF_TAIL.fullmatch(" ^Ja!!!!")
    rng = np.random.default_rng(5)
    pieces = [" ", "^", "*", "~", "/", "-", "J", "D", "a", "b", "!", ".", " :)", "x", "\n", "Thanks", "^JD", "-H"]
    texts = ["".join(rng.choice(pieces, rng.integers(0, 12))) for _ in range(3000)] + [longest, longest + "\n"]
    for text in texts:
        assert replace_sign_off(text, " SIGNOFF") == SIGN_OFF_TAIL.sub(" SIGNOFF", text), repr(text)


def test_batch_tokenizer_shared_by_threads_gives_each_its_own_tokens() -> None:
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(7)
    words = [f"{w}{k}" for w in ("order", "Sorry", "can't", "(ok)", "a.m.", "x@y") for k in range(300)]
    batches = [[" ".join(rng.choice(words, 8)) for _ in range(30)] for _ in range(120)]
    alone = [[t.lower for text in batch for t in get_nlp("en").make_doc(text)] for batch in batches]
    shared = BatchTokenizer("en", max_seen=400)  # forgets its pieces often, while other threads read
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch all the time: without the tokenizer's lock this fails
    try:
        with ThreadPoolExecutor(8) as pool:
            found = list(pool.map(lambda batch: shared(batch).lower.tolist(), batches * 3))
    finally:
        sys.setswitchinterval(interval)
    assert found == alone * 3


def test_a_pieces_tokens_do_not_depend_on_its_neighbours() -> None:
    """In one Doc, spaCy's special-case pass can read an emoticon across two pieces (":)" + ")" as ":))") and
    split both differently; the batch tokenizer gives each piece the tokens it gets alone, whatever batch it
    was first met in."""
    alone = [t.text for t in get_nlp("en").make_doc("Delta:)")]
    for first in (["Thanks Delta:)", ") see you"], ["Thanks Delta:) )"], ["ok (", "Delta:)"]):
        tokenizer = BatchTokenizer("en")
        tokenizer(first)
        tokens = tokenizer(["Thanks Delta:) )"])
        assert ["Thanks Delta:) )"[a:b] for a, b in zip(tokens.start.tolist(), tokens.end.tolist(), strict=True)] == [
            "Thanks",
            *alone,
            ")",
        ]


def test_docs_made_to_match_a_message_leave_the_shared_vocabulary_alone_and_stay_bounded() -> None:
    from qa_toolkit.nlp import RenewingPipeline
    from qa_toolkit.rules.text import analyse

    message = "Sorry for any inconvenience with order {k} (code Zq{k}x): please DM us your booking reference."
    first = analyse(message.format(k=0), "en")  # the lexicons are loaded once, into the shared vocabulary
    shared = len(get_nlp("en").vocab)
    for k in range(1, 40):  # every message has new words
        assert analyse(message.format(k=k), "en").by_category.keys() == first.by_category.keys()
    assert len(get_nlp("en").vocab) == shared
    small = RenewingPipeline("en", max_words=20)
    docs = [small.make_doc(f"code Zq{k}x and W{k}y") for k in range(30)]
    assert small.generation >= 2 and small.words_met() <= 20 + 2
    assert [t.lower_ for t in docs[0]] == ["code", "zq0x", "and", "w0y"]  # a Doc keeps the vocabulary it was made with
    text = "We apologise for any inconvenience, sorry about that."
    matcher = get_matcher("en")
    assert matcher.find_in_doc(small.make_doc(text)) == matcher.find_in_doc(get_nlp("en").make_doc(text))
    assert get_matcher("en").find(text)  # the hashes are the same in every pipeline: the phrases are found
