# Image for the service, the trainer and the Dask scheduler / workers (compose builds it once).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hpo_service ./hpo_service
COPY trainer ./trainer
COPY migrations ./migrations
RUN pip install ".[server,trainer,dask]"
RUN useradd --create-home hpo
USER hpo
EXPOSE 8000
CMD ["hpo", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
