"""Worker tasks of the webhooks app (procrastinate discovers `tasks` modules)."""

from procrastinate.contrib.django import app

from .outbox import DELIVERY_QUEUE, DELIVERY_TASK


@app.task(name=DELIVERY_TASK, queue=DELIVERY_QUEUE, pass_context=True)
def deliver(context, delivery_id: int) -> None:
    """Send one delivery (an attempt); raise to have it retried on the schedule."""
