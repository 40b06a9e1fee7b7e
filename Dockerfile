FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
WORKDIR /app
# OpenCV (RapidOCR's image handling) loads libGL and GLib, which the slim image lacks.
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings, not a database: a placeholder URL keeps the embedded server off.
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build DEBUG=false \
    python manage.py collectstatic --noinput
RUN useradd --create-home docuchat && mkdir -p /data && chown docuchat /data
USER docuchat
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "docuchat.asgi:application"]
