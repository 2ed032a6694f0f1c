"""The Postgres notification channel background work is announced on.

A notification is only a hint that there may be due work; the worker also polls, so a missed one
(e.g. while it reconnects) delays work by at most one poll interval and loses nothing.
"""

WORK_CHANNEL = "stapel_work"
