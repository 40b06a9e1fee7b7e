"""Tuning runs: the evaluation set ingested once, then measured with the search's constants varied.

    .venv/bin/python bench/eval/tune.py [--windows N] NAME=VALUE[,NAME=VALUE...] ...

Each argument is one variant: constants of chat.retrieval set for that run (the first run is
always the code as it is). --windows sets documents.windows.SENTENCES_PER_WINDOW for the
ingestion. Prints hit@1 / hit@6 per group for each. Only for comparing variants on this set:
see docs/retrieval.md on the risk of tuning to it.
"""

import sys
from pathlib import Path

variants = sys.argv[1:]
window_size = 0
if variants[:1] == ["--windows"]:
    window_size, variants = int(variants[1]), variants[2:]
sys.argv = [sys.argv[0]]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (sets up Django on the benchmark database)


def main() -> None:
    from chat import retrieval
    from documents import windows

    windows.SENTENCES_PER_WINDOW = window_size or windows.SENTENCES_PER_WINDOW

    questions = run.load_questions()
    run.autovacuum(False)
    tenant = run.fresh_tenant()
    ids, _ = run.ingest(tenant)
    defaults = {name: getattr(retrieval, name) for v in variants for name in dict_of(v)}
    groups = ("all", "kind:phrase", "kind:faq", "kind:paraphrase", "lang:ru")
    header = " ".join(f"{g.split(':')[-1]:>13}" for g in groups)
    print(f"{'variant':<48} {header}  contents-first  ms/question")
    for variant in ["", *variants]:
        for name, value in defaults.items():
            setattr(retrieval, name, value)
        for name, value in dict_of(variant).items():
            setattr(retrieval, name, value)
        result = run.measure(tenant, ids, questions)
        s = result["scores"]
        cells = " ".join(f"{s[g]['hit_at_1']:.3f}/{s[g]['hit_at_k']:.3f}" for g in groups)
        first = result["contents_first_with_body_match"].get("all", 0)
        print(f"{variant or '(as is)':<48} {cells}  {first:>14}  {result['search_ms_mean']:>11}", flush=True)
    run.delete_tenant(tenant)
    run.autovacuum(True)


def dict_of(variant: str) -> dict[str, float | int]:
    pairs = (part.split("=") for part in variant.split(",") if part)
    return {k: int(v) if v.lstrip("-").isdigit() else float(v) for k, v in pairs}


main()
