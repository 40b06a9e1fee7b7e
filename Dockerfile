FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data STATIC_ROOT=/app/staticfiles
WORKDIR /app
# OpenCV (RapidOCR's image handling) loads libGL and GLib, which the slim image lacks.
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings, not a database: a placeholder URL keeps the embedded server off.
# The files stay in the image (STATIC_ROOT, outside the /data volume, so a new image's files are
# never hidden by an old volume); compose's migrate service copies them for nginx.
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build DEBUG=false \
    python manage.py collectstatic --noinput
RUN useradd --create-home docuchat && mkdir -p /data && chown docuchat /data
USER docuchat
EXPOSE 8000
# uvicorn with uvloop and httptools (docuchat/serve.py; chosen by measurement, docs/deploy.md).
# WEB_CONCURRENCY=N runs N processes on the port; set REDIS_URL when N > 1.
CMD ["python", "-m", "docuchat.serve", "--host", "0.0.0.0", "--port", "8000"]
