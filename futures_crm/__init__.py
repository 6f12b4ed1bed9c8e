"""The CRM's project package. Its Celery app is `futures_crm.celery.app`, imported by the modules that
define tasks (and found by `celery -A futures_crm`), not here: not every process needs Celery."""
