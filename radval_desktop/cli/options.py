"""Argument helpers shared by the subcommands."""

from __future__ import annotations

from collections.abc import Sequence

from radval_desktop.errors import InputError


def column_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise InputError(f"--map takes FIELD=COLUMN, not '{pair}'.")
        mapping[field.strip()] = column.strip()
    return mapping
