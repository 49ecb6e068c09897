broker_url = "redis://redis:6379/0"
result_backend = "redis://redis:6379/1"
result_expires = None
task_serialiser = "json"
