"""Every sentence and heading the driver analysis shows people, in English, Norwegian and Swedish.

One owner for the words: the terminal's sentences (English) and the HTML report
(`--lang en|nb|sv`) both take them from here, so a figure is never described two ways.

>>> say("nb", "fell")
'falt'
>>> period_name("2026-09", "month", "sv")
'september 2026'
"""

from __future__ import annotations

LANGUAGES = ("en", "nb", "sv")

_TEXT: dict[str, tuple[str, str, str]] = {
    # key: (en, nb, sv)
    "title_nps": ("What drives our NPS", "Hva driver NPS-en vår", "Vad driver vår NPS"),
    "title_mean": ("What drives our average score", "Hva driver snittscoren vår", "Vad driver vårt snittbetyg"),
    "metric_nps": ("NPS", "NPS", "NPS"),
    "metric_mean": ("average score", "snittscore", "snittbetyg"),
    "Metric_mean": ("Average score", "Snittscore", "Snittbetyg"),
    "answers_with_score": ("{n} answers with a score", "{n} svar med score", "{n} svar med betyg"),
    "left_out": (
        "{n} left out without a valid score",
        "{n} utelatt uten gyldig score",
        "{n} utelämnade utan giltigt betyg",
    ),
    "date_range": ("Answers from {start} to {end}", "Svar fra {start} til {end}", "Svar från {start} till {end}"),
    "interval": ("{level} interval", "{level} intervall", "{level} intervall"),
    "promoters": ("Promoters", "Ambassadører", "Promotorer"),
    "passives": ("Passives", "Passive", "Passiva"),
    "detractors": ("Detractors", "Kritikere", "Kritiker"),
    "high": ("High scores", "Høy score", "Höga betyg"),
    "middle": ("Middle scores", "Middels score", "Mellanbetyg"),
    "low": ("Low scores", "Lav score", "Låga betyg"),
    "low_word_nps": ("detractors", "kritikere", "kritiker"),
    "low_word_mean": ("low scores", "lave scorer", "låga betyg"),
    "h_findings": ("Key findings", "Viktigste funn", "Viktigaste resultat"),
    "h_impact": ("Impact on {metric} per cause", "Effekt på {metric} per årsak", "Effekt på {metric} per orsak"),
    "impact_intro": (
        "How many points each cause costs (left of zero) or wins (right of zero): the change in {metric} if the "
        "answers that mention it were left out, with its {interval}. Causes with fewer than {min_n} mentions are "
        "grey, or amber (watch) when their signal is strong anyway.",
        "Hvor mange poeng hver årsak koster (til venstre for null) eller vinner (til høyre): endringen i {metric} "
        "hvis svarene som nevner den ble utelatt, med {interval}. Årsaker med færre enn {min_n} omtaler er grå, "
        "eller oransje (følg med) når signalet likevel er sterkt.",
        "Hur många poäng varje orsak kostar (till vänster om noll) eller vinner (till höger): ändringen i {metric} "
        "om svaren som nämner den lämnades utanför, med {interval}. Orsaker med färre än {min_n} omnämnanden är "
        "grå, eller orange (håll koll) när signalen ändå är stark.",
    ),
    "costs": ("\u2190 costs points", "\u2190 koster poeng", "\u2190 kostar poäng"),
    "wins": ("wins points \u2192", "vinner poeng \u2192", "vinner poäng \u2192"),
    "low_n_tag": ("(low n)", "(få svar)", "(få svar)"),
    "h_shares": (
        "How the people who mention each cause scored",
        "Hvordan de som nevner hver årsak svarte",
        "Hur de som nämner varje orsak svarade",
    ),
    "shares_intro": (
        "Score groups among the answers that mention each cause, next to all answers.",
        "Scoregrupper blant svarene som nevner hver årsak, ved siden av alle svar.",
        "Betygsgrupper bland svaren som nämner varje orsak, bredvid alla svar.",
    ),
    "all_answers": ("All answers", "Alle svar", "Alla svar"),
    "h_table": ("All causes in numbers", "Alle årsaker i tall", "Alla orsaker i siffror"),
    "jargon": (
        "<b>Lift</b>: how many times more common {low} are among the answers that mention the cause than among "
        "all answers (1 = as common). <b>Shared impact (Shapley)</b>: the cause's fair share when one comment "
        "mentions several causes, so the shares add up. <b>q-value</b>: the chance that a link this strong is "
        "a fluke, adjusted for testing many causes at once; below {alpha} counts as a real link.",
        "<b>Løft</b>: hvor mange ganger vanligere {low} er blant svarene som nevner årsaken enn blant alle svar "
        "(1 = like vanlig). <b>Delt effekt (Shapley)</b>: årsakens rettferdige andel når én kommentar nevner "
        "flere årsaker, slik at andelene summerer seg. <b>q-verdi</b>: sjansen for at en så sterk sammenheng er "
        "tilfeldig, justert for at mange årsaker testes samtidig; under {alpha} regnes som en reell sammenheng.",
        "<b>Lyft</b>: hur många gånger vanligare {low} är bland svaren som nämner orsaken än bland alla svar "
        "(1 = lika vanligt). <b>Delad effekt (Shapley)</b>: orsakens rättvisa andel när en kommentar nämner "
        "flera orsaker, så att andelarna summerar. <b>q-värde</b>: risken att ett så starkt samband är en "
        "slump, justerad för att många orsaker testas samtidigt; under {alpha} räknas som ett verkligt samband.",
    ),
    "col_cause": ("Cause", "Årsak", "Orsak"),
    "col_mentions": ("Mentions", "Omtaler", "Omnämnanden"),
    "col_share": ("Share of answers", "Andel av svar", "Andel av svar"),
    "col_within": ("{metric} among them", "{metric} blant dem", "{metric} bland dem"),
    "col_low": ("{low} among them", "{low} blant dem", "{low} bland dem"),
    "col_lift": ("Lift", "Løft", "Lyft"),
    "col_impact": ("Impact (points)", "Effekt (poeng)", "Effekt (poäng)"),
    "col_shapley": ("Shared impact (Shapley)", "Delt effekt (Shapley)", "Delad effekt (Shapley)"),
    "col_q": ("q-value", "q-verdi", "q-värde"),
    "col_role": ("Role", "Rolle", "Roll"),
    "role_detractor driver": ("Complaint driver", "Driver kritikk", "Driver kritik"),
    "role_strength": ("Strength", "Styrke", "Styrka"),
    "role_watch": ("Watch", "Følg med", "Håll koll"),
    "role_neutral": ("Not significant", "Ikke signifikant", "Inte signifikant"),
    "role_low n": ("Too few mentions", "For få omtaler", "För få omnämnanden"),
    "h_trend": ("Trend per {period}", "Utvikling per {period}", "Utveckling per {period}"),
    "period_month": ("month", "måned", "månad"),
    "period_week": ("week", "uke", "vecka"),
    "period_quarter": ("quarter", "kvartal", "kvartal"),
    "trend_intro": (
        "{metric} per period with its interval (shaded), and how often the top complaints are mentioned.",
        "{metric} per periode med intervall (skyggelagt), og hvor ofte de største klagene nevnes.",
        "{metric} per period med intervall (skuggat), och hur ofta de största klagomålen nämns.",
    ),
    "undated": (
        "{n} answers without a date are left out of the trend.",
        "{n} svar uten dato er utelatt fra utviklingen.",
        "{n} svar utan datum är utelämnade ur utvecklingen.",
    ),
    "h_changes": ("What changed from {a} to {b}", "Hva endret seg fra {a} til {b}", "Vad ändrades från {a} till {b}"),
    "changes_intro": (
        "The change split into causes: <b>mix</b> is the part from more or fewer people mentioning a cause, "
        "<b>score</b> the part from those people scoring differently. The rows add up exactly to the change; "
        "the last row is the answers that mention no cause.",
        "Endringen fordelt på årsaker: <b>miks</b> er delen som kommer av at flere eller færre nevner en årsak, "
        "<b>score</b> delen som kommer av at de som nevner den svarer annerledes. Radene summerer nøyaktig til "
        "endringen; siste rad er svarene som ikke nevner noen årsak.",
        "Ändringen fördelad på orsaker: <b>mix</b> är delen som kommer av att fler eller färre nämner en orsak, "
        "<b>betyg</b> delen som kommer av att de som nämner den svarar annorlunda. Raderna summerar exakt till "
        "ändringen; sista raden är svaren som inte nämner någon orsak.",
    ),
    "col_mix": (
        "Mix (more or fewer mentions)",
        "Miks (flere eller færre omtaler)",
        "Mix (fler eller färre omnämnanden)",
    ),
    "col_score": ("Score (scored differently)", "Score (svarte annerledes)", "Betyg (svarade annorlunda)"),
    "col_contribution": ("Contribution", "Bidrag", "Bidrag"),
    "no_cause": ("(no cause mentioned)", "(ingen årsak nevnt)", "(ingen orsak nämnd)"),
    "h_segments": ("Segments", "Segmenter", "Segment"),
    "segments_intro": (
        "{metric} per segment and the complaints that cost it the most there. Segments with fewer than {min_n} "
        "answers are marked <em>small sample</em>: read them with care.",
        "{metric} per segment og klagene som koster mest der. Segmenter med færre enn {min_n} svar er merket "
        "<em>lite utvalg</em>: les dem med forsiktighet.",
        "{metric} per segment och klagomålen som kostar mest där. Segment med färre än {min_n} svar är märkta "
        "<em>litet urval</em>: läs dem med försiktighet.",
    ),
    "col_segment": ("Segment", "Segment", "Segment"),
    "col_answers": ("Answers", "Svar", "Svar"),
    "col_groups": ("Score groups", "Scoregrupper", "Betygsgrupper"),
    "col_top": ("Top complaint drivers (impact)", "Største klager (effekt)", "Största klagomål (effekt)"),
    "small_sample": ("small sample", "lite utvalg", "litet urval"),
    "none_found": ("no complaint costs points here", "ingen klage koster poeng her", "inget klagomål kostar poäng här"),
    "h_examples": ("What customers say", "Hva kundene sier", "Vad kunderna säger"),
    "examples_intro": (
        "Example comments for every ranked cause, complaints from detractors and praise from promoters "
        "(personal details masked).",
        "Eksempler på kommentarer for hver rangerte årsak, klager fra kritikere og ros fra ambassadører "
        "(personopplysninger maskert).",
        "Exempel på kommentarer för varje rangordnad orsak, klagomål från kritiker och beröm från promotorer "
        "(personuppgifter maskerade).",
    ),
    "no_examples": (
        "no comment long enough to quote",
        "ingen kommentar lang nok til å sitere",
        "ingen kommentar lång nog att citera",
    ),
    "h_corrected": ("Corrected for tagging errors", "Korrigert for feil i kodingen", "Korrigerat för fel i kodningen"),
    "corrected_intro": (
        "The tagging model misses some mentions and sometimes tags a cause that is not there. Given its "
        "measured rates, these columns estimate the shares a perfect tagger would find and the impact that "
        "follows. Scores are taken as given.",
        "Modellen som koder kommentarene overser noen omtaler og finner av og til en årsak som ikke er der. "
        "Med de målte feilratene anslår disse kolonnene andelene en feilfri koding ville gitt, og effekten "
        "som følger. Scorene tas som gitt.",
        "Modellen som kodar kommentarerna missar vissa omnämnanden och hittar ibland en orsak som inte finns. "
        "Med de uppmätta felnivåerna uppskattar kolumnerna andelarna en felfri kodning skulle ge, och effekten "
        "som följer. Betygen tas som givna.",
    ),
    "col_sensitivity": ("Hit rate", "Treffrate", "Träffsäkerhet"),
    "col_specificity": ("Correct rejections", "Korrekte avvisninger", "Korrekta avvisningar"),
    "col_tagged_share": ("Share as tagged", "Andel som kodet", "Andel som kodad"),
    "col_corrected_share": ("Corrected share", "Korrigert andel", "Korrigerad andel"),
    "col_tagged_impact": ("Impact as tagged", "Effekt som kodet", "Effekt som kodad"),
    "col_corrected_impact": ("Corrected impact", "Korrigert effekt", "Korrigerad effekt"),
    "h_method": ("How to read this", "Slik leser du rapporten", "Så läser du rapporten"),
    "method_nps": (
        "NPS is the share of promoters (score 9-10) minus the share of detractors (0-6), from -100 to +100.",
        "NPS er andelen ambassadører (score 9-10) minus andelen kritikere (0-6), fra -100 til +100.",
        "NPS är andelen promotorer (betyg 9-10) minus andelen kritiker (0-6), från -100 till +100.",
    ),
    "method_mean": (
        "The average score of all answers; low scores are {low_range}, high scores {high_range}.",
        "Snittet av alle svarene; lav score er {low_range}, høy score {high_range}.",
        "Medelbetyget av alla svar; låga betyg är {low_range}, höga betyg {high_range}.",
    ),
    "method_impact": (
        "Impact is the {metric} of all answers minus the {metric} of the answers that do not mention the cause. "
        "A negative number is what the cause costs; a positive number is a strength. Complaints and praise about "
        "the same topic are separate rows.",
        "Effekt er {metric} for alle svar minus {metric} for svarene som ikke nevner årsaken. Et negativt tall er "
        "det årsaken koster; et positivt tall er en styrke. Klager og ros om samme tema er egne rader.",
        "Effekt är {metric} för alla svar minus {metric} för svaren som inte nämner orsaken. Ett negativt tal är "
        "vad orsaken kostar; ett positivt tal är en styrka. Klagomål och beröm om samma ämne är egna rader.",
    ),
    "method_interval": (
        "The answers were resampled {n_boot} times (bootstrap); the interval holds the middle {level} of the "
        "results. A wide interval means few answers.",
        "Svarene ble trukket på nytt {n_boot} ganger (bootstrap); intervallet rommer de midterste {level} av "
        "resultatene. Et bredt intervall betyr få svar.",
        "Svaren drogs om {n_boot} gånger (bootstrap); intervallet rymmer de mittersta {level} av resultaten. "
        "Ett brett intervall betyder få svar.",
    ),
    "method_roles": (
        "A complaint driver is significant (q below {alpha}) and costs points; a strength is significant and wins "
        "points; watch marks causes with fewer than {min_n} mentions whose signal is significant anyway; causes "
        "with fewer mentions and no clear signal are grey and not ranked.",
        "En driver for kritikk er signifikant (q under {alpha}) og koster poeng; en styrke er signifikant og "
        "vinner poeng; følg med markerer årsaker med færre enn {min_n} omtaler der signalet likevel er "
        "signifikant; årsaker med færre omtaler og uklart signal er grå og rangeres ikke.",
        "En drivare för kritik är signifikant (q under {alpha}) och kostar poäng; en styrka är signifikant och "
        "vinner poäng; håll koll markerar orsaker med färre än {min_n} omnämnanden där signalen ändå är "
        "signifikant; orsaker med färre omnämnanden och oklar signal är grå och rangordnas inte.",
    ),
    "shapley_what": (
        "When a comment mentions several causes, its effect is shared fairly between them, so the shared "
        "impacts add up to the gap between overall {metric} and that of the answers that mention no cause.",
        "Når en kommentar nevner flere årsaker, deles effekten rettferdig mellom dem, slik at de delte "
        "effektene summerer seg til avstanden mellom samlet {metric} og den for svarene som ikke nevner noen årsak.",
        "När en kommentar nämner flera orsaker delas effekten rättvist mellan dem, så att de delade effekterna "
        "summerar till avståndet mellan total {metric} och den för svaren som inte nämner någon orsak.",
    ),
    "shapley_exact": (
        "Computed exactly over every combination of causes.",
        "Regnet ut eksakt over alle kombinasjoner av årsaker.",
        "Beräknat exakt över alla kombinationer av orsaker.",
    ),
    "shapley_estimate": (
        "Estimated from {n} random orders of the causes.",
        "Anslått fra {n} tilfeldige rekkefølger av årsakene.",
        "Uppskattat från {n} slumpmässiga ordningar av orsakerna.",
    ),
    "h_caveat": ("Keep in mind", "Husk", "Tänk på"),
    "method_caveat": (
        "These numbers show association, not proof of cause: they say where unhappy customers point, not what "
        "would happen after a change.",
        "Tallene viser sammenheng, ikke bevis for årsak: de viser hvor misfornøyde kunder peker, ikke hva som "
        "skjer etter en endring.",
        "Siffrorna visar samband, inte bevis för orsak: de visar vart missnöjda kunder pekar, inte vad som "
        "händer efter en förändring.",
    ),
    # Sentences (the terminal prints the English ones).
    "driver": (
        "{name}: mentioned by {share} of comments; {low_share} of them are {low} against {base} overall; "
        "removing them would raise {metric} by {value} points{interval}.",
        "{name}: nevnt i {share} av kommentarene; {low_share} av dem er {low} mot {base} totalt; uten dem ville "
        "{metric} vært {value} poeng høyere{interval}.",
        "{name}: nämns i {share} av kommentarerna; {low_share} av dem är {low} mot {base} totalt; utan dem skulle "
        "{metric} vara {value} poäng högre{interval}.",
    ),
    "strength": (
        "{name}: mentioned by {share} of comments; {low_share} of them are {low} against {base} overall; "
        "removing them would lower {metric} by {value} points{interval}.",
        "{name}: nevnt i {share} av kommentarene; {low_share} av dem er {low} mot {base} totalt; uten dem ville "
        "{metric} vært {value} poeng lavere{interval}.",
        "{name}: nämns i {share} av kommentarerna; {low_share} av dem är {low} mot {base} totalt; utan dem skulle "
        "{metric} vara {value} poäng lägre{interval}.",
    ),
    "watch": (
        "Watch {name}: only {n} mentions, but {low_share} of them are {low} against {base} overall (q {q}).",
        "Følg med på {name}: bare {n} omtaler, men {low_share} av dem er {low} mot {base} totalt (q {q}).",
        "Håll koll på {name}: bara {n} omnämnanden, men {low_share} av dem är {low} mot {base} totalt (q {q}).",
    ),
    "no_driver": (
        "No cause is significantly linked to {low} (Benjamini-Hochberg false discovery rate control).",
        "Ingen årsak har en signifikant sammenheng med {low} (Benjamini-Hochberg-kontroll av falske funn).",
        "Ingen orsak har ett signifikant samband med {low} (Benjamini-Hochberg-kontroll av falska fynd).",
    ),
    "ci": ("{level} CI {low} to {high}", "{level} KI {low} til {high}", "{level} KI {low} till {high}"),
    "rose": ("rose", "steg", "steg"),
    "fell": ("fell", "falt", "föll"),
    "change": (
        "{metric} {verb} {value} points from {a} to {b} ({start} to {end})",
        "{metric} {verb} {value} poeng fra {a} til {b} ({start} til {end})",
        "{metric} {verb} {value} poäng från {a} till {b} ({start} till {end})",
    ),
    "no_change": (
        "{metric} did not change from {a} to {b} ({start} to {end}).",
        "{metric} var uendret fra {a} til {b} ({start} til {end}).",
        "{metric} var oförändrad från {a} till {b} ({start} till {end}).",
    ),
    "explains": ("{name} explains {value}", "{name} forklarer {value}", "{name} förklarar {value}"),
    "of_them": (" of them.", " av dem.", " av dem."),
    "and": (" and ", " og ", " och "),
    "to": ("to", "til", "till"),
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nb": "januar februar mars april mai juni juli august september oktober november desember",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}


def say(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` (en, nb or sv), with ``values`` filled in."""
    text = _TEXT[key][LANGUAGES.index(lang) if lang in LANGUAGES else 0]
    return text.format(**values) if values else text


def period_name(label: str, period: str | None, lang: str = "en") -> str:
    """ "September 2026" for the month label "2026-09"; week and quarter labels stay as they are."""
    if period != "month" or len(label) != 7 or label[4] != "-":
        return label
    year, month = label[:4], int(label[5:])
    name = _MONTHS.get(lang, _MONTHS["en"]).split()[month - 1]
    return f"{name} {year}" if lang != "en" else f"{name.capitalize()} {year}"


def date_text(timestamp, lang: str = "en") -> str:
    """ "3 June 2026" (en), "3. juni 2026" (nb), "3 juni 2026" (sv)."""
    month = _MONTHS.get(lang, _MONTHS["en"]).split()[timestamp.month - 1]
    day = f"{timestamp.day}." if lang == "nb" else str(timestamp.day)
    return f"{day} {month.capitalize() if lang == 'en' else month} {timestamp.year}"
