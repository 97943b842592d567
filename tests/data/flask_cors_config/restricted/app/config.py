"""Configuration class loaded with app.config.from_object: the origins flask-cors allows."""


class Config:
    CORS_ORIGINS = ["https://app.example.com", "https://admin.example.com"]
    CORS_SUPPORTS_CREDENTIALS = True
