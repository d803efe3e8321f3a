"""The interactive API documentation: Swagger UI over the merged ``/openapi.json``, served without internet.

The Swagger UI 5 scripts and styles (OpenAPI 3.1) come from the ``fastapi-offline`` wheel's static
folder and are served by the gateway under ``/docs/assets/``.
"""

from __future__ import annotations

import html
from importlib.util import find_spec
from pathlib import Path

SWAGGER_UI_ASSETS = "/docs/assets"


def _static_folder(package: str) -> Path:
    """The package's ``static`` folder, found without importing the package (it would import FastAPI)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


_ASSET_DIR = _static_folder("fastapi_offline")
_ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}


def asset(name: str) -> tuple[Path, str] | None:
    """The file and content type of the Swagger UI asset ``name``; None for anything else."""
    content_type = _ASSET_TYPES.get(name)
    if content_type is None:
        return None
    return Path(str(_ASSET_DIR / name)), content_type


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{assets}/favicon.png">
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{openapi_url}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: false
    }});
  </script>
</body>
</html>
"""


def docs_page(*, title: str, openapi_url: str = "/openapi.json", assets: str = SWAGGER_UI_ASSETS) -> str:
    """The HTML page that loads Swagger UI and points it at the merged document."""
    return _PAGE.format(title=html.escape(title), assets=html.escape(assets), openapi_url=html.escape(openapi_url))
