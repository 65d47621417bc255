"""``planlabor beteiligung …``: consultations, moderation, evaluation and stakeholder positions
(issue 21; registered on the main command group of :mod:`planlabor.cli`)."""

from __future__ import annotations

from typing import Any

import click

from planlabor.cli import PlanlaborGroup, _de, _echo_json, cli


@cli.group(cls=PlanlaborGroup)
def beteiligung() -> None:
    """Beteiligung: Befragungen im Atlas, Moderation, Auswertung, Positionen der Akteure."""


@beteiligung.command("oeffnen")
@click.argument("kennung")
@click.option("--titel", required=True, help="Titel der Befragung.")
@click.option("--frage", required=True, help="Die Frage, z. B. 'Was fehlt hier?'.")
@click.option("--von", "opens", required=True, help="Erster Tag, TT.MM.JJJJ oder JJJJ-MM-TT.")
@click.option("--bis", "closes", required=True, help="Letzter Tag.")
@click.option("--ebene", "layer", help="Raumebene der Antworten (sonst die feinste).")
@click.option("--zielgruppe", default="", help="z. B. 'Jugendliche von 12 bis 21 Jahren'.")
@click.option("--kategorien", help="kennung=Bezeichnung; … (sonst die festen Kategorien für Jugendliche).")
@click.option("--thema", "themes", multiple=True, help="Fachthema (mehrfach), z. B. Jugendhilfe.")
@click.option("--mindestfallzahl", "min_count", type=int, default=5, show_default=True)
@click.option("--vergleich", "reference", help="Indikator für den Satz im Sozialbericht, z. B. ki_01.")
@click.pass_context
def oeffnen(ctx: click.Context, kennung: str, **kw: Any) -> None:
    """Eine Befragung öffnen: Bewohner:innen antworten im öffentlichen Atlas (/beteiligung).

    \b
    Beispiel:
      planlabor beteiligung oeffnen jugend2026 --titel "Jugend fragt" --frage "Was fehlt hier?" \\
          --von 01.03.2026 --bis 31.03.2026 --ebene bzr --zielgruppe "Jugendliche von 12 bis 21 Jahren"
    """
    from planlabor.app.participation import open_consultation

    c = open_consultation(
        ctx.obj.get("dir"),
        kennung,
        kw["titel"],
        kw["frage"],
        kw["opens"],
        kw["closes"],
        kw["layer"],
        kw["zielgruppe"],
        kw["kategorien"],
        list(kw["themes"]),
        kw["min_count"],
        kw["reference"],
    )
    click.echo(
        f"Befragung {c.id} geöffnet: {len(c.areas)} Gebiete ({c.layer}), {len(c.categories)} Kategorien, "
        f"{c.opens:%d.%m.%Y} bis {c.closes:%d.%m.%Y}. Antworten im Atlas unter /beteiligung."
    )


@beteiligung.command("schliessen")
@click.argument("kennung")
@click.pass_context
def schliessen(ctx: click.Context, kennung: str) -> None:
    """Eine Befragung schließen (danach nimmt der Atlas keine Antworten mehr an).

    \b
    Beispiel:
      planlabor beteiligung schliessen jugend2026
    """
    from planlabor.app.participation import close_consultation

    close_consultation(ctx.obj.get("dir"), kennung)
    click.echo(f"Befragung {kennung} geschlossen.")


@beteiligung.command("liste")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def liste(ctx: click.Context, as_json: bool) -> None:
    """Alle Befragungen mit Zustand und Zahl der Antworten (neu, freigegeben, abgelehnt).

    \b
    Beispiel:
      planlabor beteiligung liste
    """
    from planlabor.app.participation import consultations

    items = consultations(ctx.obj.get("dir"))
    if as_json:
        _echo_json(
            [
                {
                    "id": s.consultation.id,
                    "titel": s.consultation.title,
                    "zustand": s.consultation.state,
                    "ebene": s.consultation.layer,
                    "von": s.consultation.opens,
                    "bis": s.consultation.closes,
                    "antworten": s.counts,
                }
                for s in items
            ]
        )
        return
    if not items:
        click.echo("Keine Befragungen. Öffnen mit: planlabor beteiligung oeffnen …")
    for s in items:
        c, n = s.consultation, s.counts
        click.echo(
            f"{c.id}  {c.title} ({c.state}, {c.opens:%d.%m.%Y}–{c.closes:%d.%m.%Y}, {c.layer}): "
            f"{_de(sum(n.values()))} Antworten, {n['neu']} neu, {n['freigegeben']} freigegeben, "
            f"{n['abgelehnt']} abgelehnt"
        )


@beteiligung.command("antworten")
@click.argument("kennung")
@click.option("--zustand", type=click.Choice(["neu", "freigegeben", "abgelehnt"]), help="Nur diese.")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def antworten(ctx: click.Context, kennung: str, zustand: str | None, as_json: bool) -> None:
    """Antworten mit Text zum Moderieren zeigen (intern; nichts davon ist ungeprüft öffentlich).

    \b
    Beispiel:
      planlabor beteiligung antworten jugend2026 --zustand neu
    """
    from planlabor.app.participation import answers

    items = answers(ctx.obj.get("dir"), kennung, zustand, with_text=True)
    if as_json:
        _echo_json([a.__dict__ for a in items])
        return
    for a in items:
        click.echo(f"Nr. {a.answer_id} [{a.state}] {a.area_id} {', '.join(a.categories)}: {a.text}")
    click.echo(f"{len(items)} Antworten mit Text.")


