"""Demo data for VShop: suppliers, a catalogue with drawn product photos, shops with personas,
fans, delivery rules, and the fans' orders in every state (``vshop.demo.buying``), all made
through the services. ``vshop demo`` loads it; ``--reset`` loads it afresh.

``demo_load(reset=True)`` deletes only the demo's own accounts and what they own (see
``loader._delete_demo``); real shops and accounts stay.
"""

from vshop.demo.loader import (
    DemoSummary,
    demo_is_loaded,
    demo_load,
    demo_summary,
    print_demo_logins,
)

__all__ = ["DemoSummary", "demo_is_loaded", "demo_load", "demo_summary", "print_demo_logins"]
