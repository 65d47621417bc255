"""Static charts and maps for reports, rendered on the server with matplotlib (Agg).

Colours match the atlas: the area in orange (#b34700), the parent area in blue (#004f9f), the
city in dark grey, map classes from the same ColorBrewer/viridis ramps.  Every chart comes with
a German alternative text that states what it shows.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de

AREA, PARENT, CITY = "#b34700", "#004f9f", "#4a4a4a"
PALETTES = {
    "hoch_ist_schlecht": ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
    "hoch_ist_gut": ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
    "neutral": ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"],
}


@dataclass
class Chart:
    png: bytes
    alt: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "axes.spines.top": False,
                         "axes.spines.right": False})  # fmt: skip
    return plt


def _png(fig: Any, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def series_chart(
    series: list[tuple[str, float | None, float | None, float | None]],
    title: str,
    unit: str,
    decimals: int,
    labels: tuple[str, str | None, str | None],
) -> Chart | None:
    """Line chart of area, parent and city over the periods."""
    pts = [(p, a, b, c) for p, a, b, c in series]
    if len([1 for _, a, _, _ in pts if a is not None]) < 2:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 1.9))
    xs = np.arange(len(pts))
    for k, (color, label, width) in enumerate(
        ((AREA, labels[0], 2.2), (PARENT, labels[1], 1.3), (CITY, labels[2], 1.3))
    ):
        if label is None:
            continue
        ys = np.array([np.nan if row[k + 1] is None else row[k + 1] for row in pts], dtype=float)
        if np.isnan(ys).all():
            continue
        ax.plot(xs, ys, color=color, lw=width, label=label)
    ticks, tick_labels = time_ticks([p for p, *_ in pts])
    ax.set_xticks(ticks, tick_labels)
    ax.tick_params(axis="both", labelsize=7)
    ax.yaxis.set_major_formatter(lambda v, _: format_number_de(v, decimals))
    ax.set_ylabel(unit)
    ax.legend(frameon=False, fontsize=7, loc="best")
    ax.grid(axis="y", color="#e3e7ec", lw=0.6)
    first, last = pts[0], pts[-1]
    alt = (
        f"Liniendiagramm {title}: {labels[0]} von {_fmt(first[1], decimals)} ({format_period_de(first[0])}) "
        f"auf {_fmt(last[1], decimals)} ({format_period_de(last[0])})"
    )
    if labels[2] and last[3] is not None:
        alt += f"; {labels[2]} zuletzt {_fmt(last[3], decimals)}"
    return Chart(_png(fig), alt + ".")


def class_labels(breaks: list[float], decimals: int) -> list[str]:
    """Legend texts of classes with upper-inclusive limits that do not overlap: the first class
    holds its lower limit, every further class starts above the previous limit.

    >>> class_labels([4.46, 5.0, 5.4, 6.1], 1)
    ['4,5 bis 5,0', 'über 5,0 bis 5,4', 'über 5,4 bis 6,1']
    """
    de = format_number_de
    return [
        (f"{de(breaks[i], decimals)} bis " if i == 0 else f"über {de(breaks[i], decimals)} bis ")
        + de(breaks[i + 1], decimals)
        for i in range(len(breaks) - 1)
    ]


def time_ticks(periods: list[str], most: int = 5) -> tuple[list[int], list[str]]:
    """At most ``most`` evenly spaced ticks with short labels that never run together: the year
    for year-end dates (``2019``), otherwise the German short form (``6/2020``, ``2. Hj. 2021``).

    >>> time_ticks(["2019-12-31", "2020-06-30", "2020-12-31"])
    ([0, 2], ['2019', '2020'])
    """
    year_ends = [i for i, p in enumerate(periods) if p.endswith("-12-31")]
    cands = year_ends if len(year_ends) >= 2 else list(range(len(periods)))
    if len(cands) > most:
        step = -(-(len(cands) - 1) // (most - 1))
        picked = cands[::step]
        if picked[-1] != cands[-1]:
            picked[-1 if len(picked) == most else len(picked) :] = [cands[-1]]
        cands = picked
    return cands, [short_period(periods[i]) for i in cands]


def short_period(period: str) -> str:
    if len(period) == 10 and period.endswith("-12-31"):
        return period[:4]
    if len(period) == 10:
        return f"{int(period[5:7])}/{period[:4]}"
    return format_period_de(period)


def _fmt(v: float | None, decimals: int) -> str:
    return "–" if v is None else format_number_de(v, decimals)


class MapRenderer:
    """Small maps of one layer: the base drawn once, each inset only adds the highlighted area."""

    def __init__(self, geoms: Any, ids: list[str]) -> None:
        self.geoms = geoms  # GeoSeries in a projected CRS, aligned with ids
        self.ids = ids
        self.pos = {a: i for i, a in enumerate(ids)}
        self._base: tuple[np.ndarray, tuple[float, float, float, float]] | None = None

    def _background(self) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        if self._base is None:
            plt = _plt()
            x0, y0, x1, y1 = self.geoms.total_bounds
            fig = plt.figure(figsize=(2.4, 2.4 * (y1 - y0) / (x1 - x0)), dpi=150)
            ax = fig.add_axes((0, 0, 1, 1))
            self.geoms.plot(ax=ax, color="#e6e9ee", edgecolor="#ffffff", linewidth=0.2)
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
            ax.set_axis_off()
            fig.canvas.draw()
            img = np.asarray(fig.canvas.buffer_rgba()).copy()
            plt.close(fig)
            self._base = (img, (x0, x1, y0, y1))
        return self._base

    def inset(self, area_id: str, name: str) -> Chart:
        plt = _plt()
        img, extent = self._background()
        h, w = img.shape[:2]
        fig = plt.figure(figsize=(w / 150, h / 150), dpi=150)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(img, extent=extent, interpolation="nearest")
        self.geoms.iloc[[self.pos[area_id]]].plot(ax=ax, color=AREA, edgecolor="#1a1a1a", linewidth=0.6)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_axis_off()
        return Chart(_png(fig), f"Lagekarte: {name} (orange) in der Stadt.")

    def choropleth(
        self, values: list[float | None], polarity: str, title: str, unit: str, decimals: int, k: int = 5
    ) -> Chart:
        """Quantile classes as in the atlas' default, with legend.

        Drawn with Pillow (areas filled, white borders, legend beside the map), like the location
        maps: matplotlib took 0.4–5 s per map, 27 maps in the Sozialbericht."""
        v = np.array([np.nan if x is None else x for x in values], dtype=float)
        valid = v[~np.isnan(v)]
        breaks = (
            np.unique(np.quantile(valid, np.linspace(0, 1, k + 1))) if valid.size else np.array([0.0, 1.0])
        )
        pal = PALETTES.get(polarity, PALETTES["neutral"])
        n = max(len(breaks) - 1, 1)
        colors = [pal[round(i * (len(pal) - 1) / max(n - 1, 1))] for i in range(n)]
        cls = np.clip(np.searchsorted(breaks, v, side="left") - 1, 0, n - 1)
        fc = ["#d0d0d0" if np.isnan(x) else colors[c] for x, c in zip(v, cls, strict=True)]
        labels = class_labels([float(b) for b in breaks], decimals)
        legend = [(colors[i], labels[i]) for i in range(n)]
        if np.isnan(v).any():
            legend.append(("#d0d0d0", "keine Angabe"))
        alt = (
            f"Karte {title} in {n} Klassen (Quantile) von {format_number_de(float(valid.min()), decimals)} "
            f"bis {format_number_de(float(valid.max()), decimals)}{' ' + unit if unit else ''}"
            if valid.size
            else f"Karte {title}: keine Werte"
        )
        return Chart(_choropleth_png(self._rings(), fc, legend, unit), alt + ".")

    def _rings(self) -> list[tuple[int, list[np.ndarray], list[np.ndarray]]]:
        """Per area (largest first, so enclaves are drawn over their surroundings): exterior and
        interior rings in map pixels (0..1 of the map's width)."""
        if not hasattr(self, "_ring_cache"):
            x0, y0, x1, y1 = self.geoms.total_bounds
            scale = 1.0 / (x1 - x0)
            out = []
            for i in np.argsort(-self.geoms.area.to_numpy()):
                geom = self.geoms.iloc[int(i)]
                if geom is None or geom.is_empty:
                    continue
                ext: list[np.ndarray] = []
                holes: list[np.ndarray] = []
                for poly in list(geom.geoms) if hasattr(geom, "geoms") else [geom]:
                    for ring, bucket in [(poly.exterior, ext), *((r, holes) for r in poly.interiors)]:
                        c = np.asarray(ring.coords)
                        bucket.append(np.column_stack([(c[:, 0] - x0) * scale, (y1 - c[:, 1]) * scale]))
                out.append((int(i), ext, holes))
            self._ring_cache = (out, (y1 - y0) / (x1 - x0))
        return self._ring_cache  # type: ignore[return-value]


def _choropleth_png(rings: Any, fills: list[str], legend: list[tuple[str, str]], unit: str) -> bytes:
    """The map (filled areas, white borders) and its legend as PNG: drawn at twice the size and
    scaled down (smooth edges)."""
    from PIL import Image, ImageDraw, ImageFont

    areas, aspect = rings
    ss = 2
    map_w = 580 * ss  # 6.2 in × 72 % at 130 dpi, as the matplotlib map was
    map_h = round(map_w * aspect * 0.96) + 8 * ss
    leg_w = 230 * ss
    img = Image.new("RGB", (map_w + leg_w, max(map_h, 40 * ss * (len(legend) + 2))), "#ffffff")
    draw = ImageDraw.Draw(img)
    k = map_w * 0.96
    off = (map_w - k) / 2, (map_h - k * aspect) / 2

    shift = np.asarray(off)

    def pts(xy: np.ndarray) -> list[float]:  # flat x, y, x, y … (no Python loop per point)
        return list((xy * k + shift).ravel().tolist())

    for i, ext, holes in areas:
        for xy in ext:
            draw.polygon(pts(xy), fill=fills[i])
        for xy in holes:
            draw.polygon(pts(xy), fill="#ffffff")
    for _, ext, holes in areas:
        for xy in [*ext, *holes]:
            draw.line(pts(xy), fill="#ffffff", width=ss)
    font = ImageFont.truetype("DejaVuSans.ttf", 13 * ss)
    y = (img.height - 22 * ss * (len(legend) + (1 if unit else 0))) / 2
    x = map_w + 10 * ss
    if unit:
        draw.text((x, y), unit, fill="#1a1a1a", font=font)
        y += 22 * ss
    for color, label in legend:
        draw.rectangle((x, y + 2 * ss, x + 14 * ss, y + 16 * ss), fill=color)
        draw.text((x + 20 * ss, y), label, fill="#1a1a1a", font=font)
        y += 22 * ss
    small = img.reduce(ss)  # box filter over ss × ss pixels: as smooth, 5× faster than Lanczos
    buf = io.BytesIO()
    small.save(buf, format="PNG")
    return buf.getvalue()


# ---------------------------------------------------------------- SVG (HTML and PDF)
@dataclass
class SvgChart:
    svg: str
    alt: str
    caption: str = ""


def esc(text: object) -> str:
    """Text for SVG/HTML markup and attributes: ``& < > " '`` escaped."""
    import html

    return html.escape(str(text), quote=True)


_esc = esc


def series_svg(
    series: list[tuple[str, float | None, float | None, float | None]],
    title: str,
    unit: str,
    decimals: int,
    labels: tuple[str, str | None, str | None],
) -> SvgChart | None:
    """The time series as a small SVG (drawn by the PDF engine itself: fast and sharp)."""
    if len([1 for row in series if row[1] is not None]) < 2:
        return None
    w, h, left, right, top, bottom = 300.0, 120.0, 44.0, 6.0, 6.0, 30.0
    shown = [k for k in range(3) if labels[k] is not None]
    vals: list[float] = [float(row[k + 1]) for row in series for k in shown if row[k + 1] is not None]  # type: ignore[arg-type]
    lo, hi = min(vals), max(vals)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    n = len(series)

    def x(i: int) -> float:
        return left + i * (w - left - right) / max(n - 1, 1)

    def y(v: float) -> float:
        return top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom)

    parts = []
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e7ec" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text x="{left - 3}" y="{y(v) + 3:.1f}" text-anchor="end" font-size="7" fill="#4a4a4a">{format_number_de(v, decimals)}</text>'
        )
    for i in sorted({0, n // 2, n - 1}):
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{h - bottom + 10}" text-anchor="{anchor}" font-size="7" fill="#4a4a4a">{format_period_de(series[i][0])}</text>'
        )
    legend_x = left
    for k, (color, label, width) in enumerate(
        ((AREA, labels[0], 2.0), (PARENT, labels[1], 1.1), (CITY, labels[2], 1.1))
    ):
        if label is None:
            continue
        pts = [(x(i), y(float(row[k + 1]))) for i, row in enumerate(series) if row[k + 1] is not None]  # type: ignore[arg-type]
        if not pts:
            continue
        d = " ".join(("M" if j == 0 else "L") + f"{px:.1f} {py:.1f}" for j, (px, py) in enumerate(pts))
        parts.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}"/>')
        parts.append(f'<rect x="{legend_x}" y="{h - 9}" width="8" height="3" fill="{color}"/>')
        parts.append(
            f'<text x="{legend_x + 11}" y="{h - 6}" font-size="7" fill="#1a1a1a">{_esc(label[:26])}</text>'
        )
        legend_x += 12 + 4.3 * min(len(label), 26)
    first, last = series[0], series[-1]
    alt = (
        f"Liniendiagramm {title}: {labels[0]} von {_fmt(first[1], decimals)} ({format_period_de(first[0])}) "
        f"auf {_fmt(last[1], decimals)} ({format_period_de(last[0])})"
    )
    if labels[2] and last[3] is not None:
        alt += f"; {labels[2]} zuletzt {_fmt(last[3], decimals)}"
    alt += "."
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" role="img" aria-label="{_esc(alt)}">'
        f"<title>{_esc(alt)}</title>{''.join(parts)}</svg>"
    )
    return SvgChart(svg, alt, f"{title} ({unit})" if unit else title)


