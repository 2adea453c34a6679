"""Compare offline language detectors on short news headlines (the texts alerts are about):
accuracy, time per text and memory, so the choice in README is measured, not assumed.

    python bench/language_eval.py
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SAMPLES = {
    "en": ["ICE detains dozens in Chicago raid", "Amazon wins cloud contract with DHS",
           "GEO Group shares fall after earnings", "Judge blocks new detention center",
           "Protesters rally outside immigration office", "Storm brings ice to the Midwest",
           "CoreCivic to reopen prison in Kansas", "Senators question ICE budget",
           "Wayfair workers walk out over beds", "Deportation flights rise in June"],
    "es": ["ICE detiene a decenas en redada en Chicago", "Amazon gana contrato con el DHS",
           "Las acciones de GEO Group caen", "Juez bloquea nuevo centro de detención",
           "Manifestantes protestan frente a oficina de inmigración",
           "Tormenta de hielo en el medio oeste", "CoreCivic reabrirá cárcel en Kansas",
           "Senadores cuestionan el presupuesto de ICE", "Aumentan los vuelos de deportación",
           "Familias separadas en la frontera"],
    "fr": ["L'ICE arrête des dizaines de personnes à Chicago", "Amazon remporte un contrat",
           "Un juge bloque un centre de détention", "Manifestation devant le bureau",
           "Les expulsions augmentent en juin", "Tempête de verglas dans le Midwest",
           "Des familles séparées à la frontière", "Le Sénat interroge le budget",
           "Les actions de GEO Group chutent", "Nouvelle prison au Kansas"],
    "de": ["ICE nimmt Dutzende in Chicago fest", "Amazon gewinnt Vertrag mit Behörde",
           "Richter stoppt neues Abschiebezentrum", "Proteste vor dem Einwanderungsamt",
           "Abschiebeflüge nehmen im Juni zu", "Eissturm im Mittleren Westen",
           "Familien an der Grenze getrennt", "Senatoren fragen nach dem Budget",
           "Aktien von GEO Group fallen", "Neues Gefängnis in Kansas"],
    "pt": ["ICE detém dezenas em operação em Chicago", "Amazon ganha contrato com o governo",
           "Juiz bloqueia novo centro de detenção",
           "Manifestantes protestam em frente ao escritório",
           "Voos de deportação aumentam em junho", "Tempestade de gelo no meio-oeste",
           "Famílias separadas na fronteira", "Senadores questionam o orçamento",
           "Ações do GEO Group caem", "Nova prisão no Kansas"],
    "it": ["L'ICE arresta decine di persone a Chicago", "Amazon vince un contratto",
           "Un giudice blocca il nuovo centro di detenzione", "Proteste davanti all'ufficio",
           "Aumentano i voli di espulsione a giugno", "Tempesta di ghiaccio nel Midwest",
           "Famiglie separate al confine", "I senatori chiedono del bilancio",
           "Le azioni di GEO Group scendono", "Nuovo carcere in Kansas"],
}


def measure(name: str, build: Callable[[], Callable[[str], str | None]]) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    detect = build()
    detect("warm up: the first call loads what a detector loads lazily")
    load = time.perf_counter() - t0
    texts = [(lang, t) for lang, ts in SAMPLES.items() for t in ts]
    t0 = time.perf_counter()
    right = sum(detect(t) == lang for lang, t in texts)
    per = (time.perf_counter() - t0) / len(texts) * 1e6
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"{name:42} accuracy {right}/{len(texts)} ({right / len(texts):.0%})  "
          f"{per:7.0f} µs/text  load {load:5.2f} s  +{grown:4.0f} MB")


def lingua_low() -> Callable[[str], str | None]:
    from lingua import LanguageDetectorBuilder

    detector = (LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode()
                .with_preloaded_language_models().build())

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None
    return detect


def lingua_high() -> Callable[[str], str | None]:
    from lingua import LanguageDetectorBuilder

    detector = (LanguageDetectorBuilder.from_all_languages()
                .with_preloaded_language_models().build())

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None
    return detect


def fasttext_lite() -> Callable[[str], str | None]:
    from monitor.language import detect  # fastText's lid.176.ftz, as the monitor loads it

    return detect


def py3langid() -> Callable[[str], str | None]:
    import py3langid as langid

    def detect(text: str) -> str | None:
        return str(langid.classify(text)[0])
    return detect


if __name__ == "__main__":
    print("short headlines:", sum(map(len, SAMPLES.values())), "in", len(SAMPLES), "languages")
    measure("fastText lid.176.ftz (the monitor's)", fasttext_lite)
    for name, build in (("py3langid 0.4 (langid.py model)", py3langid),
                        ("lingua 2.x, all languages, low accuracy", lingua_low),
                        ("lingua 2.x, all languages, high accuracy", lingua_high)):
        try:
            measure(name, build)
        except ImportError as exc:
            print(f"{name:42} skipped: {exc} (pip install it to compare)")
