"""Web atlas and API: payloads, static build, server."""
