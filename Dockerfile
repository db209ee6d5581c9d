# connectedcar-simulator: the Stellantis connected-car API v4 over mTLS on port 8443.
#   docker build -t connectedcar-sim .
#   docker run --rm -p 8443:8443 -v "$PWD/certs:/certs" connectedcar-sim
# Certificates are written to /certs on first start (mount it to hand them to your app);
# the journal and undelivered events live in /data. docs/container.md says more.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY simulator ./simulator
COPY scenarios ./scenarios
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    CCSIM_PORT=8443 \
    CCSIM_CERTS=/certs \
    CCSIM_DATA_DIR=/data \
    CCSIM_CERT_HOSTS=host.docker.internal,simulator
COPY --from=build /wheels /wheels
# Group 0 owns the writable folders, so the image also runs as any uid given with
# --user (a host mount owned by you: docker run --user "$(id -u):0").
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --uid 10001 --gid 0 --no-create-home --home-dir /tmp simulator \
    && mkdir -p /certs /data \
    && chown 10001:0 /certs /data \
    && chmod 0775 /certs /data
COPY scenarios /scenarios
USER 10001
EXPOSE 8443
VOLUME ["/certs", "/data"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["connectedcar-sim", "health"]
ENTRYPOINT ["connectedcar-sim"]
CMD ["serve", "--host", "0.0.0.0"]
