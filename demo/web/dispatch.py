from web.celery_app import app


def remind_unpaid(order_id):
    # A typo: the worker registers `worker.tasks.charge`, and refuses this message.
    app.send_task("worker.tasks.chrage", args=[order_id])
