"""Matching accuracy over several seeds, in process: a faster companion to shared/eval.

``fewshot.py`` (in ``../shared/eval``) is the reference measurement, for one seed at a time
and through the CLI. This script reuses its split, runs the matcher in process over several
seeds, prints top-1 beside rapidfuzz's token_set_ratio on the same split, and how many
negative queries were answered; then a leave-one-symptom-out check of the bundled KB (EN/ID).

    .venv/bin/python bench/accuracy.py --seeds 7,1,2,3 [--loo] [--misses]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
sys.path[:0] = [str(ROOT), str(EVAL)]

from knowledge.articles import ArticleDoc, read_folder  # noqa: E402
from knowledge.matching import Decision, Matcher  # noqa: E402
from knowledge.store import BUNDLED  # noqa: E402


def generated_docs(articles: dict[str, tuple[str, str, list[str]]]) -> list[ArticleDoc]:
    """The articles fewshot.py writes as files, built directly."""
    return [
        ArticleDoc(
            id=aid,
            lang=lang if lang in ("en", "id") else "en",
            title=symptoms[0],
            topic="other",
            symptoms=tuple(symptoms),
            body="-",
        )
        for aid, (_, lang, symptoms) in articles.items()
    ]


def reference_top1(articles: dict[str, tuple[str, str, list[str]]], queries: list) -> float:
    """fewshot.py's rapidfuzz reference, on the same split."""
    choices = [(aid, s) for aid, (_, _, symptoms) in articles.items() for s in symptoms]
    hits = positives = 0
    for query, gold in queries:
        if gold is None:
            continue
        positives += 1
        best = process.extractOne(
            query, [s for _, s in choices], scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
        )  # fmt: skip
        hits += best is not None and choices[best[2]][0] == gold
    return hits / max(1, positives)


def evaluate(seeds: list[int], misses: bool) -> None:
    import fewshot  # type: ignore[import-not-found]

    for path in sorted((EVAL / "data").glob("*.jsonl")):
        rows = []
        for seed in seeds:
            articles, queries = fewshot.split(str(path), 5, seed)
            matcher = Matcher(generated_docs(articles))
            hits = positives = answered_negatives = negatives = 0
            for query, gold in queries:
                result = matcher.match(query)
                top = result.best.article if result.best else None
                if gold is None:
                    negatives += 1
                    answered_negatives += result.decision is Decision.ANSWER
                    continue
                positives += 1
                hits += top == gold
                if misses and top != gold and seed == seeds[0]:
                    print(f"    miss {query!r}: wanted {gold}, got {top}")
            rows.append(
                (hits / positives, reference_top1(articles, queries), answered_negatives, negatives)
            )
        garda = sum(r[0] for r in rows) / len(rows)
        ref = sum(r[1] for r in rows) / len(rows)
        negs = f"{sum(r[2] for r in rows)}/{sum(r[3] for r in rows)}"
        print(
            f"{path.stem:28s} top1 {garda:.3f}  rapidfuzz {ref:.3f}  ({garda - ref:+.3f})  "
            f"negatives answered {negs}  per seed {[round(r[0], 3) for r in rows]}"
        )


def leave_one_out() -> None:
    docs = read_folder(BUNDLED)
    matcher = Matcher(docs)
    for lang in ("en", "id"):
        hits = total = answered = right = 0
        for doc in (d for d in docs if d.lang == lang):
            for j, symptom in enumerate(doc.symptoms):
                rest = tuple(s for i, s in enumerate(doc.symptoms) if i != j)
                matcher.add(dataclasses.replace(doc, symptoms=rest))  # replaces it in place
                result = matcher.match(symptom)
                top = result.best.article if result.best else None
                total += 1
                hits += top == doc.id
                if result.decision is Decision.ANSWER:
                    answered += 1
                    right += top == doc.id
            matcher.add(doc)
        print(
            f"bundled KB, leave one symptom out ({lang}): top1 {hits / total:.3f}, "
            f"answered {answered}/{total} of which right {right / max(1, answered):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,1,2,3")
    parser.add_argument("--loo", action="store_true", help="also the bundled-KB check")
    parser.add_argument("--misses", action="store_true", help="list misses of the first seed")
    args = parser.parse_args()
    if EVAL.is_dir():
        evaluate([int(s) for s in args.seeds.split(",")], args.misses)
    else:
        print(f"no evaluation sets at {EVAL}: skipping them")
    if args.loo:
        leave_one_out()


if __name__ == "__main__":
    main()
