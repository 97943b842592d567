from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
app.config.from_pyfile("settings.py")
CORS(app, supports_credentials=True)  # expect: PY310 (review, low: CORS_ORIGINS comes from the environment)
