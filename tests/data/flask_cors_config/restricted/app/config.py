"""Configuration classes loaded with app.config.from_object: the origins flask-cors allows."""

ALLOWED_ORIGINS = ["https://app.example.com", "https://admin.example.com"]


class Config:
    CORS_ORIGINS = ALLOWED_ORIGINS
    CORS_SUPPORTS_CREDENTIALS = True


class DevelopmentConfig(Config):
    CORS_ORIGINS = "*"  # a developer's machine: not what production runs
