import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from documents import index
from documents.models import Document
from evaluation import importing, runner
from evaluation.models import EvalRun
from evaluation.scoring import Scores
from tenants.management.commands._args import get_tenant
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Score retrieval on a workspace's test questions (those of its Evaluation page, recorded as "
        "a run there), or on the questions of a CSV or JSONL file (--questions, not recorded): "
        "hit@1, hit@k and MRR. Exits non-zero when there is nothing to evaluate."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The workspace's slug")
        parser.add_argument("--questions", type=Path, metavar="FILE", help="CSV or JSONL questions")
        parser.add_argument("--json", action="store_true", help="Print one JSON document")

    def handle(self, *args: object, slug: str, questions: Path | None, json: bool, **options: Any) -> None:
        tenant = get_tenant(slug)
        report = self.from_file(tenant, questions) if questions is not None else self.stored(tenant)
        if json:
            self.stdout.write(_json(report))
        else:
            self.print(report)

    def from_file(self, tenant: Tenant, path: Path) -> dict[str, Any]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        outcome = importing.parse(
            data, importing.Documents(Document.objects.filter(tenant=tenant)), path.name
        )
        if outcome.errors:
            raise CommandError(f"{path}: nothing evaluated.\n" + "\n".join(outcome.errors))
        result = runner.evaluate(tenant, runner.specs_from_rows(outcome.rows))
        model = index.current(tenant).store.model
        return _report(tenant, model, result.scores, result.groups, result.results, run=None)

    def stored(self, tenant: Tenant) -> dict[str, Any]:
        try:
            run = runner.start(tenant, EvalRun.Trigger.MANUAL, enqueue=False)
        except runner.RunRefused as exc:
            raise CommandError(f"{tenant.slug}: {exc} (or pass --questions FILE)") from exc
        run = runner.execute(run.pk)
        if run is None or run.status != EvalRun.Status.DONE:
            raise CommandError(f"The run failed: {run.error if run else 'a worker took it'}")
        scores = Scores(run.questions_total, run.hit_at_1 or 0.0, run.hit_at_k or 0.0, run.mrr or 0.0, run.k)
        groups = {label: Scores(**s) for label, s in run.groups.items()}
        return _report(tenant, run.embedding_model, scores, groups, run.results, run=run)

    def print(self, report: dict[str, Any]) -> None:
        s = report["scores"]
        self.stdout.write(
            f"{report['workspace']}: {s['questions']} questions, embedding model {report['embedding_model']}"
        )
        self.stdout.write(f"  {'':<16} {'n':>5} {'hit@1':>7} {'hit@' + str(s['k']):>7} {'MRR':>7}")
        rows = [("all", s), *report["groups"].items()]
        for label, g in rows:
            figures = f"{g['hit_at_1']:>7.3f} {g['hit_at_k']:>7.3f} {g['mrr']:>7.3f}"
            self.stdout.write(f"  {label:<16} {g['questions']:>5} {figures}")
        missed = [r for r in report["results"] if r["rank"] is None]
        for r in missed:
            self.stdout.write(f"  not in the top {s['k']}: {r['text']} ({r['title']}, p. {r['pages']})")
        if report.get("run"):
            self.stdout.write(f"Recorded as run {report['run']}.")


def _report(
    tenant: Tenant,
    model: str,
    scores: Scores,
    groups: dict[str, Scores],
    results: list[Any],
    run: EvalRun | None,
) -> dict[str, Any]:
    return {
        "workspace": tenant.slug,
        "embedding_model": model,
        "scores": scores.as_dict(),
        "groups": {label: g.as_dict() for label, g in groups.items()},
        "results": results,
        "run": str(run.public_id) if run else None,
    }


def _json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)
