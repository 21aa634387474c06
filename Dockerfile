# guidebot's image, built from the wheel: no working tree and no secret in any layer.
#   docker build -t guidebot .
#   docker run -d --name guidebot -e DISCORD_TOKEN -p 127.0.0.1:9108:9108 guidebot
# The guide ships inside the package; mount your own and point GUIDEBOT_GUIDE_PATH at it, and
# mount a config.toml at /app/config.toml or set GUIDEBOT_<SECTION>_<KEY> variables (README).

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY data ./data
RUN pip wheel --no-deps --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home guidebot
COPY constraints.txt /tmp/constraints.txt
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --constraint /tmp/constraints.txt /wheels/guidebot-*.whl \
    && rm /tmp/constraints.txt
WORKDIR /app
# Metrics and /healthz on every interface of the container; publish the port only where
# Prometheus and the health check can reach it. Insight records go to the volume below.
ENV GUIDEBOT_METRICS_HOST=0.0.0.0 \
    GUIDEBOT_METRICS_PORT=9108 \
    GUIDEBOT_INSIGHT_URL=sqlite:////app/var/insight.sqlite3
RUN install -d -o guidebot -g guidebot /app/var
VOLUME /app/var
USER guidebot
EXPOSE 9108
# 200 when connected to Discord's gateway and serving a guide; 503 (so unhealthy) otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['GUIDEBOT_METRICS_PORT'], timeout=4)"]
ENTRYPOINT ["guidebot"]
CMD ["run"]
