from django.db import transaction

from web.celery_app import app


def create_order(order):
    with transaction.atomic():
        order.save()
        # Published before the commit: the worker may not find the order yet.
        app.send_task("worker.tasks.charge", args=[order.pk])
