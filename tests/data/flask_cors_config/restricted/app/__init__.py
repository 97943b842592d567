from flask import Flask
from flask_cors import CORS, cross_origin

app = Flask(__name__)
app.config.from_object("app.config.Config")
CORS(app, supports_credentials=True)  # ok: PY310 (config.py names the allowed origins)


@app.route("/me")
@cross_origin(supports_credentials=True)  # ok: PY310
def me():
    return {"user": "me"}


@app.route("/public")
@cross_origin(origins="*", supports_credentials=True)  # expect: PY310 (the call's own origins win over the config)
def public():
    return {}
