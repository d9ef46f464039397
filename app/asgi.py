"""The ASGI entry point uvicorn imports: `app.asgi:app`."""

from app.main import create_app
from infra.settings import load_settings

app = create_app(load_settings())
