# The CRM web image; the same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected at build time and served by WhiteNoise; compiled catalogues are committed.
# The project's modules are compiled once here: PYTHONDONTWRITEBYTECODE keeps every process (each import,
# worker and web worker) from writing them, so without this each one compiled the whole project anew.
RUN SECRET_KEY=build-only-not-secret DATABASE_URL=postgres://build@unused/none \
    python manage.py collectstatic --noinput -v 0 \
 && python -m compileall -q -j 0 -x '/(\.venv|var|node_modules)/' /app \
 && useradd --create-home --uid 1000 crm && mkdir -p /app/var && chown -R crm /app/var
USER crm
EXPOSE 8000
CMD ["gunicorn", "futures_crm.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", \
     "--workers", "3", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
