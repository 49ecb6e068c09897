from shipping.celery_app import app


@app.task(queue="labels", time_limit=60)
def print_label(order_id):
    # The only worker consuming "labels" runs the threads pool: the limit is never enforced.
    print(order_id)


@app.task(queue="customs", time_limit=60)
def file_customs_declaration(order_id):
    # No worker consumes "customs": the task waits in Redis forever.
    print(order_id)
