from celery import Celery

app = Celery("reports", broker="redis://reports-redis:6379/0")
app.conf.update(
    CELERY_TASK_SERIALIZER="json",
    task_time_limit=300,
    task_ignore_result=True,
)
