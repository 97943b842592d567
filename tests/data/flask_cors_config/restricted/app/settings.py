from flask import current_app


def configure(app):
    app.config.update({"CORS_ORIGINS": ["https://partner.example.com"]})
    current_app.config["CORS_ORIGINS"] = r"https://.*\.example\.com"
