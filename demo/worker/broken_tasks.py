from worker.celery_app import app


@app.task(time_limit=60
def half_written(x):
    return x
