"""Beteiligung (issue 21): the views of residents and stakeholders beside the numbers.

- :mod:`~planlabor.participation.model`: consultation, answer, stakeholder position, checks;
- :mod:`~planlabor.participation.storage`: ``beteiligung.sqlite`` beside the store (the public
  server writes answers there while it only reads the store);
- :mod:`~planlabor.participation.antispam`: proof of work and rate limits (nothing personal kept);
- :mod:`~planlabor.participation.results`: counts per area and category as observations and
  catalog entries; published figures only through the confidentiality rules.

Use cases (open, close, moderate, evaluate, positions) are in :mod:`planlabor.app.participation`.
"""
