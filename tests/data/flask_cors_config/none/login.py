"""The app's login keeps the user in Flask's session cookie: what a browser sends on its own (PY310's concern)."""
from flask import session


def remember(user_id):
    session["user_id"] = user_id
