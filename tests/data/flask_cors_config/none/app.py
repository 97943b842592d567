from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
app.config["CORS_MAX_AGE"] = 600
CORS(app, supports_credentials=True)  # expect: PY310 (no origins configured anywhere: flask-cors's "*")
