"""The Slack adapter: mentions, DMs, thread follow-ups, `/citebot`, feedback and sharing.

It only translates: a Slack event becomes `(question, history, collection)` for the
`Answerer`, and the `Answer` becomes Block Kit (`bot/slack_render.py`). Built on slack-bolt's
`AsyncApp`: Bolt acknowledges every request at once (Slack's 3-second rule) and runs the
listener as a task; the answer is computed in a worker thread (`Answerer.aask`), so a slow
question never holds up the others.

- `listeners`: one listener per event, and the little state they share;
- `history`: the conversation before a message, read from Slack (its question is
  `bot.core.question_from_chat`, shared with Discord and the CLI);
- `delivery`: posting, ephemeral notes and reactions, with Slack's refusals handled;
- `state`: the expiring maps that drop retries and save calls (nothing needed to answer);
- `serve`: `build_slack_app` wires the listeners onto a client (tests pass one pointed at a
  local fake Slack); `serve_slack` is `citebot serve slack`.
"""

from bot.slack.serve import EVENTS_PATH, build_slack_app, build_web_app, serve_slack

__all__ = ["EVENTS_PATH", "build_slack_app", "build_web_app", "serve_slack"]
