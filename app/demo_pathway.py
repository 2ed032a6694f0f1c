"""Demo data: a learning pathway — three 5-ECTS modules that stack into a 15-ECTS certificate.

Loaded with the rest of the demo (``app.demo``), so that issuing the three modules to one
learner shows the worker issue the certificate on its own ([docs/pathways.md]).
"""

from __future__ import annotations

from typing import Any

_NVAO = "https://www.nvao.net/"
_MORE_INFO = "https://www.lindewijk.example/microcredentials/"
_TEN_POINT_SCALE = {"scheme": "numeric", "min_value": "1", "max_value": "10", "pass_value": "5.5"}


def _module(code: str, title: str, description: str, outcome: str) -> dict[str, Any]:
    return {
        "kind": "formal",
        "title": title,
        "description": description,
        "learning_outcomes": [{"text": outcome}],
        "ects": 5,
        "workload_hours": 140,
        "eqf_level": 6,
        "qf_ehea_cycle": "first",
        "assessment": {"type": "project"},
        "participation_form": "blended",
        "quality_assurance": {
            "type": "accredited_programme",
            "name": "NVAO-geaccrediteerde bacheloropleiding HBO-ICT",
            "reference_url": _NVAO,
        },
        "supervision": "supervised_onsite_verification",
        "stackability": {"description": "Telt mee voor het certificaat Duurzame Energiesystemen."},
        "languages": ["nl"],
        "field_of_study": "0713",
        "grading": _TEN_POINT_SCALE,
        "further_information_url": f"{_MORE_INFO}duurzame-energiesystemen",
        "sis_course_codes": [code],
    }


def pathway_modules() -> list[dict[str, Any]]:
    return [
        _module(
            "ATI-DES-01",
            "Zonne-energie in de gebouwde omgeving",
            "Ontwerp en opbrengst van zonnestroomsystemen op woningen en bedrijfspanden.",
            "Berekent de opbrengst van een zonnestroomsysteem voor een gebouw.",
        ),
        _module(
            "ATI-DES-02",
            "Warmtepompen en warmtenetten",
            "Werking, dimensionering en inpassing van warmtepompen en collectieve warmtenetten.",
            "Dimensioneert een warmtepompinstallatie voor een woning.",
        ),
        _module(
            "ATI-DES-03",
            "Slimme netten en opslag",
            "Netcongestie, flexibiliteit en batterijopslag in het lokale energiesysteem.",
            "Adviseert over opslag en flexibiliteit bij netcongestie.",
        ),
    ]


def certificate(module_ids: list[str]) -> dict[str, Any]:
    """The certificate earned with all three modules, issued by the worker without staff."""
    return {
        **_module(
            "ATI-DES-CERT",
            "Certificaat Duurzame Energiesystemen",
            "Het certificaat voor wie de drie modules over zon, warmte en slimme netten haalde.",
            "Ontwerpt een samenhangend duurzaam energiesysteem voor een wijk.",
        ),
        "kind": "stacked",
        "ects": 15,
        "workload_hours": 420,
        "stackability": None,
        "sis_course_codes": [],
        "pathway": {"rule": "all", "components": module_ids},
    }
