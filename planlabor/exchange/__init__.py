"""Austausch: project dossiers, the static gallery, adopting methods, Visitation, position papers.

Library functions (the CLI in :mod:`planlabor.cli_austausch` and any Werkstatt page are thin
adapters over them):

* :func:`planlabor.exchange.dossier.export_dossier` – pack a project from a workspace
* :func:`planlabor.exchange.dossier.export_position_paper` – recommendations with definitions
* :func:`planlabor.exchange.model.read_description` / ``DESCRIPTION_TEMPLATE`` – the TOML form
* :func:`planlabor.exchange.model.add_visitation` – store a peer review in a dossier
* :func:`planlabor.exchange.gallery.build_gallery` – the static offline gallery
* :func:`planlabor.exchange.diff.diff_templates` – template versions and a changelog
* :func:`planlabor.exchange.adopt.data_request` – what to request after adopting
* :func:`planlabor.exchange.seed.build_seed` – seed content from the demos and theme templates
"""
