"""Run by the system Python (python3-qgis): list what QGIS's PostgreSQL connection shows.

Usage: python3 tests/qgis_list_pg.py "dbname=… host=… port=… user=… password=…"
Prints one JSON object: {"tables": [[schema, name, geometry column, srid], …], "features": {…}}.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsDataSourceUri, QgsProviderRegistry, QgsVectorLayer

app = QgsApplication([], False)
app.initQgis()
conninfo = sys.argv[1]
meta = QgsProviderRegistry.instance().providerMetadata("postgres")
con = meta.createConnection(conninfo, {})
tables = []
for schema in con.schemas():
    for t in con.tables(schema):
        srids = [c.crs.postgisSrid() for c in t.geometryColumnTypes()]
        tables.append([schema, t.tableName(), t.geometryColumn(), srids])
features = {}
for schema, name, geom, _ in tables:
    if not geom:
        continue
    uri = QgsDataSourceUri(conninfo)
    uri.setDataSource(schema, name, geom, "", "gid")
    layer = QgsVectorLayer(uri.uri(False), name, "postgres")
    features[f"{schema}.{name}"] = {
        "valid": layer.isValid(),
        "count": layer.featureCount() if layer.isValid() else -1,
        "fields": [f.name() for f in layer.fields()] if layer.isValid() else [],
    }
print(json.dumps({"tables": sorted(tables), "features": features}))
app.exitQgis()
