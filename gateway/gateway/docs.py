"""The interactive API documentation: Swagger UI over the merged ``/openapi.json``."""

from __future__ import annotations

import html

# Where the Swagger UI scripts and styles come from; the one place to point at locally served assets.
SWAGGER_UI_ASSETS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
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
