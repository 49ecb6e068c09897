# Old-style (pre-4.0) setting names in a module loaded without a namespace.
BROKER_URL = "redis://redis:6379/0"
CELERY_TASK_SERIALIZER = "pickle"
CELERY_ACCEPT_CONTENT = ["pickle", "json"]
