from celery import Celery

app = Celery("web")
app.config_from_object("web.settings")


def place_order(order_id):
    app.send_task("worker.tasks.charge", args=[order_id])
