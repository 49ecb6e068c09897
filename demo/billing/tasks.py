from billing.celery_app import app


# Acknowledged late, may run two hours, Redis takes the message back after one (CL203).
@app.task(time_limit=2 * 60 * 60, soft_time_limit=110 * 60)
def export_invoices(month):
    return month
