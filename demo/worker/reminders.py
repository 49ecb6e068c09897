from worker.celery_app import app


# Nothing the worker imports imports this module: its tasks are never registered.
@app.task(time_limit=60, soft_time_limit=50, ignore_result=True)
def send_payment_reminder(order_id):
    print("reminding", order_id)
