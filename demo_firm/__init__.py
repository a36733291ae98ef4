"""The Northbeam Partners demo firm as data (`contracts/`, `data/`) and the generator that writes its billing
home (`generate.py`). Not part of the runtime package: `billing demo` imports it on demand."""

from demo_firm.generate import CLIENTS, HARVEST_EXPENSE_HEADER, HARVEST_TIME_HEADER, build_demo, main, write_demo_home

__all__ = ["CLIENTS", "HARVEST_EXPENSE_HEADER", "HARVEST_TIME_HEADER", "build_demo", "main", "write_demo_home"]
