"""casebot's HTTP interface: the public case pages, feeds, the open dataset and pictures,
and the organizers' Mini App (web/miniapp/).

It sits beside handlers/ (the Telegram interface) and uses storage and messages the same
way: `web.server.build_web_app` takes the engine and services explicitly and knows
nothing of Telegram. See web/server.py for the routes.
"""
