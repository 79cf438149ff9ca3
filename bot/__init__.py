"""Chat adapters (console, Slack, Discord) and the `citebot` command line.

Adapters translate chat events into questions for `retrieval.Answerer` and render the
`Answer` it returns as chat markup; no retrieval logic lives here.
"""
