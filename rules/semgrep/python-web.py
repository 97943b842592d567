# Test cases for rules/semgrep/python-web.yaml, checked by `semgrep --test` (tests/test_peers.py).
import flask
from flask import Flask, redirect, render_template_string, request, send_file

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    # ruleid: ts-flask-template-string-from-request
    return render_template_string("<h1>Hello " + name + "</h1>")


@app.route("/hello-safe")
def hello_safe():
    # ok: ts-flask-template-string-from-request
    return render_template_string("<h1>Hello {{ name }}</h1>", name=request.args.get("name", ""))


@app.route("/login")
def login():
    # ruleid: ts-flask-redirect-from-request
    return redirect(request.args.get("next"))


@app.route("/login-safe")
def login_safe():
    target = request.args.get("next", "/")
    if target.startswith("/") and not target.startswith("//"):
        # ok: ts-flask-redirect-from-request
        return redirect(target)
    return redirect("/")


@app.route("/invoice")
def invoice():
    # ruleid: ts-flask-send-file-from-request
    return flask.send_file("/srv/invoices/" + request.args["file"])


@app.route("/invoice-safe")
def invoice_safe():
    # ok: ts-flask-send-file-from-request
    return send_file("/srv/invoices/summary.pdf")


def find_orders(cur, customer, status):
    # ruleid: ts-dbapi-execute-formatted-sql
    cur.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")
    # ruleid: ts-dbapi-execute-formatted-sql
    cur.execute("SELECT * FROM orders WHERE status = '%s'" % status)
    # ok: ts-dbapi-execute-formatted-sql
    cur.execute("SELECT * FROM orders WHERE customer = %s AND status = %s", (customer, status))
