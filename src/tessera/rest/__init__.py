"""The REST API: one module per area, each exposing its ``routes``."""