class SvgInsets:
    """Location maps as SVG: the layer's outlines once as a path, the area highlighted."""

    def __init__(self, geoms: Any, ids: list[str], size: float = 160.0) -> None:
        import shapely

        geoms = np.asarray(geoms.to_numpy() if hasattr(geoms, "to_numpy") else geoms, dtype=object)
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        scale = size / max(x1 - x0, y1 - y0)
        self.w, self.h = (x1 - x0) * scale, (y1 - y0) * scale

        def path(geom: Any) -> str:
            out = []
            polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
            for poly in polys:
                for ring in [poly.exterior, *poly.interiors]:
                    c = np.asarray(ring.coords)
                    px = (c[:, 0] - x0) * scale
                    py = (y1 - c[:, 1]) * scale
                    out.append("M" + " L".join(f"{a:.1f} {b:.1f}" for a, b in zip(px, py, strict=True)) + "Z")
            return "".join(out)

        tol = 1.5 / scale
        # the grey ground: Douglas-Peucker without topology checks (15× faster than GEOS's
        # topology-preserving simplify on Berlin's 542 PLR, invisible at 1.5 pt in a raster);
        # the highlighted area takes the same outline where it stays a valid polygon, else the
        # topology-preserving one (computed when asked for: GEOS's was most of the maps' cost)
        rough = shapely.simplify(geoms, tol, preserve_topology=False)
        usable = ~(shapely.is_missing(rough) | shapely.is_empty(rough)) & shapely.is_valid(rough)
        self._raw = {a: g for a, g in zip(ids, geoms, strict=True) if g is not None and not g.is_empty}
        self._rough = {a: r for a, r, ok in zip(ids, rough, usable, strict=True) if ok and a in self._raw}
        self._tol = tol
        self._path = path
        self.paths: dict[str, str] = {}
        # the city's outlines once as a small raster (a vector path of every area is slow to lay out
        # hundreds of times); the highlighted area stays vector. Drawn with Pillow: importing
        # matplotlib for this one picture cost a single CLI profile 1–2 s.
        ground = [g for g in rough if g is not None and not g.is_empty]
        self.base_uri = "data:image/png;base64," + base64.b64encode(
            _outline_png(ground, x0, y1, scale * 200 / 72, self.w, self.h)
        ).decode("ascii")

    def _outline(self, area_id: str) -> Any:
        import shapely

        rough = self._rough.get(area_id)
        return rough if rough is not None else shapely.simplify(self._raw[area_id], self._tol)

    def parts(self) -> dict[str, Any]:
        """Everything the insets need, every area's outline included (for :class:`CachedInsets`)."""
        for a in self._raw:
            if a not in self.paths:
                self.paths[a] = self._path(self._outline(a))
        return {"w": self.w, "h": self.h, "base_uri": self.base_uri, "paths": self.paths}

    def inset(self, area_id: str, name: str) -> SvgChart | None:
        if area_id not in self._raw:
            return None
        if area_id not in self.paths:
            self.paths[area_id] = self._path(self._outline(area_id))
        return _inset_svg(self.w, self.h, self.base_uri, self.paths[area_id], name)


