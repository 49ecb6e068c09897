import multiprocessing

import requests

from worker.celery_app import app


@app.task
def charge(order_id):
    print("charging", order_id)


@app.task(time_limit=60, soft_time_limit=120)
def render_invoice(order_id):
    return f"invoice-{order_id}"


@app.task(time_limit=600)
def rebuild_search_index():
    with multiprocessing.Pool(4) as pool:  # celerylint: ignore[CL999]
        pool.map(print, range(10))
    return True


@app.task(time_limit=60)
def send_receipt(order_id):
    invoice = render_invoice.delay(order_id)
    return invoice.get()


@app.task(time_limit=60, max_retries=None, autoretry_for=(Exception,))
def sync_inventory(sku):
    return requests.post("https://erp.example.com/sync", json={"sku": sku}).ok


@app.task(time_limit=60)
def refund(self, order_id):  # celerylint: ignore[CL302]
    try:
        return requests.post("https://psp.example.com/refund", json={"id": order_id}).ok
    except requests.ConnectionError as exc:
        self.retry(exc=exc)


def checkout(order_id):
    charge.delay(order_id, countdown=10)
    send_receipt.apply_async(args=(order_id))


@app.task(time_limit=60, serializer="yaml")
def export_catalog():
    return {"items": []}


@app.task(bind=True, time_limit=60, max_retries=3)
def notify(self, user_id):
    try:
        return requests.post("https://push.example.com", json={"user": user_id}).ok
    except requests.Timeout as exc:
        self.retry(exc=exc, countdown=30)


# The exception passed where the task's arguments go: the retry fails with TypeError.
@app.task(bind=True, time_limit=60, max_retries=3)
def capture(self, order_id):
    try:
        return requests.post("https://psp.example.com/capture", json={"id": order_id}).ok
    except requests.ConnectionError as exc:
        raise self.retry(exc)


# Backoff without automatic retries: Celery ignores it, and each retry waits 180 s.
@app.task(bind=True, time_limit=60, max_retries=5, retry_backoff=True)
def reindex(self, sku):
    try:
        return requests.post("https://search.example.com/index", json={"sku": sku}).ok
    except requests.ConnectionError as exc:
        raise self.retry(exc=exc)


# A misspelled option: Celery keeps `ignore_results` as an attribute and stores every
# result anyway (CL805, and CL501 for the result nobody reads).
@app.task(time_limit=60, ignore_results=True)
def log_visit(page):
    print("visit", page)


# An `async def` task: the worker gets a coroutine and never awaits it (CL806).
@app.task(time_limit=60, ignore_result=True)
async def warm_cache(sku):
    return sku
