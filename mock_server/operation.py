"""What the spec says about the one operation, read once, for a request check that costs
microseconds instead of openapi-core's milliseconds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPERATION_PATH = "/networks/pixels/{pixelId}"


@dataclass(frozen=True)
class OperationRules:
    """The request rules of ``getPartnerPostback``, as the spec states them."""

    base_path: str
    api_key_header: str
    id_minimum: int
    id_maximum: int
    statuses: frozenset[int]
    examples: dict[str, Any]

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> OperationRules:
        """Read the rules from a parsed spec (``openapi.load_spec()``)."""
        operation = spec["paths"][OPERATION_PATH]["get"]
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "pixelId"]
        (requirement,) = operation.get("security", spec["security"])
        (scheme_name,) = requirement
        scheme = spec["components"]["securitySchemes"][scheme_name]
        relative = [s["url"] for s in spec["servers"] if s["url"].startswith("/")]
        examples = spec["components"]["examples"]
        ok_examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
        return cls(
            base_path=relative[0].rstrip("/"),
            api_key_header=scheme["name"],
            id_minimum=parameter["schema"].get("minimum", 0),
            id_maximum=parameter["schema"].get("maximum", 2**63 - 1),
            statuses=frozenset(int(code) for code in operation["responses"]),
            examples={
                name: examples[ref["$ref"].rsplit("/", 1)[1]]["value"]
                if "$ref" in ref
                else ref["value"]
                for name, ref in ok_examples.items()
            },
        )

    @property
    def path_prefix(self) -> str:
        """The request path up to the id, e.g. ``/v1/networks/pixels/``."""
        return self.base_path + OPERATION_PATH.split("{", 1)[0]

    def parse_id(self, raw: str) -> int | None:
        """The pixel id if ``raw`` is an integer the spec allows, else ``None``."""
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
            return None
        value = int(raw)
        return value if self.id_minimum <= value <= self.id_maximum else None
