from django.db import models
from django.utils.timezone import now


class WorkerHeartbeat(models.Model):
    """One row per running `db_worker` process, renewed every WORKER_HEARTBEAT_SECONDS.

    /healthz and `manage.py status` read it: a deployment whose workers all died says so.
    """

    name = models.CharField(max_length=200, unique=True)  # host:pid
    queues = models.CharField(max_length=500)  # as given to --queue-name ("*" for all)
    started = models.DateTimeField(default=now)
    seen = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # health: "any worker seen since ...?"; status: the workers seen lately, newest first.
            models.Index(fields=["-seen"], name="heartbeat_seen"),
        ]

    def __str__(self) -> str:
        return self.name
