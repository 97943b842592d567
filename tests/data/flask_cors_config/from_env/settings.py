import os

CORS_ORIGINS = os.environ.get("ALLOWED_ORIGINS", "").split(",")
