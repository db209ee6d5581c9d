# connectedcar-simulator: the API over mTLS on port 8443.
#   docker build -t connectedcar-sim .
#   docker run -p 8443:8443 -v "$PWD/certs:/app/certs" connectedcar-sim
# Certificates are written to /app/certs on first start (mount it to reuse them).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CCSIM_HOST=0.0.0.0 \
    CCSIM_PORT=8443 \
    CCSIM_CERTS=/app/certs

WORKDIR /app
COPY pyproject.toml README.md ./
COPY simulator ./simulator
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 simulator \
    && mkdir -p /app/certs \
    && chown simulator /app/certs

USER 10001
EXPOSE 8443
ENTRYPOINT ["connectedcar-sim"]
CMD ["serve"]
