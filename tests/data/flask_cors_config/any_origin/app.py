from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
app.config.update(CORS_ORIGINS="*")
CORS(app, supports_credentials=True)  # expect: PY310 (CORS_ORIGINS is "*")
