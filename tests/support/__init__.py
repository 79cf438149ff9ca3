"""What the tests share, written once.

- `fake_slack`, `fake_discord`: local fakes of Slack's Web API and of Discord's REST API and
  gateway, for real slack_sdk/slack_bolt and discord.py clients over loopback;
- `answers`: `make_quote`, `make_answer` and the one `StubAnswerer` standing in for
  `retrieval.Answerer` in adapter tests;
- `embeddings`: instant, deterministic stand-in embeddings (`HashEmbeddings`) for tests
  about the store's bookkeeping, not relevance;
- `cli`: `run_cli`, the `citebot` command in a subprocess with a clean environment;
- `net`: `free_port`;
- `settings`: `make_settings`, settings isolated from the developer's `.env`;
- `documents`: PDF and Word files built in the test (reportlab, python-docx), and `chroma`: a
  `chroma run` server on loopback.
"""