@beteiligung.command("moderieren")
@click.argument("kennung")
@click.option("--freigeben", default="", help="Nummern der freizugebenden Antworten, z. B. 1,2,5.")
@click.option("--ablehnen", default="", help="Nummern der abzulehnenden Antworten (werden nicht gezählt).")
@click.pass_context
def moderieren(ctx: click.Context, kennung: str, freigeben: str, ablehnen: str) -> None:
    """Texte freigeben oder ablehnen; nur freigegebene Texte werden gezeigt.

    \b
    Beispiel:
      planlabor beteiligung moderieren jugend2026 --freigeben 1,2 --ablehnen 3
    """
    from planlabor.app.participation import moderate
    from planlabor.errors import InputError

    def ids(text: str, option: str) -> list[int]:
        try:
            return [int(x) for x in text.replace(" ", "").split(",") if x]
        except ValueError:
            raise InputError(f"{option}: {text!r} sind keine Nummern.", expected="z. B. 1,2,5") from None

    done = {
        d: moderate(ctx.obj.get("dir"), kennung, ids(t, "--" + d), d)
        for d, t in (("freigeben", freigeben), ("ablehnen", ablehnen))
        if t
    }
    click.echo(f"Freigegeben: {done.get('freigeben', 0)}, abgelehnt: {done.get('ablehnen', 0)}.")


@beteiligung.command("auswerten")
@click.argument("kennung")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def auswerten(ctx: click.Context, kennung: str, as_json: bool) -> None:
    """Antworten je Gebiet und Kategorie zählen, als Beobachtungen speichern und berechnen.

    Die Zahlen heißen beteiligung_<kennung>_<kategorie>; Zahlen unter der Mindestfallzahl
    werden wie jede Fallzahl gesperrt (planlabor geheimhaltung pruefen prüft sie mit).

    \b
    Beispiel:
      planlabor beteiligung auswerten jugend2026
    """
    from planlabor.app.participation import evaluate

    r = evaluate(ctx.obj.get("dir"), kennung)
    if as_json:
        _echo_json(r.__dict__)
        return
    click.echo(
        f"Import Nr. {r.import_id}: {r.answers} Antworten in {r.areas} Gebieten gezählt "
        f"({r.rejected} abgelehnt, nicht gezählt); {r.suppressed} Werte unter der Mindestfallzahl "
        f"gesperrt. Katalog: {r.catalog_file}"
    )
    if r.sentence:
        click.echo(r.sentence)


@beteiligung.command("position")
@click.option("--thema", "subject", required=True, help="Maßnahme oder Entscheidung.")
@click.option("--akteur", "actor", required=True, help="Name des Trägers, Verbands, Gremiums …")
@click.option("--art", "actor_type", required=True, help="Träger, Verband, Jugendvertretung oder Verwaltung.")
@click.option("--position", "text", required=True, help="Die Position in einem bis drei Sätzen.")
@click.option("--datum", "stated_on", required=True, help="Datum der Äußerung, TT.MM.JJJJ.")
@click.option("--quelle", "source", required=True, help="Stellungnahme, Protokoll, Sitzung …")
@click.pass_context
def position(ctx: click.Context, **kw: Any) -> None:
    """Die Position eines Akteurs zu einer Maßnahme oder Entscheidung festhalten.

    \b
    Beispiel:
      planlabor beteiligung position --thema "Kita-Bedarfsplanung 2030" --akteur "AWO Kreisverband" \\
          --art Träger --position "Unterstützt den Ausbau im Norden." --datum 12.03.2026 \\
          --quelle "Stellungnahme vom 12.03.2026"
    """
    from planlabor.app.participation import record_position

    p = record_position(
        ctx.obj.get("dir"),
        kw["subject"],
        kw["actor"],
        kw["actor_type"],
        kw["text"],
        kw["stated_on"],
        kw["source"],
    )
    click.echo(f"Position Nr. {p.position_id} festgehalten: {p.actor} ({p.actor_type}) zu „{p.subject}“.")


@beteiligung.command("positionen")
@click.option("--thema", "subject", help="Nur diese Maßnahme oder Entscheidung.")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def positionen(ctx: click.Context, subject: str | None, as_json: bool) -> None:
    """Festgehaltene Positionen zeigen.

    \b
    Beispiel:
      planlabor beteiligung positionen --thema "Kita-Bedarfsplanung 2030"
    """
    from planlabor.app.participation import positions

    items = positions(ctx.obj.get("dir"), subject)
    if as_json:
        _echo_json([p.__dict__ for p in items])
        return
    for p in items:
        click.echo(
            f"Nr. {p.position_id} {p.subject} · {p.actor} ({p.actor_type}, {p.stated_on:%d.%m.%Y}): "
            f"{p.position} Quelle: {p.source}"
        )
