from celery import Celery

# The broker password is committed with the code (CL104), eager mode is left on (CL604).
app = Celery("billing", broker="redis://:b1ll1ng-s3cret@redis:6379/2")
app.conf.task_always_eager = True
app.conf.task_acks_late = True
