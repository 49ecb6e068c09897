from celery import Celery

# The shipping service's own app. Its deployment (docker-compose.yml beside this
# file) starts the workers with a different broker and pools than the code says.
app = Celery("shipping", broker="redis://shipping-redis:6379/0", include=["shipping.tasks"])
app.conf.update(task_soft_time_limit=50, task_ignore_result=True)