class CachedInsets:
    """Location maps from the parts :meth:`SvgInsets.parts` computed earlier (read from the
    workspace's cache file: no geometries, no shapely or geopandas for a single profile)."""

    def __init__(self, parts: dict[str, Any]) -> None:
        self.w, self.h = float(parts["w"]), float(parts["h"])
        self.base_uri = str(parts["base_uri"])
        self.paths: dict[str, str] = dict(parts["paths"])

    def parts(self) -> dict[str, Any]:
        return {"w": self.w, "h": self.h, "base_uri": self.base_uri, "paths": self.paths}

    def inset(self, area_id: str, name: str) -> SvgChart | None:
        if area_id not in self.paths:
            return None
        return _inset_svg(self.w, self.h, self.base_uri, self.paths[area_id], name)


def _inset_svg(w: float, h: float, base_uri: str, path: str, name: str) -> SvgChart:
    alt = f"Lagekarte: {name} (orange) in der Stadt."
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
        f'aria-label="{_esc(alt)}"><title>{_esc(alt)}</title>'
        f'<image href="{base_uri}" x="0" y="0" width="{w:.1f}" height="{h:.1f}"/>'
        f'<path d="{path}" fill="{AREA}" stroke="#1a1a1a" stroke-width="0.6" fill-rule="evenodd"/></svg>'
    )
    return SvgChart(svg, alt, "Lage")


def _outline_png(geoms: list[Any], x0: float, y1: float, scale: float, w: float, h: float) -> bytes:
    """Areas filled light grey with white borders on a transparent ground, as PNG (200 dpi)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (max(1, round(w * 200 / 72)), max(1, round(h * 200 / 72))), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    rings = []
    for geom in geoms:
        for poly in list(geom.geoms) if hasattr(geom, "geoms") else [geom]:
            c = np.asarray(poly.exterior.coords)
            xy = np.column_stack([(c[:, 0] - x0) * scale, (y1 - c[:, 1]) * scale])
            draw.polygon([(float(x), float(y)) for x, y in xy], fill="#e6e9ee")
            rings.append(xy)
    for xy in rings:  # borders after all fills (enclaves are areas of their own)
        draw.line([(float(x), float(y)) for x, y in xy], fill="#ffffff", width=1)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
