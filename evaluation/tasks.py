"""Background tasks of the evaluation app (django.tasks, on the django-tasks-db queue)."""

from django.tasks import task


@task()
def run_evaluation(run_id: int) -> str:
    """Score a queued evaluation run. Idempotent: a duplicate task finds nothing to claim."""
    from evaluation import runner

    run = runner.execute(run_id)
    return run.status if run else "skipped"
