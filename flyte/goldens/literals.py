"""Literals made by flytekit's type engine, for flowmap-flyte's codec tests (see make.sh).

Each case is written as literals/NAME.pb: a LiteralMap {"v": literal}.
"""

import os
import sys
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flytekit.core.context_manager import FlyteContextManager
from flytekit.core.type_engine import TypeEngine
from flytekit.models.literals import LiteralMap


@dataclass
class Reading:
    sensor: str
    value: float
    at: datetime


@dataclass
class Summary:
    count: int
    mean: typing.Optional[float]
    by_sensor: dict[str, int]
    window: timedelta
    readings: list[Reading]


AT = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
READING = Reading(sensor="s1", value=1.5, at=AT)

CASES = {
    "ints": ([1, -2, 3], list[int]),
    "optional_ints": ([1, None, 3], list[typing.Optional[int]]),
    "reading": (READING, Reading),
    "summary": (
        Summary(count=2, mean=None, by_sensor={"s1": 2}, window=timedelta(seconds=90, microseconds=5), readings=[READING]),
        Summary,
    ),
    "duration": (timedelta(seconds=90, microseconds=5), timedelta),
    "datetime": (AT, datetime),
    "float_lists": ({"a": [1.5, 2.0], "b": []}, dict[str, list[float]]),
    "nested": ([{"x": None, "y": READING}], list[dict[str, typing.Optional[Reading]]]),
    "optional_str": ("hi", typing.Optional[str]),
    "none_str": (None, typing.Optional[str]),
}


def main(out: str) -> None:
    ctx = FlyteContextManager.current_context()
    os.makedirs(out, exist_ok=True)
    for name, (value, ty) in CASES.items():
        lit = TypeEngine.to_literal(ctx, value, ty, TypeEngine.to_literal_type(ty))
        with open(os.path.join(out, f"{name}.pb"), "wb") as f:
            f.write(LiteralMap(literals={"v": lit}).to_flyte_idl().SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
