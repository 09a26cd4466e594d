"""The read-only open-data JSON API, ``/api/v1/``.

It serves the rows of ``opendata.datasets`` a page at a time, with the same
columns and the same privacy rule (public communities only, never a person):
the datasets are the one definition of what is public, and the OpenAPI schema
is generated from their columns.

- ``endpoints``: which datasets are served, their filters and detail keys,
  and the reading of one page or one row;
- ``schema``: the OpenAPI 3.1 document;
- ``views``: the JSON views (GET, HEAD, OPTIONS; anything else is a JSON 405).
"""
